/**
 * Events: a RUPN's pages and calendar feed with 300 upcoming events in her département, and a
 * burst of simultaneous registrations to one event of 50 seats (the waiting list takes the
 * rest, under the event's row lock). On PostgreSQL and PGlite.
 *
 *   npm run bench:events                              # both engines
 *   npm run bench:events -- --engine pglite --events 300 --people 300 --duration 10 --connections 10
 */
import { sql } from 'kysely';
import path from 'node:path';
import autocannon from 'autocannon';
import { openDatabase } from '../server/db/database.js';
import { ADMIN_URL, arg, enginesToRun, freshTarget, loginCookie, rssMiB, startServer, stopServer, type Target } from './support.js';

const EVENTS = Number(arg('events', '300'));
const PEOPLE = Number(arg('people', '300'));
const SEATS = 50;
const CONNECTIONS = Number(arg('connections', '10'));
const DURATION = Number(arg('duration', '10'));

async function seed(target: Target): Promise<{ feedToken: string; burstEvent: number }> {
  const database = await openDatabase(target.engine === 'pglite' ? { dataDir: path.join(target.dataDir, 'pglite') } : { url: target.env.DATABASE_URL });
  const db = database.db;
  // Events every day or so from tomorrow on, for the Vienne; the RUPN is registered to one in three.
  await sql`
    insert into events (title, description, kind, starts_at, ends_at, audience_kind, audience_code, capacity, place, visio_kind, visio_url, organiser_id)
    select 'Événement ' || g, 'Description **' || g || '**', (array['webinaire','atelier','regroupement','cafe'])[1 + g % 4],
           now() + make_interval(hours => 24 + g * 7), now() + make_interval(hours => 25 + g * 7), 'departement', '86', 100, 'Poitiers',
           'jitsi', 'https://meet.example.org/' || g, null
    from generate_series(1, ${EVENTS}::int) g`.execute(db);
  const rupn = (await db.selectFrom('user_identities').select('user_id').where('provider', '=', 'demo').where('subject', '=', 'nouvelle-rupn').executeTakeFirstOrThrow()).user_id;
  await sql`insert into event_registrations (event_id, user_id, state) select id, ${rupn}, 'registered' from events where id % 3 = 0`.execute(db);
  const feedToken = 'benchfeedtoken0123456789abcdef';
  await db.insertInto('event_feeds').values({ user_id: rupn, token: feedToken }).execute();
  const burst = await db
    .insertInto('events')
    .values({ title: 'Webinaire très demandé', description: '', audience_role: null, registration_opens_at: null, registration_closes_at: null, replay_url: null, organiser_id: null, kind: 'webinaire', starts_at: new Date(Date.now() + 5 * 86400_000), ends_at: new Date(Date.now() + 5 * 86400_000 + 3600_000), audience_kind: 'departement', audience_code: '86', capacity: SEATS, place: '', visio_kind: 'jitsi', visio_url: 'https://meet.example.org/x' })
    .returning('id')
    .executeTakeFirstOrThrow();
  // People who can log in through the development login.
  const uai = (await db.selectFrom('establishments').select('uai').where('department_code', '=', '86').executeTakeFirstOrThrow()).uai;
  await sql`
    with u as (
      insert into users (email, given_name, family_name, academy_code, department_code)
      select 'inscrit' || g || '@ac-poitiers.example', 'Prénom' || g, 'Nom' || g, 'poitiers', '86' from generate_series(1, ${PEOPLE}::int) g
      returning id, email
    ), r as (insert into user_roles (user_id, role, granted_at) select id, 'rupn', now() from u returning user_id),
    i as (insert into user_identities (provider, subject, user_id) select 'demo', split_part(email, '@', 1), id from u returning user_id)
    insert into user_establishments (user_id, uai, function, is_primary) select id, ${uai}, 'ENS', true from u`.execute(db);
  await sql`analyze`.execute(db);
  await database.close();
  return { feedToken, burstEvent: burst.id };
}

