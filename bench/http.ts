/**
 * HTTP benchmark of the platform core: the dashboard of a logged-in RUPN with 10,000 users in
 * the database, 50 connections, on PGlite and on PostgreSQL; cold start to the first 200 on
 * /healthz; resident memory after start and under load. The help page is measured the same way
 * as the floor of every authenticated page, and each run says where its CPU went (support.ts).
 *
 *   npm run bench:http                       # both engines (PostgreSQL at TEST_DATABASE_URL or 127.0.0.1)
 *   npm run bench:http -- --engine pglite --duration 20
 *
 * On PostgreSQL it also runs WEB_CONCURRENCY=--workers processes (default 2); memory is then
 * the sum of the primary and its workers.
 */
import path from 'node:path';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { openDatabase } from '../server/db/database.js';
import { ADMIN_URL, arg, cpuColumns, cpuMeter, enginesToRun, freshTarget, loginCookie, rssMiB, startServer, stopServer, type CpuShare, type Target } from './support.js';

const USERS = Number(arg('users', '10000'));
const CONNECTIONS = Number(arg('connections', '50'));
const DURATION = Number(arg('duration', '15'));
const WORKERS = Number(arg('workers', '2'));

async function seedUsers(target: Target): Promise<void> {
  const database = await openDatabase(
    target.engine === 'pglite' ? { dataDir: path.join(target.dataDir, 'pglite') } : { url: target.env.DATABASE_URL },
  );
  const db = database.db;
  const existing = Number((await sql<{ n: number }>`select count(*)::int as n from users`.execute(db)).rows[0]!.n);
  const extra = Math.max(0, USERS - existing);
  await sql`
    with new_users as (
      insert into users (email, given_name, family_name, academy_code, department_code)
      select 'bench' || g || '@ac-poitiers.example', 'Prénom' || g, 'Nom' || g, 'poitiers', (array['16','17','79','86'])[1 + g % 4]
      from generate_series(1, ${extra}::int) g
      returning id
    )
    insert into user_roles (user_id, role)
    select id, case when id % 3 = 0 then 'rupn' else 'enseignant' end from new_users`.execute(db);
  await sql`
    insert into user_establishments (user_id, uai, function, is_primary)
    select u.id,
           (select e.uai from establishments e where e.department_code = u.department_code order by e.uai offset (u.id % 3) limit 1),
           'ENS', true
    from users u where u.email like 'bench%'`.execute(db);
  await sql`analyze`.execute(db);
  await database.close();
}

interface Figures {
  engine: string;
  page: string;
  firstStartMs: number;
  coldStartMs: number;
  rssAfterStartMiB: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  rssUnderLoadMiB: number;
  cpu: CpuShare;
}

/**
 * The dashboard, and the help page: an authenticated page that asks the database for nothing but
 * its session, so what it reaches is the most any page behind a login can on this machine.
 */
const PAGES = [
  { label: 'tableau de bord', path: '/', shows: ['Bonjour Karim', 'data-widget="network"'] },
  { label: 'aide (plancher)', path: '/home/aide', shows: ['<h1>Aide<', 'Karim Benali'] },
];

async function benchEngine(engine: 'pglite' | 'postgres', workers = 1): Promise<Figures[]> {
  const target = await freshTarget(engine, ADMIN_URL);
  try {
    // First start ever: creates the database (initdb for PGlite), migrates, seeds the demo.
    const first = await startServer(target.env);
    await stopServer(first);
    await seedUsers(target);

    const server = await startServer({ ...target.env, WEB_CONCURRENCY: String(workers) });
    const rssAfterStart = await rssMiB(server.child.pid!, workers > 1);
    const cookie = await loginCookie(server.url, 'rupn');
    const figures: Figures[] = [];
    for (const page of PAGES) {
      // Measure the page we claim to measure, as the logged-in RUPN.
      const check = await fetch(`${server.url}${page.path}`, { headers: { cookie } });
      const html = await check.text();
      if (check.status !== 200 || page.shows.some((text) => !html.includes(text))) {
        throw new Error(`la page mesurée n'est pas « ${page.label} » (${page.path}, statut ${check.status})`);
      }
      const run = (duration: number) =>
        autocannon({ url: `${server.url}${page.path}`, connections: CONNECTIONS, duration, headers: { cookie, accept: 'text/html' } });
      await run(3); // warm-up: JIT, template cache, database caches
      const meter = await cpuMeter(server.child.pid!, workers > 1);
      const result = await run(DURATION);
      const cpu = await meter.stop(result.requests.total);
      figures.push({
        engine: workers > 1 ? `${engine} ×${workers}` : engine,
        page: page.label,
        firstStartMs: first.startMs,
        coldStartMs: server.startMs,
        rssAfterStartMiB: rssAfterStart,
        requestsPerSecond: Math.round(result.requests.average),
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        cpu,
        errors: result.errors + result.non2xx,
        rssUnderLoadMiB: await rssMiB(server.child.pid!, workers > 1),
      });
    }
    await stopServer(server);
    return figures;
  } finally {
    await target.cleanup();
  }
}

const rows: Figures[] = [];
for (const engine of await enginesToRun()) {
  console.log(`… ${engine} : ${USERS} comptes, ${CONNECTIONS} connexions, ${DURATION} s`);
  rows.push(...(await benchEngine(engine)));
  if (engine === 'postgres' && WORKERS > 1) rows.push(...(await benchEngine(engine, WORKERS)));
}
console.log('\nPages d’un RUPN connecté');
console.table(
  rows.map((r) => ({
    moteur: r.engine,
    page: r.page,
    'req/s': r.requestsPerSecond,
    'p50 (ms)': r.p50Ms,
    'p99 (ms)': r.p99Ms,
    erreurs: r.errors,
    '1er démarrage (ms)': r.firstStartMs,
    'démarrage à froid (ms)': r.coldStartMs,
    'RSS après démarrage (Mio)': r.rssAfterStartMiB,
    'RSS sous charge (Mio)': r.rssUnderLoadMiB,
  })),
);
console.log('\nOù passe le CPU d’une requête');
console.table(rows.map((r) => ({ moteur: r.engine, page: r.page, ...cpuColumns(r.cpu) })));
console.log(JSON.stringify(rows));
