/**
 * A separate Maillon job process for tests on PostgreSQL: `node --import tsx jobWorker.ts
 * <database url> <name> <mode>`. It defines `test:shared`, whose every run is written to the
 * audit log, and works, once told to go, until the queue is empty (mode `drain`) or hangs inside its first job
 * until it is killed (mode `hang`), to play a crash.
 */
import { sql } from 'kysely';
import { openDatabase } from '../../server/db/database.js';
import { createLogger } from '../../server/log.js';
import { JobRunner } from '../../server/jobs/jobRunner.js';

const [url, name, mode] = process.argv.slice(2) as [string, string, 'drain' | 'hang'];
const database = await openDatabase({ url, poolSize: 4 });
const runner = new JobRunner(database.db, createLogger('silent'), { pollMs: 20, leaseMs: 600 });
runner.define('test', 'test:shared', async (job) => {
  if (mode === 'hang') {
    process.send?.({ claimed: job.id });
    await new Promise(() => {});
  }
  await new Promise((r) => setTimeout(r, 5));
  await sql`insert into audit_log (action, details) values ('test.run', ${JSON.stringify({ n: (job.payload as { n: number }).n, worker: name })})`.execute(database.db);
}, { concurrency: 4 });
if (mode === 'drain') {
  // Both processes start working together, whatever their start-up times.
  process.send?.({ ready: true });
  await new Promise((resolve) => process.once('message', resolve));
  runner.start();
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from jobs where kind = 'test:shared' and state <> 'done'`.execute(database.db);
    if (rows[0]!.n === 0) break;
  }
  await runner.stop();
  await database.close();
  process.exit(0);
} else {
  runner.start();
}
