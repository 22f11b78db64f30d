import { z } from 'zod';
import type { Namespace } from 'socket.io';
import type { Access, CapabilityDecl } from '../auth/permissions.js';
import { ROLES } from '../auth/roles.js';
import type { HookRegistration } from './hooks.js';
import type { NavEntry, WidgetDecl } from './registry.js';
import type { GuardedRouter } from './router.js';
import type { PluginContext } from './context.js';

export interface SocketDecl {
  /** `/<plugin name>` or below it, e.g. `/chat`. */
  namespace: string;
  can: Access;
  setup(namespace: Namespace, ctx: PluginContext): void;
}

/**
 * What a plugin's `index.ts` exports by default. Every extension is declared here, as
 * data: nothing is discovered by file or function name.
 */
export interface PluginManifest<Settings extends z.ZodType = z.ZodType> {
  /** Lower-case, also the mount path (`/forums`) and the prefix of its capabilities and hooks. */
  name: string;
  /** Semantic version, shown to admins; migrations are tracked under the name. */
  version: string;
  /** French name shown to admins. */
  title: string;
  description?: string;
  /** Other plugins that must be loaded first. */
  requires?: string[];
  capabilities?: CapabilityDecl[];
  /** Folder of `NNN_name.sql` files, relative to the plugin; default `migrations`. */
  migrations?: string;
  /** Schema of the plugin's settings, read from `PLUGIN_<NAME>_<KEY>` environment variables. */
  settings?: Settings;
  nav?: NavEntry[];
  widgets?: WidgetDecl[];
  hooks?: HookRegistration[];
  /** Hooks this plugin fires, each prefixed with its name (`forums:postCreated`). */
  fires?: { filters?: string[]; actions?: string[] };
  sockets?: SocketDecl[];
  routes?(router: GuardedRouter, ctx: PluginContext<z.output<Settings>>): void | Promise<void>;
  start?(ctx: PluginContext<z.output<Settings>>): void | Promise<void>;
  stop?(ctx: PluginContext<z.output<Settings>>): void | Promise<void>;
}

/** Identity function that gives a plugin file its types. */
export function definePlugin<Settings extends z.ZodType = z.ZodType>(manifest: PluginManifest<Settings>): PluginManifest<Settings> {
  return manifest;
}

const NAME = /^[a-z][a-z0-9-]{1,31}$/;
const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;
const fn = z.custom<(...args: unknown[]) => unknown>((v) => typeof v === 'function', 'doit être une fonction');

const capabilitySchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]*(:[a-z][a-zA-Z0-9-]*)+$/, 'nom de capacité invalide'),
  description: z.string().min(1),
  roles: z.array(z.enum(ROLES)),
});

/** Checks the shape of what a plugin exported; TypeScript checks it at build time, this at load time. */
export const manifestSchema = z
  .object({
    name: z.string().regex(NAME, 'nom invalide (minuscules, chiffres et tirets, 2 à 32 caractères)'),
    version: z.string().regex(SEMVER, 'version invalide (attendu : 1.2.3)'),
    title: z.string().min(1),
    description: z.string().optional(),
    requires: z.array(z.string().regex(NAME)).optional(),
    capabilities: z.array(capabilitySchema).optional(),
    migrations: z.string().optional(),
    settings: z.custom<z.ZodType>((v) => v instanceof z.ZodType, 'doit être un schéma zod').optional(),
    nav: z
      .array(
        z.object({
          id: z.string().min(1),
          label: z.string().min(1),
          href: z.string().startsWith('/'),
          can: z.string().min(1),
          order: z.number().optional(),
          section: z.string().min(1).max(40).optional(),
        }),
      )
      .optional(),
    widgets: z
      .array(
        z.object({
          id: z.string().min(1),
          title: z.string().min(1),
          can: z.string().min(1),
          order: z.number().optional(),
          wide: z.boolean().optional(),
          render: fn,
        }),
      )
      .optional(),
    hooks: z
      .array(
        z.object({
          kind: z.enum(['filter', 'action']),
          name: z.string().min(1),
          handler: fn,
          priority: z.number(),
        }),
      )
      .optional(),
    fires: z
      .object({ filters: z.array(z.string()).optional(), actions: z.array(z.string()).optional() })
      .strict()
      .optional(),
    sockets: z
      .array(z.object({ namespace: z.string().startsWith('/'), can: z.string().min(1), setup: fn }))
      .optional(),
    routes: fn.optional(),
    start: fn.optional(),
    stop: fn.optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    for (const c of m.capabilities ?? []) {
      if (!c.name.startsWith(`${m.name}:`)) {
        ctx.addIssue({ code: 'custom', path: ['capabilities'], message: `« ${c.name} » doit commencer par « ${m.name}: »` });
      }
    }
    for (const name of [...(m.fires?.filters ?? []), ...(m.fires?.actions ?? [])]) {
      if (!name.startsWith(`${m.name}:`)) {
        ctx.addIssue({ code: 'custom', path: ['fires'], message: `le crochet « ${name} » doit commencer par « ${m.name}: »` });
      }
    }
    for (const s of m.sockets ?? []) {
      if (s.namespace !== `/${m.name}` && !s.namespace.startsWith(`/${m.name}/`)) {
        ctx.addIssue({ code: 'custom', path: ['sockets'], message: `l'espace « ${s.namespace} » doit être « /${m.name} » ou en dessous` });
      }
    }
  });

export function describeManifestError(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'manifeste'} : ${i.message}`).join(' ; ');
}
