import type { Request } from 'express';
import type { DB } from '../db/schema.js';
import type { HookBus } from '../plugins/hooks.js';
import type { UserService } from '../users/userService.js';
import type { SessionUser } from './sessionUser.js';
import { recordAudit } from '../audit/auditLog.js';
import { endSession, establishSession } from './passport.js';

export interface LoginDeps {
  db: DB;
  hooks: HookBus;
  users: UserService;
}

/** Every way of logging in ends here: session, last login, audit trail, then the hook. */
export async function logIn(
  req: Request,
  user: SessionUser,
  method: string,
  deps: LoginDeps,
  identity?: { provider: string; subject: string },
): Promise<void> {
  await establishSession(req, user);
  await deps.users.recordLogin(user.id, identity);
  await recordAudit(deps.db, { action: 'auth.login', actorId: user.id, targetType: 'user', targetId: user.id, ip: req.ip, details: { method } });
  await deps.hooks.doAction('user:loggedIn', { user, method });
}

export async function logOut(req: Request, deps: LoginDeps): Promise<void> {
  const userId = req.user?.id ?? null;
  await endSession(req);
  if (userId !== null) {
    await recordAudit(deps.db, { action: 'auth.logout', actorId: userId, targetType: 'user', targetId: userId, ip: req.ip });
    await deps.hooks.doAction('user:loggedOut', { userId });
  }
}
