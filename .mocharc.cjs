// Tests run through tsx, so TypeScript files load as they are. Files named on the command
// line run alone (`npx mocha test/core/pages.test.ts`); otherwise the whole suite runs.
const namedFiles = process.argv.slice(2).some((arg) => arg.endsWith('.test.ts'));
module.exports = {
  'node-option': ['import=tsx'],
  spec: namedFiles ? [] : ['server/**/*.test.ts', 'plugins/**/*.test.ts', 'test/**/*.test.ts'],
  timeout: 60000,
  slow: 2000,
  reporter: 'spec',
};
