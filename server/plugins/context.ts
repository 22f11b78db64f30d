import type { Request, RequestHandler, Response } from 'express';
import type { Config, RunMode } from '../config.js';
import type { Logger } from '../log.js';
import type { Capability, Access } from '../auth/permissions.js';
import type { SessionUser } from '../auth/sessionUser.js';
import type { AuditEntry } from '../audit/auditLog.js';
import type { UserService } from '../users/userService.js';
import type { ActionHooks, ActionName, FilterHooks, FilterName } from './hooks.js';
import type { PageLocals } from '../web/render.js';
import type { FlashKind } from '../web/flash.js';
import type { MarkdownOptions } from '../web/markdown.js';
import type { DB, Tx } from '../db/schema.js';
import type { JobHandler, JobOptions } from '../jobs/jobRunner.js';
import type { EnqueueOptions, EnqueueResult, JobView } from '../jobs/jobQueue.js';
import type { MailMessage, RenderedMail, SendResult } from '../mail/mailer.js';
import type { NotificationInput, NotificationKind } from '../notifications/notifier.js';
import type { Accept, FileAccessCheck, FileInput, StoredFile } from '../files/fileStore.js';
import type { UploadOptions } from '../files/uploadMiddleware.js';
import type * as fullText from '../search/fullText.js';

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
  /** Durable background work (docs/services.md). Kinds are prefixed by the plugin's name. */
  readonly jobs: {
    define<P>(kind: string, handler: JobHandler<P>, options?: JobOptions<P>): void;
    enqueue<P>(kind: string, payload: P, options?: EnqueueOptions): Promise<EnqueueResult>;
    progress(jobId: number, done: number, total: number): Promise<void>;
    get(jobId: number): Promise<JobView | null>;
    /** Wakes the runner after committing a transaction that enqueued jobs. */
    nudge(): void;
  };
  /** E-mail through the outbox; templates are `views/mail/<name>.ejs` of the plugin. */
  readonly mail: {
    declareList(list: { id: string; label: string }): void;
    send(message: MailMessage, options?: { trx?: Tx }): Promise<SendResult>;
    /** A batch (a newsletter): written 500 at a time; one malformed address refuses the batch. */
    sendMany(messages: MailMessage[], options?: { trx?: Tx }): Promise<SendResult[]>;
    isUnsubscribed(email: string, list: string): Promise<boolean>;
    resubscribe(email: string, list: string): Promise<void>;
    /** 'smtp' with SMTP_URL; 'outbox' when mails are only kept for admins to read. */
    readonly mode: 'smtp' | 'outbox';
    /** A message as it would leave (subject, html, text, headers), not stored: previews. */
    render(message: MailMessage, options?: { messageId?: string }): Promise<RenderedMail>;
    /** Sends now, outside the outbox, for senders keeping their own per-recipient state (no throttle, no unsubscribe check). */
    deliverNow(message: MailMessage, options?: { messageId?: string }): Promise<'sent' | 'kept'>;
  };
  readonly notifications: {
    declareKind(kind: NotificationKind): void;
    notify(userIds: number[], input: NotificationInput, options?: { trx?: Tx }): Promise<number>;
    /** Takes back this plugin's notifications pointing at `url` (e.g. a deleted post); sent e-mails stay sent. */
    withdraw(url: string, options?: { trx?: Tx }): Promise<number>;
  };
  /** Uploads owned by this plugin, which decides who may read them (setAccess). */
  readonly files: {
    upload(options: UploadOptions): RequestHandler;
    save(input: FileInput, options?: { accept?: Accept; maxBytes?: number; trx?: Tx }): Promise<StoredFile>;
    get(id: string): Promise<StoredFile | null>;
    url(file: { id: string; name: string }): string;
    remove(id: string): Promise<boolean>;
    setAccess(check: FileAccessCheck): void;
    /**
     * Stores the image of a form posted through `upload({ fields: ['image'], accept: 'images' })`
     * with its required « alt » text (422 with a French message otherwise), and gives the
     * Markdown that shows it.
     */
    saveImage(req: Request): Promise<{ file: StoredFile; markdown: string }>;
  };
  /** French full-text search helpers (server/search/fullText.ts). */
  readonly search: typeof fullText;
}

export type { Config };
