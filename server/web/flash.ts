import type { Request } from 'express';

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
