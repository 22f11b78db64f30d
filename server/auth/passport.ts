import passport from 'passport';
import type { Request } from 'express';
import type { SessionUser } from './sessionUser.js';
import type { UserService } from '../users/userService.js';
import { toSessionUser } from '../users/userQueries.js';

/**
 * One Passport instance per app (tests run several apps in one process). The session keeps
 * only the user id; the user is reloaded on every request, so a role removed by an admin or a
 * suspended account takes effect at once.
 */
export function createPassport(users: UserService): passport.PassportStatic {
  const instance = new passport.Passport() as passport.PassportStatic;
  instance.serializeUser((user, done) => done(null, (user as SessionUser).id));
  // With three parameters Passport passes the request first.
  instance.deserializeUser((req: Request, id: unknown, done: (err: unknown, user?: SessionUser | false) => void) => {
    if (typeof id !== 'number') return done(null, false);
    // The session store loaded the user with the session (see DbSessionStore.get).
    const loaded = req.session?.__user;
    if (loaded) return done(null, loaded.id === id ? toSessionUser(loaded) : false);
    users.byId(id).then((user) => done(null, user ?? false), done);
  });
  return instance;
}

/** Opens a fresh session for the user (the id changes, against session fixation). */
export function establishSession(req: Request, user: SessionUser): Promise<void> {
  return new Promise((resolve, reject) => req.login(user, (err) => (err ? reject(err) : resolve())));
}

export function endSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) =>
    req.logout((err) => {
      if (err) return reject(err);
      if (!req.session) return resolve();
      req.session.destroy((destroyError) => (destroyError ? reject(destroyError) : resolve()));
    }),
  );
}
