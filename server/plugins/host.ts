import fs from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import express, { type Express, type RequestHandler } from 'express';
import type { Server as SocketServer } from 'socket.io';
import type { Config } from '../config.js';
import type { DB } from '../db/schema.js';
import type { Logger } from '../log.js';
import type { Permissions } from '../auth/permissions.js';
import { migrate, readMigrations } from '../db/migrator.js';
import { recordAudit } from '../audit/auditLog.js';
import type { UserService } from '../users/userService.js';
import type { Renderer } from '../web/render.js';
import { flash } from '../web/flash.js';
import { markdownToText, renderMarkdown } from '../web/markdown.js';
import { notFound } from '../web/errors.js';
import { CORE_ACTIONS, CORE_FILTERS, type HookBus, type HookFailure } from './hooks.js';
import { describeManifestError, manifestSchema, type PluginManifest } from './manifest.js';
import type { PluginContext } from './context.js';
import type { Registry } from './registry.js';
import { GuardedRouter } from './router.js';
import type { SocketAuth } from '../realtime/socketServer.js';
import type { JobRunner } from '../jobs/jobRunner.js';
import { findJob } from '../jobs/jobQueue.js';
import type { Mailer } from '../mail/mailer.js';
import type { Notifier } from '../notifications/notifier.js';
import { fileUrl, type FileStore } from '../files/fileStore.js';
import { imageWithAlt, uploadMiddleware } from '../files/uploadMiddleware.js';
import * as fullText from '../search/fullText.js';

export type PluginState = 'enabled' | 'disabled' | 'failed';

export interface PluginStatus {
  name: string;
  title: string;
  version: string;
  description: string;
  dir: string;
  state: PluginState;
  /** Why it failed, in French, with the step that failed. */
  error: string | null;
  warnings: string[];
  hookFailures: HookFailure[];
  capabilities: string[];
  migrationsApplied: string[];
}

interface LoadedPlugin {
  manifest: PluginManifest;
  status: PluginStatus;
  ctx: PluginContext;
  router: GuardedRouter | null;
}

export interface PluginHostDeps {
  config: Config;
  db: DB;
  log: Logger;
  hooks: HookBus;
  permissions: Permissions;
  registry: Registry;
  renderer: Renderer;
  users: UserService;
  csrf: RequestHandler;
  env: NodeJS.ProcessEnv;
  jobs: JobRunner;
  mail: Mailer;
  notifications: Notifier;
  files: FileStore;
}

/**
 * Finds, checks, migrates and wires the plugins. A plugin that fails at any step is reported
 * with its name and the cause, and leaves nothing behind: its migrations are rolled back,
 * its capabilities, hooks and routes are not registered. The others load as usual.
 */
export class PluginHost {
  private readonly plugins = new Map<string, LoadedPlugin>();
  private readonly statusList: PluginStatus[] = [];

  constructor(private readonly deps: PluginHostDeps) {}

  statuses(): PluginStatus[] {
    return [...this.statusList].sort((a, b) => a.name.localeCompare(b.name));
  }

  isEnabled(name: string): boolean {
    return this.plugins.get(name)?.status.state === 'enabled';
  }

  recordHookFailure(failure: HookFailure): void {
    const status = this.statusList.find((s) => s.name === failure.owner);
    if (!status) return;
    status.hookFailures.unshift(failure);
    status.hookFailures.length = Math.min(status.hookFailures.length, 20);
  }

  async load(): Promise<void> {
    const candidates: { dir: string; manifest: PluginManifest }[] = [];
    for (const dir of await discover(this.deps.config.pluginDirs)) {
      const manifest = await this.importManifest(dir);
      if (manifest) candidates.push({ dir, manifest });
    }
    const disabled = new Set(this.deps.config.disabledPlugins);
    const pending = new Map<string, { dir: string; manifest: PluginManifest }>();
    for (const c of candidates) {
      if (pending.has(c.manifest.name) || this.statusList.some((s) => s.name === c.manifest.name && s.state !== 'failed')) {
        this.fail(baseStatus(c.dir, c.manifest), `deux extensions portent le nom « ${c.manifest.name} »`);
        continue;
      }
      if (disabled.has(c.manifest.name)) {
        this.statusList.push({ ...baseStatus(c.dir, c.manifest), state: 'disabled' });
        continue;
      }
      pending.set(c.manifest.name, c);
    }
    for (const c of orderByRequirements(pending)) await this.enable(c.dir, c.manifest);
    this.warnAboutUnknownHooks();
  }

