import cluster from 'node:cluster';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import { createMaillon } from './app.js';
import { IdpConfigError } from './auth/identityProviders.js';
import { checkSamlConfiguration } from './auth/saml/samlSetup.js';

/**
 * Starts Maillon: configuration, database, migrations, plugins, packs, then listens.
 * With WEB_CONCURRENCY=N (PostgreSQL only) N worker processes share the port: the first one
 * migrates and seeds, the others start once it is ready.
 */
async function main(): Promise<void> {
  const startedAt = performance.now();
  const config = loadConfig();
  const log = createLogger(config.logLevel, { buffered: config.mode !== 'development' });
  if (config.mode === 'production' && cluster.isPrimary) await checkSamlConfiguration(config, log);
  if (config.workers > 1 && cluster.isPrimary) return runPrimary(config, log, startedAt);
  return runWorker(config, log, startedAt);
}

async function runWorker(config: Config, log: Logger, startedAt: number): Promise<void> {
  const maillon = await createMaillon(config, { logger: log });
  await new Promise<void>((resolve, reject) => {
    maillon.server.once('error', reject);
    maillon.server.listen(config.port, config.host, resolve);
  });
  const address = maillon.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = config.baseUrl.includes(`:${config.port}`) ? config.baseUrl.replace(`:${config.port}`, `:${port}`) : config.baseUrl;
  log.info({ url, engine: maillon.core.database.engine, startupMs: Math.round(performance.now() - startedAt) }, 'Maillon est prêt');
  if (cluster.isWorker) process.send?.({ type: 'ready', url });
  else announce(url, config, maillon.core.database.engine, 1);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'arrêt de Maillon');
    const timer = setTimeout(() => process.exit(1), 10_000);
    timer.unref();
    await maillon.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

async function runPrimary(config: Config, log: Logger, startedAt: number): Promise<void> {
  let stopping = false;
  const ready = (worker: ReturnType<typeof cluster.fork>) =>
    new Promise<string>((resolve, reject) => {
      worker.on('message', (m: { type?: string; url?: string }) => m?.type === 'ready' && resolve(m.url!));
      worker.once('exit', (code) => reject(new Error(`le processus ${worker.id} s'est arrêté au démarrage (code ${code})`)));
    });
  // The first worker migrates and seeds alone; the others find the work done.
  const url = await ready(cluster.fork());
  await Promise.all(Array.from({ length: config.workers - 1 }, () => ready(cluster.fork())));
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    log.error({ worker: worker.id, code, signal }, 'processus arrêté : relance');
    setTimeout(() => cluster.fork(), 1000);
  });
  log.info({ url, workers: config.workers, startupMs: Math.round(performance.now() - startedAt) }, 'Maillon est prêt');
  announce(url, config, 'postgres', config.workers);

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'arrêt de Maillon');
    const workers = Object.values(cluster.workers ?? {});
    let remaining = workers.length;
    if (remaining === 0) process.exit(0);
    for (const worker of workers) {
      worker?.once('exit', () => --remaining === 0 && process.exit(0));
      worker?.process.kill('SIGTERM');
    }
    setTimeout(() => process.exit(1), 12_000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

function announce(url: string, config: Config, engine: string, workers: number): void {
  const database = engine === 'pglite' ? `PGlite intégré (${config.dataDir})` : 'PostgreSQL';
  process.stdout.write(`\nMaillon est prêt : ${url}\n  base de données : ${database}${workers > 1 ? `\n  processus : ${workers}` : ''}\n\n`);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof IdpConfigError) {
    process.stderr.write(`Maillon ne peut pas démarrer.\n${error.message}\n`);
    process.exit(78);
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    process.stderr.write(`Maillon ne peut pas démarrer : le port est déjà utilisé (variable PORT).\n`);
    process.exit(1);
  }
  process.stderr.write(`Maillon ne peut pas démarrer : ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
