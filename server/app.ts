import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import express from 'express';
import session from 'express-session';
import { csrfSync } from 'csrf-sync';
import { pinoHttp } from 'pino-http';
import type { Server as SocketServer } from 'socket.io';
import type { Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import { openDatabase, type Database } from './db/database.js';
import { migrate, readMigrations } from './db/migrator.js';
import { syncGeography } from './geography/geography.js';
import { CORE_CAPABILITIES, Permissions } from './auth/permissions.js';
import { createPassport } from './auth/passport.js';
import { HookBus } from './plugins/hooks.js';
import { Registry } from './plugins/registry.js';
import { dropNulFromBody, queryWithoutNul, refuseNulInPath } from './web/nulBytes.js';
import { PluginHost } from './plugins/host.js';
import { GuardedRouter } from './plugins/router.js';
import { Renderer } from './web/render.js';
import { DbSessionStore } from './web/sessionStore.js';
import { pruneRateLimits } from './web/rateLimits.js';
import { securityHeaders } from './web/security.js';
import { saveBeforeRedirect } from './web/saveBeforeRedirect.js';
import { errorHandler, notFoundHandler } from './web/errorHandler.js';
import { UserService } from './users/userService.js';
import { PackLibrary } from './content/packLibrary.js';
import { seedDemoData } from './demo/demoData.js';
import { createSocketServer } from './realtime/socketServer.js';
import { healthRoutes } from './pages/healthRoutes.js';
import { authRoutes } from './pages/authRoutes.js';
import { homeRoutes } from './pages/homeRoutes.js';
import { adminRoutes } from './pages/adminRoutes.js';
import { packRoutes } from './pages/packRoutes.js';
import { samlRoutes } from './pages/samlRoutes.js';
import { samlAdminRoutes } from './pages/samlAdminRoutes.js';
import { createSamlService } from './auth/saml/samlSetup.js';
import { notificationRoutes } from './pages/notificationRoutes.js';
import { serviceAdminRoutes } from './pages/serviceAdminRoutes.js';
import { mailRoutes } from './pages/mailRoutes.js';
import { fileRoutes } from './pages/fileRoutes.js';
import { JobRunner } from './jobs/jobRunner.js';
import { jobPruner } from './jobs/jobQueue.js';
import { Mailer } from './mail/mailer.js';
import { Notifier } from './notifications/notifier.js';
import { FileStore } from './files/fileStore.js';
import { coreServiceHooks } from './notifications/notificationHooks.js';
import type { CoreServices } from './services.js';
import type { Strategy } from 'passport';
import packageJson from '../package.json' with { type: 'json' };

const ROOT = path.resolve(import.meta.dirname, '..');
const CORE_MIGRATIONS = path.join(import.meta.dirname, 'db', 'migrations');

export interface Maillon {
  app: express.Express;
  server: http.Server;
  io: SocketServer;
  core: CoreServices;
  /** Closes sockets, plugins, sessions and the database (the HTTP server too if listening). */
  close(): Promise<void>;
}

export interface CreateOptions {
  /** An already opened database (tests share engines this way); otherwise opened from config. */
  database?: Database;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
}

/** Builds the whole platform without listening, so tests run it on an ephemeral port. */
export async function createMaillon(config: Config, options: CreateOptions = {}): Promise<Maillon> {
  const startedAt = new Date();
  const log = options.logger ?? createLogger(config.logLevel);
  const database =
    options.database ??
    (await openDatabase({ url: config.databaseUrl, dataDir: config.databaseUrl ? null : path.join(config.dataDir, 'pglite') }));
  const db = database.db;

  await migrate(db, 'core', await readMigrations('core', CORE_MIGRATIONS));
  await syncGeography(db);

  let plugins: PluginHost | undefined;
  const hooks = new HookBus(log, (failure) => plugins?.recordHookFailure(failure));
  const permissions = new Permissions();
  permissions.declare('core', CORE_CAPABILITIES);
  const registry = new Registry();
  registry.addNav('core', [
    { id: 'home', label: 'Accueil', href: '/', can: 'authenticated', order: 0 },
    { id: 'admin', label: 'Administration', href: '/admin', can: 'core:admin', order: 1000 },
  ]);
  const users = new UserService(db, hooks);
  const packs = new PackLibrary(db, hooks, log);
  const sessions = new DbSessionStore(db);
  const secret = config.sessionSecret ?? (await localSessionSecret(config));
  const passport = createPassport(users);
  const saml = await createSamlService(config, { db, users, log });
  // passport-saml is typed against Express 4's Request; the strategy itself is version-agnostic.
  passport.use('saml', saml.strategy() as unknown as Strategy);
  const { generateToken, csrfSynchronisedProtection } = csrfSync({
    size: 32,
    getTokenFromRequest: (req) => (req.body as Record<string, unknown> | undefined)?._csrf as string | undefined ?? req.get('x-csrf-token'),
  });
  const renderer = new Renderer({
    cache: config.mode !== 'development',
    hooks,
    registry,
    permissions,
    csrfToken: (req) => generateToken(req),
    appVersion: packageJson.version,
  });

  const jobs = new JobRunner(db, log.child({ service: 'jobs' }), { pollMs: config.jobsPollMs });
  jobs.define('core', 'jobs:prune', async () => void (await jobPruner(db, 14)), { schedule: { cron: '15 3 * * *' }, maxAttempts: 2 });
  jobs.define('core', 'rate-limits:prune', async () => void (await pruneRateLimits(db)), { schedule: { cron: '35 * * * *' }, maxAttempts: 2 });
  const mail = new Mailer({
    db,
    log: log.child({ service: 'mail' }),
    jobs,
    hooks,
    renderer,
    baseUrl: config.baseUrl,
    from: config.mailFrom,
    smtpUrl: config.smtpUrl,
    ratePerSecond: config.mailRatePerSecond,
    secret,
  });
  const notifications = new Notifier({ db, jobs, mailer: mail, baseUrl: config.baseUrl, digestCron: config.digestCron });
  const files = new FileStore({ db, dir: path.join(config.dataDir, 'files'), maxBytes: config.filesMaxBytes });
  for (const registration of coreServiceHooks(notifications, renderer)) hooks.register('core', registration);

  const app = express();
  app.disable('x-powered-by');
  // Pages are personal and carry a CSRF token: an ETag (a hash of every body) would never match.
  app.set('etag', false);
  app.set('query parser', queryWithoutNul);
  if (config.trustProxy) app.set('trust proxy', /^\d+$/.test(config.trustProxy) ? Number(config.trustProxy) : config.trustProxy);
  const server = http.createServer(app);

  const sessionMiddleware = session({
    name: 'maillon.sid',
    secret,
    store: sessions,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    proxy: Boolean(config.trustProxy),
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.mode === 'production',
      maxAge: config.sessionMaxAgeHours * 3600_000,
    },
  });

  app.use(
    pinoHttp({
      logger: log,
      genReqId: (req) => (req.headers['x-request-id'] as string | undefined)?.slice(0, 64) || crypto.randomUUID(),
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      serializers: {
        req: (req) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
      customProps: (req) => ({ userId: (req as express.Request).user?.id }),
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/favicon.ico' || (req.url ?? '').startsWith('/static/') },
    }),
  );
  app.use(securityHeaders(config.mode === 'production', () => saml.formActionOrigins()));
  app.use(refuseNulInPath);
  app.use('/static', express.static(path.join(ROOT, 'public'), { maxAge: config.mode === 'production' ? '1h' : 0 }));
  app.use('/static/vendor/socket.io', express.static(path.join(ROOT, 'node_modules', 'socket.io', 'client-dist')));
  // Health checks (load balancers) and /favicon.ico come without cookies: answered before sessions are read.
  const healthRouter = new GuardedRouter('core', '', { permissions, csrf: csrfSynchronisedProtection, registry });
  app.use(healthRouter.router);
  // SAML messages posted by IdPs get their own parser (smaller limit, refusals audited).
  const unlessSaml = (parser: express.RequestHandler): express.RequestHandler => (req, res, next) =>
    req.path.startsWith('/auth/saml/') ? next() : parser(req, res, next);
  app.use(unlessSaml(express.urlencoded({ extended: false, limit: '1mb', parameterLimit: 1000 })));
  app.use(unlessSaml(express.json({ limit: '1mb' })));
  app.use(dropNulFromBody);
  app.use(sessionMiddleware);
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(saveBeforeRedirect);

  const core: CoreServices = {
    config,
    database,
    db,
    log,
    permissions,
    hooks,
    registry,
    plugins: undefined as unknown as PluginHost,
    renderer,
    users,
    packs,
    sessions,
    saml,
    passport,
    jobs,
    mail,
    notifications,
    files,
    version: packageJson.version,
    startedAt,
  };

  plugins = new PluginHost({
    config,
    db,
    log,
    hooks,
    permissions,
    registry,
    renderer,
    users,
    csrf: csrfSynchronisedProtection,
    env: options.env ?? process.env,
    jobs,
    mail,
    notifications,
    files,
  });
  core.plugins = plugins;
  await plugins.load();

  healthRoutes(healthRouter, core);
  const coreRouter = new GuardedRouter('core', '', { permissions, csrf: csrfSynchronisedProtection, registry });
  authRoutes(coreRouter, core);
  samlRoutes(coreRouter, core);
  samlAdminRoutes(coreRouter, core);
  homeRoutes(coreRouter, core);
  adminRoutes(coreRouter, core);
  packRoutes(coreRouter, core);
  notificationRoutes(coreRouter, core);
  serviceAdminRoutes(coreRouter, core);
  mailRoutes(coreRouter, core);
  fileRoutes(coreRouter, core);
  app.use(coreRouter.router);
  plugins.mount(app);
  app.use(notFoundHandler);
  app.use(errorHandler(renderer, log));

  const { io, auth } = await createSocketServer(server, {
    session: sessionMiddleware,
    permissions,
    users,
    postgresPool: database.raw.kind === 'postgres' ? database.raw.pool : undefined,
  });
  plugins.attachSockets(io, auth);

  await packs.loadDirectory(config.contentDir);
  if (config.seedDemo) await seedDemoData(db, users, log);
  await plugins.start();
  await hooks.doAction('app:started', {});
  if (config.jobsRunner) jobs.start();

  let closed = false;
  return {
    app,
    server,
    io,
    core,
    async close() {
      if (closed) return;
      closed = true;
      await jobs.stop();
      mail.close();
      await new Promise<void>((resolve) => io.close(() => resolve()));
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
      await plugins.stop();
      sessions.close();
      saml.stop();
      if (!options.database) await database.close();
    },
  };
}

/** Outside production a session secret is generated once and kept with the data, so sessions survive restarts. */
async function localSessionSecret(config: Config): Promise<string> {
  const file = path.join(config.dataDir, 'session-secret');
  try {
    const existing = (await fs.readFile(file, 'utf8')).trim();
    if (existing.length >= 32) return existing;
  } catch {
    // First start: create it below.
  }
  const secret = crypto.randomBytes(48).toString('base64url');
  await fs.mkdir(config.dataDir, { recursive: true });
  await fs.writeFile(file, secret, { mode: 0o600 });
  return secret;
}
