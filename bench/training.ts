/**
 * The DANE follow-up page (GET /training/suivi) with 20,000 learners on a path of 30 modules,
 * on PostgreSQL and on PGlite: p50 and p99 latency (autocannon) with the figures cache of the page
 * (30 s, the default) and without it (every request computes every figure), and the CSV export once.
 *
 *   npm run bench:training                          # both engines (PostgreSQL at TEST_DATABASE_URL or 127.0.0.1)
 *   npm run bench:training -- --engine postgres --learners 20000 --duration 15 --connections 10
 *
 * Learners are spread over 400 establishments of four départements; each stands somewhere on
 * the path (not started, in progress on a module, completed), with dates over twenty weeks.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { openDatabase } from '../server/db/database.js';
import { refreshEnrolments } from '../plugins/training/enrolments.js';
import { ADMIN_URL, arg, freshTarget, enginesToRun, loginCookie, startServer, stopServer, type Target } from './support.js';

const LEARNERS = Number(arg('learners', '20000'));
const MODULES = 30;
const CONNECTIONS = Number(arg('connections', '10'));
const DURATION = Number(arg('duration', '15'));
/** Keep the seeded database to study the queries (prints where it is). */
const KEEP = process.argv.includes('--keep');
const PACKS = ['rupn-mission', 'rgpd', 'gar', 'pix', 'ent-admin'];

/** Five packs of six modules each, named like the real ones, so the default path holds 30 modules. */
async function benchContent(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'maillon-bench-content-'));
  for (const id of PACKS) {
    const files: Record<string, string> = {
      'pack.yaml': `id: ${id}\ntitle: Parcours ${id}\nversion: 1.0.0\nmodules:\n${Array.from({ length: MODULES / PACKS.length }, (_, i) => `  - modules/m${i + 1}.md`).join('\n')}\n`,
      'quizzes/q.yaml': 'title: Quiz\nquestions:\n  - id: q\n    type: truefalse\n    prompt: Vrai ?\n    answer: true\n',
    };
    for (let i = 1; i <= MODULES / PACKS.length; i++) {
      files[`modules/m${i}.md`] = `---\nid: ${id}-m${i}\ntitle: ${id} module ${i}\nquiz: ../quizzes/q.yaml\n---\n# Leçon 1 {#lecon-1}\n\nTexte.\n\n# Leçon 2 {#lecon-2}\n\nTexte.\n`;
    }
    for (const [file, text] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(dir, id, file)), { recursive: true });
      await fs.writeFile(path.join(dir, id, file), text);
    }
  }
  return dir;
}

async function seedLearners(target: Target): Promise<void> {
  const database = await openDatabase(target.engine === 'pglite' ? { dataDir: path.join(target.dataDir, 'pglite') } : { url: target.env.DATABASE_URL });
  const db = database.db;
  const started = performance.now();
  await sql`
    insert into establishments (uai, name, kind, city, department_code)
    select digits || substr('ABCDEFGHJKLMNPRSTUVWXYZ', (digits::int % 23) + 1, 1), 'Collège ' || g, 'college', 'Ville ' || g, d
    from generate_series(0, 399) g
    cross join lateral (select (array['16','17','79','86'])[1 + g % 4] as d) dep
    cross join lateral (select '0' || d || lpad((5000 + g)::text, 4, '0') as digits) u
    on conflict do nothing`.execute(db);
  await sql`
    with new_users as (
      insert into users (email, given_name, family_name, academy_code, department_code)
      select 'apprenant' || g || '@ac-poitiers.example', 'Prénom' || g, 'Nom' || g, 'poitiers', (array['16','17','79','86'])[1 + (g / 100) % 4]
      from generate_series(1, ${LEARNERS}::int) g
      returning id, email
    ), roles as (
      insert into user_roles (user_id, role, granted_at) select id, 'rupn', now() - interval '150 days' from new_users returning user_id
    )
    insert into user_establishments (user_id, uai, function, is_primary)
    select u.id, e.uai, 'ENS', true
    from new_users u
    cross join lateral (select substring(u.email from '[0-9]+')::int as g) n
    -- Establishment x is in département x % 4, like learner g's (g / 100) % 4.
    join establishments e on e.kind = 'college' and e.name = 'Collège ' || (4 * (n.g % 100) + (n.g / 100) % 4)`.execute(db);
  const pathId = (await db.selectFrom('training_paths').select('id').where('is_default', '=', true).executeTakeFirstOrThrow()).id;
  await sql`
    insert into training_enrolments (user_id, path_id, enrolled_at)
    select u.id, ${pathId}, now() - interval '150 days' from users u where u.email like 'apprenant%'
    on conflict do nothing`.execute(db);
  // Each learner has completed the modules before position k and stands on module k (k < 0: not started).
  await sql`
    insert into training_module_progress (user_id, pack_id, module_id, started_at, last_seen_at, last_lesson_id, attempts, best_score, passed_at, completed_at)
    select e.user_id, pm.pack_id, pm.module_id, d.at - interval '2 days', d.at, 'lecon-2', 1, 90, d.at, case when pm.position < l.k then d.at end
    from training_enrolments e
    cross join lateral (select (abs(hashtext(e.user_id::text)) % 36) - 4 as k, abs(hashtext('d' || e.user_id)) % 100 as spread) l
    join training_path_modules pm on pm.path_id = e.path_id and pm.position <= l.k
    cross join lateral (select now() - make_interval(days => l.spread + (${MODULES} - pm.position) * 2) as at) d
    where e.path_id = ${pathId}
    on conflict do nothing`.execute(db);
  await db.transaction().execute((trx) => refreshEnrolments(trx, { pathId }));
  await sql`analyze`.execute(db);
  const counts = (await sql<{ enrolled: number; started: number; completed: number; rows: number }>`
    select count(*)::int as enrolled, count(started_at)::int as started, count(completed_at)::int as completed,
           (select count(*)::int from training_module_progress) as rows
    from training_enrolments where path_id = ${pathId}`.execute(db)).rows[0]!;
  console.log(`  données : ${counts.enrolled} inscrits, ${counts.started} ont commencé, ${counts.completed} ont terminé, ${counts.rows} lignes de progression (${Math.round(performance.now() - started)} ms)`);
  await database.close();
}

