// Tests run through tsx, so TypeScript files load as they are.
module.exports = {
  'node-option': ['import=tsx'],
  spec: ['server/**/*.test.ts', 'plugins/**/*.test.ts', 'test/**/*.test.ts'],
  timeout: 60000,
  slow: 2000,
  reporter: 'spec',
};
