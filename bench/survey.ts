/**
 * The report of a yearly survey (GET /bilan/gestion/:id/resultats) with 3,000 answers to 40
 * questions, on PostgreSQL and on PGlite: p50 and p99 latency (autocannon), requests per second,
 * the server's memory, and the CSV export once; with the report cache (30 s, the default) and
 * without it (every request reads the running totals and renders).
 *
 *   npm run bench:survey                         # both engines (PostgreSQL at TEST_DATABASE_URL or 127.0.0.1)
 *   npm run bench:survey -- --engine pglite --answers 3000 --duration 15 --connections 10
 *
 * The survey is anonymous and mixes every kind: 10 yes/no, 10 single choices, 8 multiple choices
 * (each shown only when the yes/no before it got « Oui »), 8 scales from 1 to 5, 4 free texts.
 */
import path from 'node:path';
import autocannon from 'autocannon';
import { openDatabase } from '../server/db/database.js';
import { seedSurvey } from './surveyData.js';
import { ADMIN_URL, arg, freshTarget, enginesToRun, loginCookie, rssMiB, startServer, stopServer, type Target } from './support.js';

const ANSWERS = Number(arg('answers', '3000'));
const QUESTIONS = 40;
const CONNECTIONS = Number(arg('connections', '10'));
const DURATION = Number(arg('duration', '15'));


async function seed(target: Target): Promise<{ surveyId: number; answerRows: number; ms: number }> {
  const database = await openDatabase(target.engine === 'pglite' ? { dataDir: path.join(target.dataDir, 'pglite') } : { url: target.env.DATABASE_URL });
  try {
    return await seedSurvey(database.db, ANSWERS, QUESTIONS);
  } finally {
    await database.close();
  }
}

interface Figures {
  engine: string;
  cache: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  rssMiB: number;
  csvMs: number;
  csvLines: number;
  answerRows: number;
}

/** Measures the report on a running server; `cacheSeconds` 0 computes it on every request. */
async function measure(engine: string, env: Record<string, string>, surveyId: number, answerRows: number, cacheSeconds: number): Promise<Figures> {
  const server = await startServer({ ...env, PLUGIN_BILAN_REPORT_CACHE_SECONDS: String(cacheSeconds) });
  try {
    const cookie = await loginCookie(server.url, 'dane');
    const url = `${server.url}/bilan/gestion/${surveyId}/resultats`;
    const check = await fetch(url, { headers: { cookie } });
    const html = await check.text();
    if (check.status !== 200 || !html.includes(`${ANSWERS.toLocaleString('fr-FR')} réponses`) || !html.includes('disent y parvenir')) {
      throw new Error(`la page mesurée n'est pas le rapport attendu (statut ${check.status})`);
    }
    const run = (duration: number) => autocannon({ url, connections: CONNECTIONS, duration, headers: { cookie, accept: 'text/html' } });
    await run(3);
    const result = await run(DURATION);
    const rss = await rssMiB(server.child.pid!);
    // The export once the page is quiet.
    await new Promise((r) => setTimeout(r, 1000));
    const csvStart = performance.now();
    const csv = await (await fetch(`${url}.csv`, { headers: { cookie } })).text();
    return {
      engine,
      cache: cacheSeconds ? `${cacheSeconds} s` : 'sans',
      requestsPerSecond: Math.round(result.requests.average),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      errors: result.errors + result.non2xx,
      rssMiB: rss,
      csvMs: Math.round(performance.now() - csvStart),
      csvLines: csv.trim().split('\r\n').length - 1,
      answerRows,
    };
  } finally {
    await stopServer(server);
  }
}

async function benchEngine(engine: 'pglite' | 'postgres'): Promise<Figures[]> {
  const target = await freshTarget(engine, ADMIN_URL);
  const env = { ...target.env, LOG_LEVEL: 'warn' };
  try {
    // A first start applies the migrations and the demo data.
    await stopServer(await startServer(env));
    const { surveyId, answerRows, ms } = await seed(target);
    console.log(`  données : ${ANSWERS} réponses, ${QUESTIONS} questions, ${answerRows} lignes de réponses (${ms} ms)`);
    return [await measure(engine, env, surveyId, answerRows, 30), await measure(engine, env, surveyId, answerRows, 0)];
  } finally {
    await target.cleanup();
  }
}

const rows: Figures[] = [];
for (const engine of await enginesToRun()) {
  console.log(`… ${engine} : ${ANSWERS} réponses à ${QUESTIONS} questions, ${CONNECTIONS} connexions, ${DURATION} s`);
  rows.push(...(await benchEngine(engine)));
}
console.log('\nRapport d’un bilan annuel (GET /bilan/gestion/:id/resultats)');
console.table(
  rows.map((r) => ({
    moteur: r.engine,
    'cache du rapport': r.cache,
    'req/s': r.requestsPerSecond,
    'p50 (ms)': r.p50Ms,
    'p99 (ms)': r.p99Ms,
    erreurs: r.errors,
    'mémoire (Mio)': r.rssMiB,
    'export CSV (ms)': r.csvMs,
    'lignes CSV': r.csvLines,
  })),
);
console.log(JSON.stringify(rows));
