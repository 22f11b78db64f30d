import { fork, spawn, type ChildProcess } from 'node:child_process';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import supertest from 'supertest';

export const ROOT = path.resolve(import.meta.dirname, '..');

export interface Target {
  engine: 'pglite' | 'postgres';
  env: Record<string, string>;
  dataDir: string;
  cleanup(): Promise<void>;
}

/** A fresh place for Maillon's data: a temporary folder, plus a new database on PostgreSQL. */
export async function freshTarget(engine: 'pglite' | 'postgres', adminUrl: string): Promise<Target> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'maillon-bench-'));
  if (engine === 'pglite') {
    return { engine, env: { DATA_DIR: dataDir }, dataDir, cleanup: () => fs.rm(dataDir, { recursive: true, force: true }) };
  }
  const name = `maillon_bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    engine,
    env: { DATA_DIR: dataDir, DATABASE_URL: url.toString() },
    dataDir,
    async cleanup() {
      // BENCH_KEEP=1 leaves the database for EXPLAIN ANALYZE of what was measured.
      if (process.env.BENCH_KEEP) return void console.log(`  base conservée : ${url.toString()}`);
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Server {
  child: ChildProcess;
  url: string;
  /** Milliseconds from spawn to the first 200 on /healthz. */
  startMs: number;
}

/** A port nobody listens on now, as the system hands them out (a random pick once met a busy one). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Spawns `server/main.ts` and waits for /healthz to answer 200. */
export async function startServer(env: Record<string, string>): Promise<Server> {
  const port = Number(env.PORT) || (await freePort());
  const started = performance.now();
  // BENCH_NODE_ARGS passes flags to the measured server, e.g. --cpu-prof to see where time goes.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(ROOT, 'server', 'main.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'test', LOG_LEVEL: 'info', HOST: '127.0.0.1', ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`le serveur s'est arrêté (code ${child.exitCode})`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.status === 200) return { child, url, startMs: Math.round(performance.now() - started) };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function stopServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null) return resolve();
    server.child.once('exit', () => resolve());
    server.child.kill('SIGTERM');
  });
}