async function cannon(url: string, cookie?: string) {
  const run = (duration: number) => autocannon({ url, connections: CONNECTIONS, duration, headers: { ...(cookie ? { cookie } : {}), accept: 'text/html' } });
  await run(2);
  const r = await run(DURATION);
  return { rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

async function benchEngine(engine: 'pglite' | 'postgres') {
  const target = await freshTarget(engine, ADMIN_URL);
  const env = { ...target.env, LOG_LEVEL: 'warn', JOBS_RUNNER: 'false', LOGIN_RATE_LIMIT: '100000', PLUGINS_DISABLED: 'training' };
  try {
    const first = await startServer(env);
    await stopServer(first);
    const { feedToken, burstEvent } = await seed(target);
    const server = await startServer(env);
    try {
      const cookie = await loginCookie(server.url, 'nouvelle-rupn');
      const list = await cannon(`${server.url}/events`, cookie);
      const month = await cannon(`${server.url}/events/calendrier`, cookie);
      const feed = await cannon(`${server.url}/events/flux/${feedToken}.ics`);
      // Registration burst: every person posts at once.
      const sessions = [];
      for (let i = 1; i <= PEOPLE; i++) {
        const c = await loginCookie(server.url, `inscrit${i}`);
        const page = await (await fetch(`${server.url}/events/${burstEvent}`, { headers: { cookie: c } })).text();
        sessions.push({ cookie: c, token: /name="_csrf" value="([^"]+)"/.exec(page)![1]! });
      }
      const started = performance.now();
      const statuses = await Promise.all(
        sessions.map((s) =>
          fetch(`${server.url}/events/${burstEvent}/inscription`, { method: 'POST', redirect: 'manual', headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${encodeURIComponent(s.token)}` }).then((r) => r.status),
        ),
      );
      const burstMs = performance.now() - started;
      const rss = await rssMiB(server.child.pid!);
      const database = await openDatabase(target.engine === 'pglite' ? { dataDir: path.join(target.dataDir, 'pglite') } : { url: target.env.DATABASE_URL });
      await stopServer(server);
      const states = await database.db.selectFrom('event_registrations').select(['state', (eb) => eb.fn.countAll<string>().as('n')]).where('event_id', '=', burstEvent).groupBy('state').execute();
      await database.close();
      return {
        engine,
        list,
        month,
        feed,
        burst: {
          perSecond: Math.round((PEOPLE / burstMs) * 1000),
          ok: statuses.filter((s) => s === 303).length,
          registered: Number(states.find((s) => s.state === 'registered')?.n ?? 0),
          waiting: Number(states.find((s) => s.state === 'waiting')?.n ?? 0),
        },
        rss,
      };
    } finally {
      await stopServer(server);
    }
  } finally {
    await target.cleanup();
  }
}

const results = [];
for (const engine of await enginesToRun()) {
  console.log(`… ${engine} : ${EVENTS} événements, ${PEOPLE} inscriptions simultanées pour ${SEATS} places, ${CONNECTIONS} connexions, ${DURATION} s`);
  results.push(await benchEngine(engine));
}
console.log('\nÉvénements : pages d’une RUPN et flux iCal');
console.table(
  results.flatMap((r) =>
    (['list', 'month', 'feed'] as const).map((k) => ({ moteur: r.engine, page: { list: 'GET /events', month: 'GET /events/calendrier', feed: 'flux iCal (100 événements)' }[k], 'req/s': r[k].rps, 'p50 (ms)': r[k].p50, 'p99 (ms)': r[k].p99, erreurs: r[k].errors })),
  ),
);
console.log('Inscriptions simultanées');
console.table(results.map((r) => ({ moteur: r.engine, 'inscriptions/s': r.burst.perSecond, 'réponses 303': r.burst.ok, inscrits: r.burst.registered, "liste d'attente": r.burst.waiting, 'mémoire (Mio)': r.rss })));
console.log(JSON.stringify(results));
