/**
 * Forums at scale: 200,000 posts in 20,000 topics, bulk-inserted with generate_series, then
 * the topic page (50 posts) and the search page measured with autocannon: requests per second,
 * p50 and p99 latency, resident memory of the server.
 *
 *   npm run bench:forums                                   # PostgreSQL at TEST_DATABASE_URL or 127.0.0.1
 *   npm run bench:forums -- --engine pglite --posts 50000 --duration 10 --connections 10
 *   npm run bench:forums -- --only topic      # one page only, e.g. under BENCH_NODE_ARGS=--cpu-prof
 *
 * On PostgreSQL the pages are measured again with WEB_CONCURRENCY=--workers processes (default
 * 2, 1 to skip), as a two-core server would run in production; CPU and memory then add up the
 * primary and its workers.
 *
 * 100 topics hold 50 posts each (the measured pages, visited in turn); the others share the
 * rest. A quarter of each body's words come from a French vocabulary of the domain (so broad
 * queries match thousands of posts), the rest from 30,000 filler terms.
 */
import path from 'node:path';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { openDatabase } from '../server/db/database.js';
import { ADMIN_URL, arg, cpuColumns, cpuMeter, freshTarget, loginCookie, enginesToRun, rssMiB, startServer, stopServer, type CpuShare, type Target } from './support.js';

const POSTS = Number(arg('posts', '200000'));
const TOPICS = Number(arg('topics', String(Math.round(POSTS / 10))));
const FULL_TOPICS = 100;
const PAGE_POSTS = 50;
const CONNECTIONS = Number(arg('connections', '10'));
const DURATION = Number(arg('duration', '15'));
const AUTHORS = 2000;
/** `topic` or `search` measures one page only (to profile it with BENCH_NODE_ARGS=--cpu-prof). */
const ONLY = arg('only', '');
const WORKERS = Number(arg('workers', '2'));

const WORDS = [
  'enseignant', 'enseignants', 'élève', 'élèves', 'collège', 'lycée', 'tablette', 'tablettes', 'numérique', 'école', 'ENT', 'Pix', 'GAR', 'RGPD',
  'compte', 'comptes', 'mot', 'passe', 'ressource', 'ressources', 'manuel', 'manuels', 'classe', 'séance', 'projet', 'formation', 'référent',
  'données', 'personnelles', 'registre', 'famille', 'parents', 'vidéo', 'capsule', 'quiz', 'certification', 'campagne', 'compétences',
  'réseau', 'wifi', 'imprimante', 'vidéoprojecteur', 'tableau', 'interactif', 'logiciel', 'libre', 'application', 'installation', 'mise', 'jour',
  'question', 'réponse', 'solution', 'problème', 'accès', 'connexion', 'import', 'emploi', 'temps', 'messagerie', 'cahier', 'textes', 'notes',
];
const QUERIES = ['enseignants tablette', 'mot de passe', 'certification Pix', 'ressources GAR manuel', 'données personnelles registre', 'ecole numerique', 'capsule vidéo', 'imprimante wifi'];

// Numbers go into the SQL as literals: untyped parameters make operators ambiguous.
const n = (value: number) => sql.lit(value);