  /** Plugins' routers under their own path; a plugin that failed after mounting answers 404. */
  mount(app: Express): void {
    for (const [name, plugin] of this.plugins) {
      if (!plugin.router) continue;
      const router = plugin.router.router;
      app.use(`/${name}`, (req, res, next) => {
        if (plugin.status.state !== 'enabled') return next(notFound());
        router(req, res, next);
      });
      const staticDir = path.join(plugin.status.dir, 'public');
      if (existsSync(staticDir)) {
        app.use(`/static/plugins/${name}`, express.static(staticDir, { maxAge: this.deps.config.mode === 'production' ? '1h' : 0 }));
      }
    }
  }

  attachSockets(io: SocketServer, auth: SocketAuth): void {
    for (const plugin of this.plugins.values()) {
      for (const decl of plugin.manifest.sockets ?? []) {
        const nsp = io.of(decl.namespace);
        auth.protect(nsp, decl.can);
        try {
          decl.setup(nsp, plugin.ctx);
        } catch (error) {
          this.fail(plugin.status, `espace temps réel ${decl.namespace} : ${(error as Error).message}`);
        }
      }
    }
  }

  async start(): Promise<void> {
    for (const plugin of this.plugins.values()) {
      if (plugin.status.state !== 'enabled' || !plugin.manifest.start) continue;
      try {
        await plugin.manifest.start(plugin.ctx);
      } catch (error) {
        this.fail(plugin.status, `démarrage : ${(error as Error).message}`);
        this.retract(plugin.manifest.name);
      }
    }
  }

  async stop(): Promise<void> {
    for (const plugin of [...this.plugins.values()].reverse()) {
      if (plugin.status.state !== 'enabled' || !plugin.manifest.stop) continue;
      try {
        await plugin.manifest.stop(plugin.ctx);
      } catch (error) {
        this.deps.log.error({ plugin: plugin.manifest.name, err: error }, "arrêt de l'extension en erreur");
      }
    }
  }

  private async importManifest(dir: string): Promise<PluginManifest | null> {
    const name = path.basename(dir);
    let exported: unknown;
    try {
      const file = ['index.ts', 'index.js'].map((f) => path.join(dir, f)).find((f) => existsSync(f))!;
      exported = (await import(pathToFileURL(file).href)).default;
    } catch (error) {
      this.fail(placeholderStatus(dir, name), `chargement du module : ${(error as Error).message}`);
      return null;
    }
    const parsed = manifestSchema.safeParse(exported);
    if (!parsed.success) {
      const status = placeholderStatus(dir, (exported as { name?: unknown })?.name?.toString() || name);
      this.fail(status, `manifeste invalide : ${describeManifestError(parsed.error)}`);
      return null;
    }
    return exported as PluginManifest;
  }

  private async enable(dir: string, manifest: PluginManifest): Promise<void> {
    const status: PluginStatus = { ...baseStatus(dir, manifest), state: 'enabled' };
    this.statusList.push(status);
    const { permissions, registry, hooks, log } = this.deps;

    const missing = (manifest.requires ?? []).filter((r) => !this.isEnabled(r));
    if (missing.length) return this.fail(status, `extension requise absente ou désactivée : ${missing.join(', ')}`);

    let settings: unknown;
    try {
      settings = manifest.settings ? readSettings(manifest, this.deps.env) : {};
    } catch (error) {
      return this.fail(status, `réglages : ${(error as Error).message}`);
    }

    try {
      permissions.declare(manifest.name, manifest.capabilities ?? []);
    } catch (error) {
      return this.fail(status, `capacités : ${(error as Error).message}`);
    }

    try {
      const migrations = await readMigrations(manifest.name, path.join(dir, manifest.migrations ?? 'migrations'));
      status.migrationsApplied = await migrate(this.deps.db, manifest.name, migrations);
    } catch (error) {
      permissions.forget(manifest.name);
      return this.fail(status, `migrations : ${(error as Error).message}`);
    }

    let ctx: PluginContext;
    let router: GuardedRouter | null = null;
    try {
      ctx = this.createContext(dir, manifest, settings);
      for (const item of [...(manifest.nav ?? []), ...(manifest.widgets ?? []), ...(manifest.sockets ?? [])]) {
        if (!permissions.isValidAccess(item.can)) throw new Error(`accès inconnu « ${item.can} »`);
      }
      if (manifest.routes) {
        router = new GuardedRouter(manifest.name, `/${manifest.name}`, { permissions, csrf: this.deps.csrf, registry: registry });
        await manifest.routes(router, ctx);
      }
    } catch (error) {
      permissions.forget(manifest.name);
      this.forgetServices(manifest.name);
      registry.routes.splice(0, registry.routes.length, ...registry.routes.filter((r) => r.owner !== manifest.name));
      return this.fail(status, `déclaration : ${(error as Error).message}`);
    }

    registry.addNav(manifest.name, manifest.nav ?? []);
    registry.addWidgets(manifest.name, path.join(dir, 'views'), manifest.widgets ?? [], ctx);
    for (const registration of manifest.hooks ?? []) hooks.register(manifest.name, registration);
    this.plugins.set(manifest.name, { manifest, status, ctx, router });

    await this.deps.db
      .insertInto('plugins')
      .values({ name: manifest.name, version: manifest.version })
      .onConflict((oc) => oc.column('name').doUpdateSet({ version: manifest.version, updated_at: new Date() }))
      .execute();
    log.info({ plugin: manifest.name, version: manifest.version, migrations: status.migrationsApplied }, 'extension chargée');
  }

