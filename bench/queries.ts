/**
 * How many statements a page costs on PostgreSQL, and which: requests each URL N times as a
 * demo account, with the server logging every statement it sends (bench/queryLogHook.mjs).
 * Fewer round trips per page is what raises throughput on a small machine.
 *
 *   npm run bench:queries -- --path /,/forums --account rupn --n 20 [--show]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_URL, arg, freshTarget, loginCookie, startServer, stopServer } from './support.js';

const PATHS = arg('path', '/').split(',');
const ACCOUNT = arg('account', 'rupn');
const N = Number(arg('n', '50'));

const SHOW = process.argv.includes('--show');
const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'maillon-queries-')), 'queries.log');
const lines = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);

const target = await freshTarget('postgres', ADMIN_URL);
process.env.BENCH_NODE_ARGS = `--import ${path.join(import.meta.dirname, 'queryLogHook.mjs')}`;
const server = await startServer({ ...target.env, LOG_LEVEL: 'warn', JOBS_RUNNER: 'false', QUERY_LOG: log });
try {
  const cookie = await loginCookie(server.url, ACCOUNT);
  for (const p of PATHS) {
    for (let i = 0; i < 3; i++) await (await fetch(server.url + p, { headers: { cookie } })).arrayBuffer(); // warm caches
    const before = lines().length;
    for (let i = 0; i < N; i++) {
      const res = await fetch(server.url + p, { headers: { cookie } });
      if (res.status !== 200) throw new Error(`${p} : ${res.status}`);
      await res.arrayBuffer();
    }
    const sent = lines().slice(before).map((l) => ({ ms: Number(l.split('\t')[0]), text: l.split('\t')[1] ?? '' }));
    const total = sent.reduce((sum, q) => sum + q.ms, 0);
    console.log(`${p.padEnd(30)} ${(sent.length / N).toFixed(1)} requêtes SQL par page, ${(total / N).toFixed(2)} ms d'attente SQL par page`);
    if (SHOW) {
      for (const text of new Set(sent.map((q) => q.text))) {
        const same = sent.filter((q) => q.text === text);
        console.log(`    ${(same.length / N).toFixed(1)} × ${(same.reduce((sum, q) => sum + q.ms, 0) / same.length).toFixed(2).padStart(6)} ms  ${text.slice(0, 150)}`);
      }
    }
  }
} finally {
  await stopServer(server);
  await target.cleanup();
}
process.exit(0);
