/**
 * Chat under load: N socket.io clients (default 2,000, up to 5,000) in rooms of 20 to 50 people,
 * together sending R messages a second (default 1,000), against one Maillon process; then the
 * same load against a bare socket.io broadcast server, as the ceiling.
 *
 *   npm run bench:chat
 *   npm run bench:chat -- --clients 5000 --rate 2000 --duration 20 --engine postgres
 *
 * Prints messages accepted per second (acknowledged after being stored), deliveries per second
 * (message events received by the room's members), p50/p99 latency from send to delivery, and
 * the server's resident memory. Clients live in this process (lightweight ones, bench/chatClient.ts);
 * the server in its own.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { openDatabase } from '../server/db/database.js';
import { BenchClient } from './chatClient.js';
import { ADMIN_URL, arg, cpuSeconds, freshTarget, postgresReachable, rssMiB, startServer, stopServer, type Target } from './support.js';

const CLIENTS = Math.min(5000, Number(arg('clients', '2000')));
const RATE = Number(arg('rate', '1000'));
const DURATION = Number(arg('duration', '15'));
const WARMUP = 3;
const ENGINE = arg('engine', 'pglite') as 'pglite' | 'postgres';
const SECRET = crypto.randomBytes(32).toString('base64url');

interface Load {
  accepted: number;
  refused: number;
  deliveries: number;
  latencies: number[];
  seconds: number;
  /** The server's CPU seconds during the measured window. */
  cpu: number;
}

