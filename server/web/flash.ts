import type { Request, RequestHandler, Response } from 'express';

export type FlashKind = 'success' | 'info' | 'warning' | 'error';
export interface FlashMessage {
  kind: FlashKind;
  message: string;
}

declare module 'express-session' {
  interface SessionData {
    flash?: FlashMessage[];
  }
}

/** A message shown once, on the next page (after a redirect). */
export function flash(req: Request, kind: FlashKind, message: string): void {
  if (!req.session) return;
  (req.session.flash ??= []).push({ kind, message });
}

export function takeFlash(req: Request): FlashMessage[] {
  const messages = req.session?.flash ?? [];
  if (messages.length && req.session) delete req.session.flash;
  return messages;
}

/**
 * express-session writes a modified session while the response is already on its way: the
 * headers of a 303 leave first, and a quick browser follows the redirect before the flash
 * message is stored, then shows the next page without it. Redirects that carry a message wait
 * for the session to be saved.
 */
export const saveFlashBeforeRedirect: RequestHandler = (req, res, next) => {
  const redirect = res.redirect.bind(res) as (...args: unknown[]) => void;
  res.redirect = ((...args: unknown[]) => {
    if (!req.session?.flash?.length) return redirect(...args);
    req.session.save((error) => (error ? next(error) : redirect(...args)));
  }) as Response['redirect'];
  next();
};
