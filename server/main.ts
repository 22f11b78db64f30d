import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './log.js';
import { createMaillon } from './app.js';
import { IdpConfigError, readIdentityProviders } from './auth/identityProviders.js';

/** Starts Maillon: configuration, database, migrations, plugins, packs, then listens. */
async function main(): Promise<void> {
  const startedAt = performance.now();
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  if (config.mode === 'production') {
    const idps = await readIdentityProviders(config.idpConfigPath!);
    if (idps.length === 0) throw new ConfigError([`aucun fournisseur d'identité dans ${config.idpConfigPath}`]);
  }
  const maillon = await createMaillon(config, { logger: log });
  await new Promise<void>((resolve, reject) => {
    maillon.server.once('error', reject);
    maillon.server.listen(config.port, config.host, resolve);
  });
  const address = maillon.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = config.baseUrl.includes(`:${config.port}`) ? config.baseUrl.replace(`:${config.port}`, `:${port}`) : config.baseUrl;
  log.info({ url, engine: maillon.core.database.engine, startupMs: Math.round(performance.now() - startedAt) }, 'Maillon est prêt');
  process.stdout.write(`\nMaillon est prêt : ${url}\n  base de données : ${maillon.core.database.engine === 'pglite' ? `PGlite intégré (${config.dataDir})` : 'PostgreSQL'}\n\n`);

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
