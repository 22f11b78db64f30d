import passport from 'passport';
import type { Request } from 'express';
import type { SessionUser } from './sessionUser.js';
import type { UserService } from '../users/userService.js';

/**
 * One Passport instance per app (tests run several apps in one process). The session keeps
 * only the user id; the user is reloaded on every request, so a role removed by an admin or a
 * suspended account takes effect at once.
 */
export function createPassport(users: UserService): passport.PassportStatic {
  const instance = new passport.Passport() as passport.PassportStatic;
  instance.serializeUser((user, done) => done(null, (user as SessionUser).id));
  instance.deserializeUser((id: unknown, done) => {
    if (typeof id !== 'number') return done(null, false);
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