/** Room sizes between 20 and 50 that add up to the number of clients. */
function roomSizes(total: number): number[] {
  const sizes: number[] = [];
  let left = total;
  while (left > 0) {
    const size = left <= 50 ? left : Math.min(left - 20 >= 20 ? 20 + Math.floor(Math.random() * 31) : left, left);
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

function signedCookie(sid: string): string {
  const signature = crypto.createHmac('sha256', SECRET).update(sid).digest('base64').replace(/=+$/, '');
  return `maillon.sid=${encodeURIComponent(`s:${sid}.${signature}`)}`;
}

/** N accounts, their rooms (as private groups) and a session each, written straight to the database. */
async function seed(target: Target, sizes: number[]): Promise<{ cookie: string; roomId: number }[]> {
  const database = await openDatabase(target.engine === 'postgres' ? { url: target.env.DATABASE_URL! } : { dataDir: path.join(target.dataDir, 'pglite') });
  const db = database.db;
  const out: { cookie: string; roomId: number }[] = [];
  const expires = new Date(Date.now() + 86_400_000);
  let n = 0;
  for (const size of sizes) {
    const room = await db.insertInto('chat_rooms').values({ kind: 'group', name: `Salon ${out.length}` }).returning('id').executeTakeFirstOrThrow();
    const users = await db
      .insertInto('users')
      .values(Array.from({ length: size }, () => ({ email: `bench${n}@ac-bench.example`, given_name: 'Banc', family_name: `Essai ${n++}`, department_code: '86', academy_code: 'poitiers' })))
      .returning('id')
      .execute();
    await db.insertInto('chat_members').values(users.map((u) => ({ room_id: room.id, user_id: u.id }))).execute();
    const sessions = users.map((u) => ({ sid: crypto.randomBytes(18).toString('base64url'), user: u.id }));
    await db
      .insertInto('sessions')
      .values(sessions.map((s) => ({
        sid: s.sid,
        user_id: s.user,
        expires_at: expires,
        data: JSON.stringify({ cookie: { originalMaxAge: 86_400_000, expires: expires.toISOString(), httpOnly: true, path: '/', sameSite: 'lax' }, passport: { user: s.user } }),
      })))
      .execute();
    for (const s of sessions) out.push({ cookie: signedCookie(s.sid), roomId: room.id });
  }
  await database.close();
  return out;
}

async function connectAll(url: string, people: { cookie?: string; roomId: number }[]): Promise<BenchClient[]> {
  const clients: BenchClient[] = [];
  for (let i = 0; i < people.length; i += 100) {
    clients.push(...(await Promise.all(people.slice(i, i + 100).map((p) => BenchClient.connect(url, { cookie: p.cookie, room: p.roomId })))));
  }
  return clients;
}

/** Every client sends at RATE / CLIENTS per second, at a random phase; latencies count after the warm-up. */
async function run(sockets: BenchClient[], rooms: number[], serverPid: number): Promise<Load> {
  const load: Load = { accepted: 0, refused: 0, deliveries: 0, latencies: [], seconds: DURATION, cpu: 0 };
  const sentAt = new Map<string, number>();
  let measuring = false;
  for (const socket of sockets) {
    socket.onDelivery = (clientId) => {
      if (!measuring) return;
      load.deliveries++;
      const at = sentAt.get(clientId);
      if (at !== undefined) load.latencies.push(performance.now() - at);
    };
  }
  const interval = (CLIENTS / RATE) * 1000;
  let seq = 0;
  const timers: NodeJS.Timeout[] = [];
  sockets.forEach((socket, i) => {
    const tick = () => {
      const clientId = `b${i}-${seq++}-${process.pid}`;
      sentAt.set(clientId, performance.now());
      socket.emit('send', { roomId: rooms[i], clientId, body: `Message de charge ${seq} : **gras** et un lien https://pix.fr` }, (reply) => {
        if (!measuring) return;
        if (reply?.ok) load.accepted++;
        else load.refused++;
      });
    };
    timers.push(setTimeout(() => timers.push(setInterval(tick, interval)), Math.random() * interval));
  });
  await new Promise((r) => setTimeout(r, WARMUP * 1000));
  measuring = true;
  const cpuBefore = await cpuSeconds(serverPid);
  await new Promise((r) => setTimeout(r, DURATION * 1000));
  measuring = false;
  load.cpu = (await cpuSeconds(serverPid)) - cpuBefore;
  for (const t of timers) clearInterval(t);
  await new Promise((r) => setTimeout(r, 1000));
  return load;
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

function report(label: string, load: Load, memory: number | null): { perSecond: number } {
  const sorted = load.latencies.sort((a, b) => a - b);
  const perSecond = load.accepted / load.seconds;
  console.log(
    `${label.padEnd(28)} ${perSecond.toFixed(0).padStart(6)} msg/s acceptés  ${(load.deliveries / load.seconds).toFixed(0).padStart(7)} remises/s  ` +
      `p50 ${pct(sorted, 50).toFixed(1).padStart(6)} ms  p99 ${pct(sorted, 99).toFixed(1).padStart(7)} ms  refusés ${load.refused}  ` +
      `CPU ${((100 * load.cpu) / load.seconds).toFixed(0)} % (${((1000 * load.cpu) / Math.max(1, load.accepted)).toFixed(2)} ms/message)` +
      (memory !== null ? `  mémoire ${memory} Mio` : ''),
  );
  return { perSecond };
}

async function main(): Promise<void> {
  if (ENGINE === 'postgres' && !(await postgresReachable(ADMIN_URL))) throw new Error(`PostgreSQL injoignable à ${ADMIN_URL}`);
  const sizes = roomSizes(CLIENTS);
  console.log(`bench:chat — ${CLIENTS} clients, ${sizes.length} salons de 20 à 50, ${RATE} messages/s au total, ${DURATION} s mesurées (${ENGINE})`);
  const target = await freshTarget(ENGINE, ADMIN_URL);
  const env = { ...target.env, SESSION_SECRET: SECRET, LOG_LEVEL: 'warn', JOBS_RUNNER: 'false', PLUGINS_DISABLED: 'home,training' };
  try {
    // First start: migrations. Then the accounts and rooms go in while the server is down (PGlite is one process).
    await stopServer(await startServer(env));
    const people = await seed(target, sizes);
    const server = await startServer(env);
    const sockets = await connectAll(server.url, people);
    const rooms = people.map((p) => p.roomId);
    const chat = await run(sockets, rooms, server.child.pid!);
    const memory = await rssMiB(server.child.pid!);
    for (const s of sockets) s.close();
    await stopServer(server);
    const maillon = report('Maillon (chat, 1 processus)', chat, memory);

    const bare = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'chatBareServer.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve) => bare.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
    const bareSockets = await connectAll(`http://127.0.0.1:${port}`, people.map((p) => ({ roomId: p.roomId })));
    const ceiling = await run(bareSockets, rooms, bare.pid!);
    const bareMemory = await rssMiB(bare.pid!);
    for (const s of bareSockets) s.close();
    bare.kill('SIGTERM');
    const top = report('socket.io nu (plafond)', ceiling, bareMemory);
    console.log(`Maillon / plafond : ${((100 * maillon.perSecond) / top.perSecond).toFixed(0)} % des messages acceptés par seconde`);
  } finally {
    await target.cleanup();
  }
}

await main();
process.exit(0);
