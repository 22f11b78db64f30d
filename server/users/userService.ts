import type { DB } from '../db/schema.js';
import type { HookBus } from '../plugins/hooks.js';
import type { Role } from '../auth/roles.js';
import type { SessionUser } from '../auth/sessionUser.js';
import { loadSessionUser } from './userQueries.js';
import { profileIsCurrent, userCreator, userProfileUpdater, userRolesUpdater, type UserCreatorProps, type UserProfileUpdaterProps } from './userCommands.js';
import type { Tx } from '../db/schema.js';

/**
 * Account changes that other parts of Maillon react to go through here, so the matching
 * hook fires once the change is committed (a plugin never sees a rolled-back account).
 */
export class UserService {
  constructor(private readonly db: DB, private readonly hooks: HookBus) {}

  byId(id: number): Promise<SessionUser | null> {
    return loadSessionUser(this.db, id);
  }

  async byIdentity(provider: string, subject: string): Promise<SessionUser | null> {
    const row = await this.db
      .selectFrom('user_identities')
      .select('user_id')
      .where('provider', '=', provider)
      .where('subject', '=', subject)
      .executeTakeFirst();
    return row ? loadSessionUser(this.db, row.user_id) : null;
  }

  async create(props: UserCreatorProps, source: string, prepare?: (trx: Tx) => Promise<unknown>): Promise<SessionUser> {
    const id = await this.db.transaction().execute(async (trx) => {
      await prepare?.(trx);
      return userCreator(trx, props);
    });
    const user = await loadSessionUser(this.db, id);
    if (!user) throw new Error(`compte ${id} introuvable après sa création`);
    await this.hooks.doAction('user:created', { user, source });
    return user;
  }

  /**
   * Updates an account from its identity provider's latest word. `prepare` runs first in the
   * same transaction (e.g. to create the establishments the profile names). Hooks fire after
   * the commit, only when something changed.
   */
  async updateProfile(
    props: UserProfileUpdaterProps,
    prepare?: (trx: Tx) => Promise<unknown>,
    current?: SessionUser,
  ): Promise<SessionUser | null> {
    if (current && profileIsCurrent(current, props)) return current;
    const changes = await this.db.transaction().execute(async (trx) => {
      await prepare?.(trx);
      return userProfileUpdater(trx, props);
    });
    const user = await loadSessionUser(this.db, props.userId);
    if (!user || !changes.changed.length) return user;
    await this.hooks.doAction('user:updated', { user, changed: changes.changed, source: props.source });
    if (changes.changed.includes('roles')) {
      await this.hooks.doAction('user:rolesChanged', { user, before: changes.rolesBefore, after: changes.rolesAfter, byUserId: null });
    }
    return user;
  }

  async setRoles(userId: number, roles: Role[], actorId: number | null, ip?: string | null): Promise<SessionUser | null> {
    const { before, after } = await this.db
      .transaction()
      .execute((trx) => userRolesUpdater(trx, { userId, roles, actorId, ip }));
    const user = await loadSessionUser(this.db, userId);
    if (user && before.join() !== after.join()) {
      await this.hooks.doAction('user:rolesChanged', { user, before, after, byUserId: actorId });
    }
    return user;
  }

  async recordLogin(userId: number, identity?: { provider: string; subject: string }): Promise<void> {
    const now = new Date();
    await this.db.updateTable('users').set({ last_login_at: now }).where('id', '=', userId).execute();
    if (identity) {
      await this.db
        .updateTable('user_identities')
        .set({ last_login_at: now })
        .where('provider', '=', identity.provider)
        .where('subject', '=', identity.subject)
        .execute();
    }
  }
}
