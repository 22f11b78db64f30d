import type { Request, Response } from 'express';
import type { Config, RunMode } from '../config.js';
import type { DB } from '../db/schema.js';
import type { Logger } from '../log.js';
import type { Capability, Access } from '../auth/permissions.js';
import type { SessionUser } from '../auth/sessionUser.js';
import type { AuditEntry } from '../audit/auditLog.js';
import type { UserService } from '../users/userService.js';
import type { ActionHooks, ActionName, FilterHooks, FilterName } from './hooks.js';
import type { PageLocals } from '../web/render.js';
import type { FlashKind } from '../web/flash.js';
import type { MarkdownOptions } from '../web/markdown.js';

/**
 * The room a plugin gets: its own database handle, logger, settings and views, and narrow
 * doors to the core. A plugin never receives the Express app or another plugin's internals.
 */
export interface PluginContext<Settings = unknown> {
  readonly plugin: { readonly name: string; readonly version: string; readonly dir: string };
  readonly mode: RunMode;
  readonly baseUrl: string;
  /** A folder of the data directory that belongs to this plugin (uploads, caches). */
  readonly dataDir: string;
  readonly db: DB;
  readonly log: Logger;
  readonly settings: Settings;
  readonly hooks: {
    applyFilters<K extends FilterName>(name: K, value: FilterHooks[K]['value'], context: FilterHooks[K]['context']): Promise<FilterHooks[K]['value']>;
    doAction<K extends ActionName>(name: K, payload: ActionHooks[K]): Promise<void>;
  };
  readonly permissions: {
    can(user: SessionUser | null | undefined, capability: Capability): boolean;
    allows(user: SessionUser | null | undefined, access: Access): boolean;
  };
  readonly users: Pick<UserService, 'byId' | 'setRoles'>;
  readonly markdown: {
    render(source: string, options?: MarkdownOptions): string;
    toText(source: string): string;
  };
  audit(entry: AuditEntry & { req?: Request }): Promise<void>;
  readonly views: {
    /** Renders one of the plugin's views inside the layout. */
    page(req: Request, res: Response, view: string, locals: PageLocals, status?: number): Promise<void>;
    partial(view: string, locals?: Record<string, unknown>): Promise<string>;
  };
  flash(req: Request, kind: FlashKind, message: string): void;
  /** French strings of `lang/fr.json`, with `{name}` placeholders. */
  t(key: string, vars?: Record<string, string | number>): string;
}

export type { Config };