  /** Undo the registrations of a plugin that failed after it was wired. */
  private retract(name: string): void {
    const { permissions, registry, hooks } = this.deps;
    permissions.forget(name);
    hooks.unregisterOwner(name);
    this.forgetServices(name);
    registry.nav.splice(0, registry.nav.length, ...registry.nav.filter((n) => n.owner !== name));
    registry.widgets.splice(0, registry.widgets.length, ...registry.widgets.filter((w) => w.owner !== name));
  }

  /** Job kinds and notification kinds a plugin declared; its queued jobs wait for it to come back. */
  private forgetServices(name: string): void {
    this.deps.jobs.forgetOwner(name);
    this.deps.notifications.forgetOwner(name);
  }

  private fail(status: PluginStatus, message: string): void {
    status.state = 'failed';
    status.error = message;
    if (!this.statusList.includes(status)) this.statusList.push(status);
    this.deps.log.error({ plugin: status.name }, `extension « ${status.name} » non chargée : ${message}`);
  }

  private warnAboutUnknownHooks(): void {
    const known = new Set<string>([...CORE_FILTERS, ...CORE_ACTIONS]);
    for (const p of this.plugins.values()) {
      for (const n of [...(p.manifest.fires?.filters ?? []), ...(p.manifest.fires?.actions ?? [])]) known.add(n);
    }
    for (const p of this.plugins.values()) {
      for (const h of p.manifest.hooks ?? []) {
        if (!known.has(h.name)) p.status.warnings.push(`écoute le crochet « ${h.name} », que personne ne déclenche`);
      }
    }
  }

  private createContext(dir: string, manifest: PluginManifest, settings: unknown): PluginContext {
    const { config, db, log, hooks, permissions, renderer, users, jobs, mail, notifications, files } = this.deps;
    const owner = manifest.name;
    const viewsDir = path.join(dir, 'views');
    const view = (name: string) => path.join(viewsDir, `${name}.ejs`);
    const strings = readStrings(dir);
    const fires = new Set([...(manifest.fires?.filters ?? []), ...(manifest.fires?.actions ?? [])]);
    const ensureDeclared = (name: string) => {
      if (!fires.has(name)) throw new Error(`l'extension ${manifest.name} déclenche « ${name} » sans l'avoir déclaré dans fires`);
    };
    return {
      plugin: { name: manifest.name, version: manifest.version, dir },
      mode: config.mode,
      // Read live: a server started on a random port (tests) learns its address after plugins load.
      get baseUrl() {
        return config.baseUrl;
      },
      dataDir: path.join(config.dataDir, 'plugins', manifest.name),
      db,
      log: log.child({ plugin: manifest.name }),
      settings,
      hooks: {
        applyFilters: (name, value, context) => {
          ensureDeclared(name);
          return hooks.applyFilters(name, value, context);
        },
        doAction: (name, payload) => {
          ensureDeclared(name);
          return hooks.doAction(name, payload);
        },
      },
      permissions: {
        can: (user, capability) => permissions.can(user, capability),
        allows: (user, access) => permissions.allows(user, access),
      },
      users: { byId: (id) => users.byId(id), setRoles: (...args) => users.setRoles(...args) },
      markdown: { render: renderMarkdown, toText: markdownToText },
      audit: ({ req, ...entry }) =>
        recordAudit(db, { ...entry, actorId: entry.actorId ?? req?.user?.id ?? null, ip: entry.ip ?? req?.ip ?? null }),
      views: {
        page: (req, res, name, locals, status) => renderer.page(req, res, view(name), locals, status),
        partial: (name, locals) => renderer.partial(view(name), locals),
      },
      flash,
      t: (key, vars) => interpolate(strings[key] ?? key, vars),
      jobs: {
        define: (kind, handler, options) => jobs.define(owner, kind, handler, options),
        enqueue: (kind, payload, options) => {
          if (!kind.startsWith(`${owner}:`)) throw new Error(`l'extension ${owner} ne peut ajouter que ses propres tâches (« ${kind} »)`);
          return jobs.enqueue(kind, payload, options);
        },
        progress: (jobId, done, total) => jobs.progress(jobId, done, total),
        get: (jobId) => findJob(db, { id: jobId }),
        nudge: () => jobs.nudge(),
      },
      mail: {
        declareList: (list) => mail.declareList(owner, list),
        send: (message, options) => mail.send(message, { ...options, viewsDir }),
        sendMany: (messages, options) => mail.sendMany(messages, { ...options, viewsDir }),
        isUnsubscribed: (email, list) => mail.isUnsubscribed(email, list),
        resubscribe: (email, list) => mail.resubscribe(email, list),
        get mode() {
          return mail.mode;
        },
        render: (message, options) => mail.render(message, { ...options, viewsDir }),
        deliverNow: (message, options) => mail.deliverNow(message, { ...options, viewsDir }),
      },
      notifications: {
        declareKind: (kind) => notifications.declareKind(owner, kind),
        notify: (userIds, input, options) => notifications.notify(userIds, input, options),
        withdraw: (url, options) => notifications.withdraw(owner, url, options),
      },
      files: {
        upload: (options) => uploadMiddleware(files, options),
        save: (input, options) => files.save(owner, input, options),
        get: async (id) => {
          const file = await files.get(id);
          return file && file.owner === owner ? file : null;
        },
        url: (file) => fileUrl(file),
        remove: (id) => files.remove(owner, id),
        setAccess: (check) => files.setAccess(owner, check),
        saveImage: async (req) => {
          const { upload, alt } = imageWithAlt(req);
          const file = await files.save(owner, { buffer: upload.buffer, name: upload.name, userId: req.user?.id }, { accept: 'images' });
          return { file, markdown: `![${alt}](${fileUrl(file)})` };
        },
      },
      search: fullText,
    };
  }
}

