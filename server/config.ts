import path from 'node:path';
import { z } from 'zod';
import { CronExpressionParser } from 'cron-parser';

/** Raised when the environment cannot give a runnable configuration; main.ts prints it and exits. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuration invalide :\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type RunMode = 'development' | 'test' | 'production';

export interface Config {
  mode: RunMode;
  port: number;
  host: string;
  /** Public URL of this instance, without trailing slash (links in mails, SAML, badges). */
  baseUrl: string;
  dataDir: string;
  /** postgres:// URL of a real server; absent means the embedded PGlite in dataDir. */
  databaseUrl: string | null;
  /** Absent outside production: a secret is then generated once and kept in dataDir. */
  sessionSecret: string | null;
  sessionMaxAgeHours: number;
  idpConfigPath: string | null;
  /** PEM files of the SAML service provider's signing key and certificate (required in production). */
  samlSpKeyPath: string | null;
  samlSpCertPath: string | null;
  contentDir: string;
  pluginDirs: string[];
  disabledPlugins: string[];
  seedDemo: boolean;
  logLevel: string;
  trustProxy: string | null;
  /** Login attempts allowed per address in five minutes. */
  loginRateLimit: number;
  /** Worker processes sharing the port (PostgreSQL only: PGlite lives in one process). */
  workers: number;
  /** smtp:// or smtps:// URL of the relay; absent means mails are kept in the outbox. */
  smtpUrl: string | null;
  /** Sender of every mail, `Name <address>`. */
  mailFrom: string;
  /** Mails sent per second by one process; 0 means no limit. */
  mailRatePerSecond: number;
  /** Whether this process runs background jobs (tests turn it off and tick by hand). */
  jobsRunner: boolean;
  /** How often an idle runner looks for due jobs, in milliseconds. */
  jobsPollMs: number;
  /** Largest upload accepted, in bytes. */
  filesMaxBytes: number;
  /** When the daily notification digest is sent (cron, Europe/Paris). */
  digestCron: string;
}

const boolish = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'oui', 'non'])
  .transform((v) => ['1', 'true', 'yes', 'oui'].includes(v));

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'doit commencer par postgres:// ou postgresql://')
    .optional(),
  SESSION_SECRET: z.string().min(32, 'doit compter au moins 32 caractères').optional(),
  SESSION_MAX_AGE_HOURS: z.coerce.number().positive().max(24 * 90).default(24 * 14),
  SAML_IDP_CONFIG: z.string().min(1).optional(),
  SAML_SP_KEY: z.string().min(1).optional(),
  SAML_SP_CERT: z.string().min(1).optional(),
  CONTENT_DIR: z.string().min(1).default('./content'),
  PLUGINS_DISABLED: z.string().optional(),
  SEED_DEMO: boolish.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: z.string().min(1).optional(),
  LOGIN_RATE_LIMIT: z.coerce.number().int().positive().max(100_000).default(20),
  WEB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  SMTP_URL: z.string().regex(/^smtps?:\/\/[^\s]+$/, 'doit commencer par smtp:// ou smtps://').optional(),
  MAIL_FROM: z.string().min(3).max(200).optional(),
  MAIL_RATE_PER_SECOND: z.coerce.number().min(0).max(100_000).default(50),
  JOBS_RUNNER: boolish.default(true),
  JOBS_POLL_MS: z.coerce.number().int().min(50).max(600_000).default(1000),
  FILES_MAX_MB: z.coerce.number().positive().max(1024).default(10),
  NOTIFICATIONS_DIGEST_CRON: z
    .string()
    .refine((v) => isCron(v), 'expression cron invalide (exemple : « 0 7 * * * » pour 7 h chaque jour)')
    .default('0 7 * * *'),
});

function isCron(expression: string): boolean {
  try {
    CronExpressionParser.parse(expression, { tz: 'Europe/Paris' });
    return true;
  } catch {
    return false;
  }
}

/** Reads the environment once; every other module receives the typed result. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const parsed = envSchema.safeParse(stripEmpty(env));
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`));
  }
  const e = parsed.data;
  const mode = e.NODE_ENV;
  const problems: string[] = [];
  if (mode === 'production') {
    if (!e.SESSION_SECRET) problems.push('SESSION_SECRET est obligatoire en production (32 caractères au moins).');
    if (!e.SAML_IDP_CONFIG) {
      problems.push(
        "SAML_IDP_CONFIG est obligatoire en production : aucun fournisseur d'identité académique n'est configuré.",
      );
    }
    if (!e.SAML_SP_KEY || !e.SAML_SP_CERT) {
      problems.push('SAML_SP_KEY et SAML_SP_CERT sont obligatoires en production (clé privée et certificat PEM de Maillon pour SAML).');
    }
    if (!e.BASE_URL) problems.push("BASE_URL est obligatoire en production (l'adresse publique de Maillon).");
  }
  if (e.WEB_CONCURRENCY > 1 && !e.DATABASE_URL) {
    problems.push('WEB_CONCURRENCY > 1 demande PostgreSQL (DATABASE_URL) : la base intégrée ne sert qu’un processus.');
  }
  if (problems.length) throw new ConfigError(problems);

  const baseUrl = (e.BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const mailFrom = e.MAIL_FROM ?? `Maillon <ne-pas-repondre@${new URL(baseUrl).hostname}>`;
  return {
    mode,
    port: e.PORT,
    host: e.HOST,
    baseUrl,
    dataDir: path.resolve(cwd, e.DATA_DIR),
    databaseUrl: e.DATABASE_URL ?? null,
    sessionSecret: e.SESSION_SECRET ?? null,
    sessionMaxAgeHours: e.SESSION_MAX_AGE_HOURS,
    idpConfigPath: e.SAML_IDP_CONFIG ? path.resolve(cwd, e.SAML_IDP_CONFIG) : null,
    samlSpKeyPath: e.SAML_SP_KEY ? path.resolve(cwd, e.SAML_SP_KEY) : null,
    samlSpCertPath: e.SAML_SP_CERT ? path.resolve(cwd, e.SAML_SP_CERT) : null,
    contentDir: path.resolve(cwd, e.CONTENT_DIR),
    pluginDirs: [path.resolve(import.meta.dirname, '..', 'plugins')],
    disabledPlugins: list(e.PLUGINS_DISABLED),
    seedDemo: e.SEED_DEMO ?? mode !== 'production',
    logLevel: mode === 'test' && !env.LOG_LEVEL ? 'silent' : e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY ?? null,
    loginRateLimit: e.LOGIN_RATE_LIMIT,
    workers: e.WEB_CONCURRENCY,
    smtpUrl: e.SMTP_URL ?? null,
    mailFrom,
    mailRatePerSecond: e.MAIL_RATE_PER_SECOND,
    jobsRunner: e.JOBS_RUNNER,
    jobsPollMs: e.JOBS_POLL_MS,
    filesMaxBytes: Math.round(e.FILES_MAX_MB * 1024 * 1024),
    digestCron: e.NOTIFICATIONS_DIGEST_CRON,
  };
}

function stripEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}
