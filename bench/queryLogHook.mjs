// Loaded with --import by bench/queries.ts: appends every statement the server sends to
// PostgreSQL to QUERY_LOG, one line each with its duration, so a page's round trips can be
// counted, timed and read.
import fs from 'node:fs';
import pg from 'pg';

const file = process.env.QUERY_LOG;
if (file) {
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (config, ...rest) {
    const text = (typeof config === 'string' ? config : config?.text ?? '').replace(/\s+/g, ' ').slice(0, 200);
    const started = performance.now();
    const result = query.call(this, config, ...rest);
    const done = () => fs.appendFileSync(file, `${(performance.now() - started).toFixed(2)}\t${text}\n`);
    if (result && typeof result.then === 'function') result.then(done, done);
    else done();
    return result;
  };
}
