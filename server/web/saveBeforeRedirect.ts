import type { RequestHandler } from 'express';

/**
 * express-session saves a modified session while the response is already on its way: a browser
 * follows a redirect as soon as it reads the headers, and the next page could load the session
 * before the save lands (a flash message or a new CSRF token would be lost, or overwritten).
 * Redirects therefore wait for the session to be saved, when it holds anything.
 */
export const saveBeforeRedirect: RequestHandler = (req, res, next) => {
  const redirect = res.redirect.bind(res) as (...args: unknown[]) => void;
  res.redirect = ((...args: unknown[]) => {
    const session = req.session;
    const holdsData = session && Object.keys(session).some((key) => key !== 'cookie');
    if (!holdsData) return redirect(...args);
    session.save((err) => (err ? next(err) : redirect(...args)));
  }) as typeof res.redirect;
  next();
};