async function seed(target: Target): Promise<number> {
  const database = await openDatabase(target.engine === 'pglite' ? { dataDir: path.join(target.dataDir, 'pglite') } : { url: target.env.DATABASE_URL });
  const db = database.db;
  const started = performance.now();
  const words = sql`${sql.lit(`{${WORDS.map((w) => `"${w}"`).join(',')}}`)}::text[]`;
  await sql`
    with new_users as (
      insert into users (email, given_name, family_name, academy_code, department_code)
      select 'membre' || g || '@ac-poitiers.example', 'Prénom' || g, 'Nom' || g, 'poitiers', (array['16','17','79','86'])[1 + g % 4]
      from generate_series(1, ${n(AUTHORS)}::int) g
      returning id
    )
    insert into user_roles (user_id, role) select id, 'rupn' from new_users`.execute(db);
  const { min_user } = (await sql<{ min_user: number }>`select min(id)::int as min_user from users where email like 'membre%'`.execute(db)).rows[0]!;
  const categories = (await sql<{ id: number }>`select id from forum_categories where read_roles = '{}' order by id`.execute(db)).rows.map((r) => r.id);
  const cats = sql`${sql.lit(`{${categories.join(',')}}`)}::int[]`;
  await sql`
    insert into forum_topics (category_id, title, author_id, is_question, created_at, last_post_at)
    select (${cats})[1 + g % ${n(categories.length)}], 'Discussion ' || g || ' : ' || (${words})[1 + g % ${n(WORDS.length)}] || ' et ' || (${words})[1 + (g * 7) % ${n(WORDS.length)}],
           ${n(min_user)} + g % ${n(AUTHORS)}, g % 3 = 0, now() - make_interval(hours => ${n(TOPICS)} - g), now()
    from generate_series(1, ${n(TOPICS)}::int) g`.execute(db);
  const first = (await sql<{ id: number }>`select min(id)::int as id from forum_topics where title like 'Discussion %'`.execute(db)).rows[0]!.id;
  // The first FULL_TOPICS topics get exactly 50 posts; the rest are spread over the others.
  const full = FULL_TOPICS * PAGE_POSTS;
  await sql`
    insert into forum_posts (topic_id, author_id, heading, body, created_at)
    select t.topic, ${n(min_user)} + (g * 13) % ${n(AUTHORS)}, null,
           (select string_agg(case when w % 4 = 0 then (${words})[1 + abs(hashtext(g::text || '-' || w)) % ${n(WORDS.length)}]
                                    else 'terme' || abs(hashtext(w::text || '-' || g)) % 30000 end, ' ') from generate_series(1, 40) w) || '.',
           now() - make_interval(secs => ${n(POSTS)} - g)
    from generate_series(1, ${n(POSTS)}::int) g
    cross join lateral (select case when g <= ${n(full)} then ${n(first)} + (g - 1) / ${n(PAGE_POSTS)}
                                    else ${n(first)} + ${n(FULL_TOPICS)} + (g - ${n(full)}) % (${n(TOPICS)} - ${n(FULL_TOPICS)}) end as topic) t`.execute(db);
  await sql`
    update forum_topics t set post_count = s.n, last_post_id = s.last, last_post_at = s.at
    from (select topic_id, count(*)::int as n, max(id) as last, max(created_at) as at from forum_posts group by topic_id) s
    where s.topic_id = t.id`.execute(db);
  await sql`update forum_posts p set heading = t.title from forum_topics t where p.id = (select min(id) from forum_posts where topic_id = t.id) and t.id = p.topic_id`.execute(db);
  // As autovacuum would have done while these posts came in, one by one, over the years.
  await sql`vacuum (analyze)`.execute(db);
  const counts = (await sql<{ topics: number; posts: number }>`select (select count(*)::int from forum_topics) as topics, (select count(*)::int from forum_posts) as posts`.execute(db)).rows[0]!;
  console.log(`  données : ${counts.topics} discussions, ${counts.posts} messages (${Math.round(performance.now() - started)} ms)`);
  await database.close();
  return first;
}

interface Figures {
  engine: string;
  page: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpu: CpuShare;
  errors: number;
  rssMiB: number;
}

async function run(url: string, cookie: string, paths: string[], connections = CONNECTIONS) {
  let i = 0;
  return autocannon({
    url,
    connections,
    duration: DURATION,
    headers: { cookie, accept: 'text/html' },
    requests: [{ setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length]! }) }],
  });
}