/** Resident memory of a process (and of its children, for a cluster), in MiB, from /proc. */
export async function rssMiB(pid: number, withChildren = false): Promise<number> {
  const read = async (p: number) => Number(/VmRSS:\s+(\d+)/.exec(await fs.readFile(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
  let kb = await read(pid);
  if (withChildren) {
    const children = (await fs.readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean);
    for (const child of children) kb += await read(Number(child));
  }
  return Math.round(kb / 1024);
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc (Linux); with its children
 * (the workers of a cluster) when asked. Steadier than requests per second on a shared machine.
 */
export async function cpuSeconds(pid: number, withChildren = false): Promise<number> {
  const read = async (p: number) => statSeconds(await fs.readFile(`/proc/${p}/stat`, 'utf8'));
  let seconds = await read(pid);
  if (withChildren) {
    const children = (await fs.readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean);
    for (const child of children) seconds += await read(Number(child));
  }
  return seconds;
}

/**
 * CPU seconds in a /proc/<pid>/stat line: user and system time, plus that of ended children
 * the process waited for when asked. Fields are counted after the command name, which may hold
 * spaces: utime and stime are the 12th and 13th, cutime and cstime the 14th and 15th.
 */
function statSeconds(stat: string, withEndedChildren = false): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]) + (withEndedChildren ? Number(fields[13]) + Number(fields[14]) : 0);
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** Where the CPU of a measured run went, per request, and the rate at which it fills the machine. */
export interface CpuShare {
  /** Maillon's processes (the primary and its workers). */
  maillonMs: number;
  /** Every `postgres` process of this machine: the database server, when it runs here. */
  postgresMs: number;
  /** The bench's own process, where autocannon builds requests and reads answers. */
  loadMs: number;
  /**
   * Requests per second at which these three would keep every core of the machine busy: what
   * no change to one of them alone can pass. On a small machine the load generator and the
   * database share the cores with the server, as they do here.
   */
  ceiling: number;
}

function localPostgresSeconds(): number {
  let seconds = 0;
  for (const pid of fsSync.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (fsSync.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
      // With the time of ended children: a backend that ends during the run (a pool closing an
      // idle connection) has its time moved to the postmaster's.
      seconds += statSeconds(fsSync.readFileSync(`/proc/${pid}/stat`, 'utf8'), true);
    } catch {
      // the process ended while being read
    }
  }
  return seconds;
}

/** Starts counting CPU; `stop(requests)` gives each party's share per request. Linux only (/proc). */
export async function cpuMeter(serverPid: number, withChildren: boolean) {
  const maillon = await cpuSeconds(serverPid, withChildren);
  const postgres = localPostgresSeconds();
  const load = process.cpuUsage();
  return {
    async stop(requests: number): Promise<CpuShare> {
      const perRequest = (seconds: number) => (1000 * seconds) / Math.max(1, requests);
      const own = process.cpuUsage(load);
      const share = {
        maillonMs: perRequest((await cpuSeconds(serverPid, withChildren)) - maillon),
        postgresMs: perRequest(localPostgresSeconds() - postgres),
        loadMs: perRequest((own.user + own.system) / 1e6),
      };
      const total = share.maillonMs + share.postgresMs + share.loadMs;
      const round = (ms: number) => Math.round(ms * 100) / 100;
      return {
        maillonMs: round(share.maillonMs),
        postgresMs: round(share.postgresMs),
        loadMs: round(share.loadMs),
        ceiling: Math.round((1000 * os.availableParallelism()) / Math.max(total, 0.001)),
      };
    },
  };
}

/** The columns a bench table gives a CpuShare. */
export function cpuColumns(share: CpuShare) {
  return {
    'CPU Maillon/req (ms)': share.maillonMs,
    'CPU PostgreSQL/req (ms)': share.postgresMs,
    'CPU banc/req (ms)': share.loadMs,
    [`plafond ${os.availableParallelism()} cœurs (req/s)`]: share.ceiling,
  };
}

/** Logs in through the development login and returns the session cookie. */
export async function loginCookie(url: string, account: string): Promise<string> {
  const agent = supertest.agent(url);
  const page = await agent.get('/auth/dev');
  const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
  const res = await agent.post('/auth/dev').type('form').send({ _csrf: token, account, next: '/' });
  if (res.status !== 303) throw new Error(`connexion refusée : ${res.status}`);
  const cookie = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('maillon.sid='))!;
  return cookie.split(';')[0]!;
}

export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

/** PostgreSQL server used by the benchmarks (the tests' server by default). */
export const ADMIN_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** The engines named by --engine (default: `fallback`); PostgreSQL is left out, with a message, when unreachable. */
export async function enginesToRun(adminUrl = ADMIN_URL, fallback: 'both' | 'pglite' | 'postgres' = 'both'): Promise<('pglite' | 'postgres')[]> {
  const wanted = arg('engine', fallback);
  const engines: ('pglite' | 'postgres')[] = wanted === 'both' ? ['pglite', 'postgres'] : [wanted as 'pglite' | 'postgres'];
  if (engines.includes('postgres') && !(await postgresReachable(adminUrl))) {
    console.log(`PostgreSQL injoignable à ${adminUrl} : moteur ignoré`);
    return engines.filter((e) => e !== 'postgres');
  }
  return engines;
}

/** True when a PostgreSQL server answers at this URL (benchmarks skip the engine otherwise). */
export async function postgresReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** The sink process: its SMTP URL and how many mails it received so far. */
export interface Sink {
  url: string;
  count(): Promise<number>;
  stop(): Promise<void>;
}

/** A local SMTP sink in its own process (bench/smtpSinkProcess.ts), so that it does not share the measured process's CPU. */
export async function startSinkProcess(): Promise<Sink> {
  const child: ChildProcess = fork(path.join(import.meta.dirname, 'smtpSinkProcess.ts'), [], { execArgv: ['--import', 'tsx'] });
  const ask = <T>(message: string, key: string) =>
    new Promise<T>((resolve) => {
      const listener = (reply: Record<string, T>) => {
        if (key in reply) {
          child.off('message', listener);
          resolve(reply[key]!);
        }
      };
      child.on('message', listener);
      if (message) child.send(message);
    });
  const port = await ask<number>('', 'port');
  return {
    url: `smtp://127.0.0.1:${port}`,
    count: () => ask<number>('count', 'count'),
    stop: () => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.send('stop'))),
  };
}
