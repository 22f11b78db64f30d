/**
 * The RUPN directory (GET /mission/annuaire) of a large académie — by default 1,200
 * establishments with 2 designated RUPNs each and this year's lettre de mission — on one's own
 * département (the first page), on the whole académie and searched, plus the PDF of one letter,
 * on PostgreSQL and on PGlite: requests per second, p50 and p99 latency (autocannon), resident
 * memory of the server after the runs.
 *
 *   npm run bench:mission                                   # both engines
 *   npm run bench:mission -- --engine pglite --establishments 1200 --duration 10 --connections 10
 */
import path from 'node:path';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { openDatabase } from '../server/db/database.js';
import { schoolYearOf } from '../plugins/mission/missions.js';
import { ADMIN_URL, arg, enginesToRun, freshTarget, loginCookie, rssMiB, startServer, stopServer, type Target } from './support.js';

const ESTABLISHMENTS = Number(arg('establishments', '1200'));
const CONNECTIONS = Number(arg('connections', '10'));
const DURATION = Number(arg('duration', '10'));

async function seedNetwork(target: Target): Promise<number> {
  const database = await openDatabase(target.engine === 'pglite' ? { dataDir: path.join(target.dataDir, 'pglite') } : { url: target.env.DATABASE_URL });
  const db = database.db;
  const year = schoolYearOf();
  await sql`
    insert into establishments (uai, name, kind, city, department_code)
    select digits || substr('ABCDEFGHJKLMNPRSTUVWXYZ', (digits::int % 23) + 1, 1), 'Collège ' || g, 'college', 'Ville ' || (g % 97), d
    from generate_series(0, ${ESTABLISHMENTS - 1}::int) g
    cross join lateral (select (array['16','17','79','86'])[1 + g % 4] as d) dep
    cross join lateral (select '0' || d || lpad((4000 + g)::text, 4, '0') as digits) u
    on conflict do nothing`.execute(db);
  await sql`
    with new_users as (
      insert into users (email, given_name, family_name, academy_code, department_code)
      select 'referent' || g || '@ac-poitiers.example', 'Prénom' || g, 'Nom' || g, 'poitiers', (array['16','17','79','86'])[1 + (g / 2) % 4]
      from generate_series(0, ${ESTABLISHMENTS * 2 - 1}::int) g
      returning id, email
    ), roles as (
      insert into user_roles (user_id, role) select id, 'rupn' from new_users returning user_id
    ), places as (
      insert into user_establishments (user_id, uai, function, is_primary)
      select u.id, e.uai, 'ENS', true
      from new_users u
      cross join lateral (select substring(u.email from '[0-9]+')::int / 2 as g) n
      join establishments e on e.name = 'Collège ' || n.g
      returning user_id, uai
    )
    insert into mission_designations (user_id, uai, started_on) select user_id, uai, ${`${year}-09-01`}::date from places`.execute(db);
  await sql`
    insert into mission_letters (uai, school_year, period_start, period_end)
    select distinct uai, ${year}::int, ${`${year}-09-01`}::date, ${`${year + 1}-08-31`}::date from mission_designations
    on conflict do nothing`.execute(db);
  await sql`
    insert into mission_letter_referents (letter_id, user_id, time_split, tool_tasks, imp_amount)
    select l.id, d.user_id, '{"accompagner":40,"conseiller":20,"communiquer":10,"former":10,"outils":20}'::jsonb, '["ent","site"]'::jsonb, 2500
    from mission_designations d join mission_letters l on l.uai = d.uai
    on conflict do nothing`.execute(db);
  await sql`analyze`.execute(db);
  const letter = await db.selectFrom('mission_letters').select('id').orderBy('id', 'desc').executeTakeFirstOrThrow();
  await database.close();
  return letter.id;
}

interface Figures {
  engine: string;
  page: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

async function measure(engine: string, url: string, cookie: string, page: string, pathAndQuery: string, expect: string): Promise<Figures> {
  const check = await fetch(`${url}${pathAndQuery}`, { headers: { cookie } });
  const body = Buffer.from(await check.arrayBuffer()).toString('utf8');
  if (check.status !== 200 || !body.includes(expect)) throw new Error(`${pathAndQuery} : réponse inattendue (statut ${check.status})`);
  const run = (duration: number) => autocannon({ url: `${url}${pathAndQuery}`, connections: CONNECTIONS, duration, headers: { cookie } });
  await run(2);
  const result = await run(DURATION);
  return { engine, page, requestsPerSecond: Math.round(result.requests.average), p50Ms: result.latency.p50, p99Ms: result.latency.p99, errors: result.errors + result.non2xx };
}

const rows: Figures[] = [];
const memory: { moteur: string; 'mémoire résidente (Mio)': number }[] = [];
for (const engine of await enginesToRun()) {
  console.log(`… ${engine} : ${ESTABLISHMENTS} établissements, ${ESTABLISHMENTS * 2} RUPN, ${CONNECTIONS} connexions, ${DURATION} s`);
  const target = await freshTarget(engine, ADMIN_URL);
  const env = { ...target.env, LOG_LEVEL: 'warn' };
  try {
    await stopServer(await startServer(env));
    const letterId = await seedNetwork(target);
    const server = await startServer(env);
    try {
      const cookie = await loginCookie(server.url, 'dane');
      rows.push(await measure(engine, server.url, cookie, 'annuaire (son département)', '/mission/annuaire', 'Collège 3'));
      rows.push(await measure(engine, server.url, cookie, 'annuaire complet', '/mission/annuaire?departement=', 'Collège 1'));
      rows.push(await measure(engine, server.url, cookie, 'recherche « ville 12 »', `/mission/annuaire?q=${encodeURIComponent('ville 12')}`, 'Ville 12'));
      rows.push(await measure(engine, server.url, cookie, 'lettre en PDF', `/mission/lettres/${letterId}/lettre-de-mission.pdf`, '%PDF-'));
      memory.push({ moteur: engine, 'mémoire résidente (Mio)': await rssMiB(server.child.pid!) });
    } finally {
      await stopServer(server);
    }
  } finally {
    await target.cleanup();
  }
}
console.log('\nAnnuaire des RUPN et lettre de mission');
console.table(rows.map((r) => ({ moteur: r.engine, page: r.page, 'req/s': r.requestsPerSecond, 'p50 (ms)': r.p50Ms, 'p99 (ms)': r.p99Ms, erreurs: r.errors })));
console.table(memory);
console.log(JSON.stringify({ rows, memory }));