interface Figures {
  engine: string;
  cache: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  csvMs: number;
  csvLines: number;
}

/** Measures the page on a running server; `cacheSeconds` 0 computes every figure on every request. */
async function measure(engine: string, env: Record<string, string>, cacheSeconds: number): Promise<Figures> {
  const server = await startServer({ ...env, PLUGIN_TRAINING_FOLLOW_CACHE_SECONDS: String(cacheSeconds) });
  try {
    const cookie = await loginCookie(server.url, 'dane');
    const check = await fetch(`${server.url}/training/suivi`, { headers: { cookie } });
    const html = await check.text();
    if (check.status !== 200 || !html.includes('Suivi des parcours') || !html.includes('Collège 0')) {
      throw new Error(`la page mesurée n'est pas le suivi attendu (statut ${check.status})`);
    }
    const run = (duration: number) => autocannon({ url: `${server.url}/training/suivi`, connections: CONNECTIONS, duration, headers: { cookie, accept: 'text/html' } });
    await run(3);
    const result = await run(DURATION);
    const csvStart = performance.now();
    const csv = await (await fetch(`${server.url}/training/suivi/export.csv`, { headers: { cookie } })).text();
    return {
      engine,
      cache: cacheSeconds ? `${cacheSeconds} s` : 'sans',
      requestsPerSecond: Math.round(result.requests.average),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      errors: result.errors + result.non2xx,
      csvMs: Math.round(performance.now() - csvStart),
      csvLines: csv.trim().split('\r\n').length - 1,
    };
  } finally {
    await stopServer(server);
  }
}

async function benchEngine(engine: 'pglite' | 'postgres', contentDir: string): Promise<Figures[]> {
  const target = await freshTarget(engine, ADMIN_URL);
  const env = { ...target.env, CONTENT_DIR: contentDir, LOG_LEVEL: 'warn' };
  try {
    const first = await startServer(env);
    await stopServer(first);
    await seedLearners(target);
    return [await measure(engine, env, 30), await measure(engine, env, 0)];
  } finally {
    if (KEEP) console.log(`  base conservée : ${target.env.DATABASE_URL ?? target.dataDir}`);
    else await target.cleanup();
  }
}

const engines = await enginesToRun();
const contentDir = await benchContent();
const rows: Figures[] = [];
try {
  for (const engine of engines) {
    console.log(`… ${engine} : ${LEARNERS} apprenants, ${MODULES} modules, ${CONNECTIONS} connexions, ${DURATION} s`);
    rows.push(...(await benchEngine(engine, contentDir)));
  }
} finally {
  await fs.rm(contentDir, { recursive: true, force: true });
}
console.log('\nSuivi DANE d’un parcours (GET /training/suivi)');
console.table(
  rows.map((r) => ({
    moteur: r.engine,
    'cache des chiffres': r.cache,
    'req/s': r.requestsPerSecond,
    'p50 (ms)': r.p50Ms,
    'p99 (ms)': r.p99Ms,
    erreurs: r.errors,
    'export CSV (ms)': r.csvMs,
    'lignes CSV': r.csvLines,
  })),
);
console.log(JSON.stringify(rows));