async function discover(roots: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const root of roots) {
    if (hasIndex(root)) {
      found.push(root);
      continue;
    }
    let entries: string[];
    try {
      entries = (await fs.readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      continue;
    }
    for (const name of entries.sort()) {
      const dir = path.join(root, name);
      if (hasIndex(dir)) found.push(dir);
    }
  }
  return found;
}

function hasIndex(dir: string): boolean {
  return existsSync(path.join(dir, 'index.ts')) || existsSync(path.join(dir, 'index.js'));
}

function baseStatus(dir: string, manifest: PluginManifest): PluginStatus {
  return {
    name: manifest.name,
    title: manifest.title,
    version: manifest.version,
    description: manifest.description ?? '',
    dir,
    state: 'enabled',
    error: null,
    warnings: [],
    hookFailures: [],
    capabilities: (manifest.capabilities ?? []).map((c) => c.name),
    migrationsApplied: [],
  };
}

function placeholderStatus(dir: string, name: string): PluginStatus {
  return {
    name,
    title: name,
    version: '—',
    description: '',
    dir,
    state: 'failed',
    error: null,
    warnings: [],
    hookFailures: [],
    capabilities: [],
    migrationsApplied: [],
  };
}

/** Plugins load after those they require; a cycle leaves its members to fail on the missing requirement. */
function orderByRequirements(pending: Map<string, { dir: string; manifest: PluginManifest }>) {
  const ordered: { dir: string; manifest: PluginManifest }[] = [];
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (name: string) => {
    if (done.has(name) || visiting.has(name)) return;
    const item = pending.get(name);
    if (!item) return;
    visiting.add(name);
    for (const req of item.manifest.requires ?? []) visit(req);
    visiting.delete(name);
    done.add(name);
    ordered.push(item);
  };
  for (const name of [...pending.keys()].sort()) visit(name);
  return ordered;
}

function readSettings(manifest: PluginManifest, env: NodeJS.ProcessEnv): unknown {
  const prefix = `PLUGIN_${manifest.name.toUpperCase().replace(/-/g, '_')}_`;
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith(prefix) && value !== undefined) {
      const name = key.slice(prefix.length).toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      raw[name] = value;
    }
  }
  const parsed = manifest.settings!.safeParse(raw);
  if (!parsed.success) throw new Error(describeManifestError(parsed.error));
  return parsed.data;
}

function readStrings(dir: string): Record<string, string> {
  const file = path.join(dir, 'lang', 'fr.json');
  if (!existsSync(file)) return {};
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
}

function interpolate(text: string, vars?: Record<string, string | number>): string {
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (m, key: string) => (key in vars ? String(vars[key]) : m));
}
