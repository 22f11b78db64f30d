import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import supertest from 'supertest';
import type { Socket } from 'socket.io-client';
import { ROOT, csrfFrom, startTestApp, type TestApp } from '../support/testApp.js';
import { ENGINE, requirePostgresServer } from '../support/engine.js';
import { call, chatter, cid, nextMessage } from './support.js';

const CHAT = path.join(ROOT, 'plugins', 'chat');
const MAIN = path.join(ROOT, 'server', 'main.ts');

/** A second Maillon process, started as `npm start` does, on the same database. */
class Process {
  child: ChildProcess | null = null;
  constructor(private readonly env: Record<string, string>, readonly port: number) {}
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', HOST: '127.0.0.1', PORT: String(this.port), LOG_LEVEL: 'warn', ...this.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.child = child;
      let output = '';
      const timer = setTimeout(() => reject(new Error(`pas de démarrage en 60 s :\n${output}`)), 60_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (/Maillon est prêt/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`arrêt inattendu (code ${code}) :\n${output}`));
      });
    });
  }

  stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.removeAllListeners('exit');
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  async loginAs(key: string): Promise<supertest.Agent> {
    const client = supertest.agent(this.url);
    const page = await client.get('/auth/dev').expect(200);
    await client.post('/auth/dev').type('form').send({ _csrf: csrfFrom(page.text), account: key, next: '/' }).expect(303);
    return client;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

describe(`chat across processes on one PostgreSQL database (${ENGINE} pass)`, function () {
  this.timeout(120_000);
  let t: TestApp;
  let other: Process;
  let dataDir: string;
  const sockets: Socket[] = [];
  let vienne: number;

  before(async function () {
    const server = requirePostgresServer(this);
    t = await startTestApp({ pluginDirs: [CHAT], postgresServer: server });
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'maillon-chat-'));
    other = new Process(
      { NODE_ENV: 'test', DATABASE_URL: t.testDb.url!, DATA_DIR: dataDir, PLUGINS_DISABLED: 'home,training', JOBS_RUNNER: 'false', LOGIN_RATE_LIMIT: '1000', PG_POOL: '4' },
      await freePort(),
    );
    await other.start();
    vienne = (await t.maillon.core.db.selectFrom('chat_rooms').select('id').where('slug', '=', 'departement:86').executeTakeFirstOrThrow()).id;
  });
  after(async () => {
    for (const s of sockets) s.close();
    await other?.stop();
    await t?.close();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('delivers a message sent through one process to a client of the other, and sees who is online on both', async () => {
    const elodie = await chatter(t, 'rupn-poitiers');
    const nicolas = await chatter(other, 'rupn-chatellerault');
    const a = await elodie.socket(t.url);
    const b = await nicolas.socket(other.url);
    sockets.push(a, b);
    const there = nextMessage(b, (m) => m.body === 'Bonjour de l’autre processus');
    const sent = await call(a, 'send', { roomId: vienne, clientId: cid(), body: 'Bonjour de l’autre processus' });
    expect(sent.ok).to.equal(true);
    expect((await there).id).to.equal(sent.id);
    const back = nextMessage(a, (m) => m.body === 'Bien reçu');
    await call(b, 'send', { roomId: vienne, clientId: cid(), body: 'Bien reçu' });
    await back;
    const who = await call(a, 'who', { roomId: vienne });
    expect((who.users as { name: string }[]).map((u) => u.name)).to.include.members(['Élodie Moreau', 'Nicolas Petit']);
    // A DM opened over HTTP on one process reaches the other's sockets at once.
    const page = await elodie.agent.get('/chat').expect(200);
    const dm = await elodie.agent.post('/chat/dm').type('form').send({ _csrf: csrfFrom(page.text), email: 'nicolas.petit@ac-poitiers.example' }).expect(303);
    const dmId = Number(/\/chat\/rooms\/(\d+)/.exec(dm.headers.location!)![1]);
    await new Promise((r) => setTimeout(r, 300));
    const private1 = nextMessage(b, (m) => m.roomId === dmId);
    await call(a, 'send', { roomId: dmId, clientId: cid(), body: 'En privé' });
    expect((await private1).body).to.equal('En privé');
  });

  it('keeps sharing rooms after the database drops the LISTEN connection of a process', async () => {
    const elodie = await chatter(t, 'rupn-poitiers');
    const nicolas = await chatter(other, 'rupn-chatellerault');
    const a = await elodie.socket(t.url);
    const b = await nicolas.socket(other.url);
    sockets.push(a, b);
    const { sql } = await import('kysely');
    const killed = await sql<{ n: number }>`select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and query ilike 'LISTEN%'`.execute(t.maillon.core.db);
    expect(killed.rows[0]!.n).to.be.greaterThan(0);
    // Both processes are still up; once their adapters have listened again, messages cross over.
    let delivered = false;
    for (let i = 0; i < 40 && !delivered; i++) {
      const body = `après la coupure ${i}`;
      const there = nextMessage(b, (m) => m.body === body, 500).then(() => true, () => false);
      expect((await call(a, 'send', { roomId: vienne, clientId: cid(), body })).ok).to.equal(true);
      delivered = await there;
    }
    expect(delivered).to.equal(true);
    expect(other.child!.exitCode).to.equal(null);
  });

  it('survives a restart of the server mid-conversation: the client reconnects, catches up, nothing lost or duplicated', async () => {
    const elodie = await chatter(t, 'rupn-poitiers');
    const nicolas = await chatter(other, 'rupn-chatellerault');
    const a = await elodie.socket(t.url);
    const b = await nicolas.socket(other.url);
    sockets.push(a, b);
    const before = await call(b, 'send', { roomId: vienne, clientId: cid(), body: 'avant le redémarrage' });
    expect(before.ok).to.equal(true);
    const disconnected = new Promise((r) => b.once('disconnect', r));
    await other.stop();
    await disconnected;
    const missed: number[] = [];
    for (let i = 0; i < 3; i++) missed.push((await call(a, 'send', { roomId: vienne, clientId: cid(), body: `pendant l'arrêt ${i}` })).id as number);
    // Nicolas had typed a message: the client sends it again with the same id after the restart.
    const pendingId = cid('pending');
    const reconnected = new Promise<void>((r) => b.io.once('reconnect', () => r()));
    await other.start();
    await reconnected;
    const catchup = await call(b, 'catchup', { since: { [vienne]: before.id } });
    expect((catchup.messages as Record<string, { id: number }[]>)[vienne]!.map((m) => m.id)).to.deep.equal(missed);
    const first = await call(b, 'send', { roomId: vienne, clientId: pendingId, body: 'tapé pendant la coupure' });
    const retry = await call(b, 'send', { roomId: vienne, clientId: pendingId, body: 'tapé pendant la coupure' });
    expect(retry.id).to.equal(first.id);
    const rows = await t.maillon.core.db.selectFrom('chat_messages').select('id').where('room_id', '=', vienne).where('id', '>', before.id as number).orderBy('id').execute();
    expect(rows.map((r) => Number(r.id))).to.deep.equal([...missed, first.id]);
    // Live delivery across processes resumes once the restarted process's adapter listens again
    // (its LISTEN connection comes up a moment after the socket does).
    let delivered = false;
    for (let i = 0; i < 20 && !delivered; i++) {
      const body = `de nouveau là ${i}`;
      const live = nextMessage(a, (m) => m.body === body, 500).then(() => true, () => false);
      expect((await call(b, 'send', { roomId: vienne, clientId: cid(), body })).ok).to.equal(true);
      delivered = await live;
    }
    expect(delivered).to.equal(true);
  });
});