async function measurePages(engine: string, env: Record<string, string>, firstTopic: number, workers: number): Promise<Figures[]> {
  const label = workers > 1 ? `${engine} ×${workers}` : engine;
  const server = await startServer(env);
  try {
    const cookie = await loginCookie(server.url, 'rupn');
    const topicPaths = Array.from({ length: FULL_TOPICS }, (_, i) => `/forums/t/${firstTopic + i}`);
    const check = await fetch(`${server.url}${topicPaths[0]}`, { headers: { cookie } });
    const html = await check.text();
    const shown = (html.match(/class="forum-post forum-post--visible/g) ?? []).length;
    console.log(`  page de discussion : ${Math.round(Buffer.byteLength(html) / 1024)} Kio`);
    if (check.status !== 200 || shown !== PAGE_POSTS) throw new Error(`page de discussion inattendue (${topicPaths[0]}) : statut ${check.status}, ${shown} messages\n${html.slice(0, 3000)}`);
    const searchPaths = QUERIES.map((q) => `/forums/recherche?q=${encodeURIComponent(q)}`);
    const found = await (await fetch(`${server.url}${searchPaths[0]}`, { headers: { cookie } })).text();
    if (!found.includes('<mark>')) throw new Error('la recherche ne trouve rien');
    const rows: Figures[] = [];
    // Search by default looks among the newest 20,000 posts (widening when they hold less than
    // a page); `tout=1` is the reader asking for the whole archive. One connection is the time a
    // person waits when searches do not queue behind each other.
    const pages = [
      ['discussion (50 messages)', topicPaths, 'topic', CONNECTIONS],
      ['recherche', searchPaths, 'search', CONNECTIONS],
      ['recherche, 1 connexion', searchPaths, 'search', 1],
      ['recherche dans tout l’historique', searchPaths.map((p) => `${p}&tout=1`), 'search', CONNECTIONS],
    ] as const;
    for (const [page, paths, , connections] of pages.filter(([, , key]) => !ONLY || key === ONLY)) {
      await run(server.url, cookie, [...paths], connections).then(() => undefined); // warm-up
      const meter = await cpuMeter(server.child.pid!, workers > 1);
      const r = await run(server.url, cookie, [...paths], connections);
      const cpu = await meter.stop(r.requests.total);
      rows.push({ engine: label, page, requestsPerSecond: Math.round(r.requests.average), p50Ms: r.latency.p50, p99Ms: r.latency.p99, cpu, errors: r.errors + r.non2xx, rssMiB: await rssMiB(server.child.pid!, workers > 1) });
    }
    return rows;
  } finally {
    await stopServer(server);
  }
}

async function benchEngine(engine: 'pglite' | 'postgres'): Promise<Figures[]> {
  const target = await freshTarget(engine, ADMIN_URL);
  const env = { ...target.env, LOG_LEVEL: 'warn', PLUGIN_FORUMS_PAGE_SIZE: String(PAGE_POSTS) };
  try {
    const firstStart = await startServer(env);
    await stopServer(firstStart);
    const firstTopic = await seed(target);
    const rows: Figures[] = [];
    for (const workers of engine === 'postgres' && WORKERS > 1 ? [1, WORKERS] : [1]) {
      rows.push(...(await measurePages(engine, { ...env, WEB_CONCURRENCY: String(workers) }, firstTopic, workers)));
    }
    return rows;
  } finally {
    await target.cleanup();
  }
}

const rows: Figures[] = [];
for (const engine of await enginesToRun(ADMIN_URL, 'postgres')) {
  console.log(`… ${engine} : ${POSTS} messages, ${TOPICS} discussions, ${CONNECTIONS} connexions, ${DURATION} s`);
  rows.push(...(await benchEngine(engine)));
}
console.log('\nForums : page de discussion et recherche');
console.table(rows.map((r) => ({ moteur: r.engine, page: r.page, 'req/s': r.requestsPerSecond, 'p50 (ms)': r.p50Ms, 'p99 (ms)': r.p99Ms, erreurs: r.errors, 'mémoire (Mio)': r.rssMiB })));
console.log('\nOù passe le CPU d’une requête');
console.table(rows.map((r) => ({ moteur: r.engine, page: r.page, ...cpuColumns(r.cpu) })));
console.log(JSON.stringify(rows));
