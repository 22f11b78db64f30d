import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { DB } from './db/schema.js';
import type { Logger } from './log.js';
import type { Permissions } from './auth/permissions.js';
import type { HookBus } from './plugins/hooks.js';
import type { Registry } from './plugins/registry.js';
import type { PluginHost } from './plugins/host.js';
import type { Renderer } from './web/render.js';
import type { UserService } from './users/userService.js';
import type { PackLibrary } from './content/packLibrary.js';
import type { DbSessionStore } from './web/sessionStore.js';
import type { SamlService } from './auth/saml/samlService.js';
import type passport from 'passport';
import type { JobRunner } from './jobs/jobRunner.js';
import type { Mailer } from './mail/mailer.js';
import type { Notifier } from './notifications/notifier.js';
import type { FileStore } from './files/fileStore.js';

/** What the core's own pages are built with. Plugins get the narrower PluginContext. */
export interface CoreServices {
  config: Config;
  database: Database;
  db: DB;
  log: Logger;
  permissions: Permissions;
  hooks: HookBus;
  registry: Registry;
  plugins: PluginHost;
  renderer: Renderer;
  users: UserService;
  packs: PackLibrary;
  sessions: DbSessionStore;
  /** Academic SSO: IdPs, their metadata, the SAML strategy of `passport`. */
  saml: SamlService;
  passport: passport.PassportStatic;
  jobs: JobRunner;
  mail: Mailer;
  notifications: Notifier;
  files: FileStore;
  version: string;
  startedAt: Date;
}
