import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../log.js';
import { HttpError, STATUS_TITLES, notFound } from './errors.js';
import { CORE_VIEWS_DIR, type Renderer } from './render.js';

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(notFound());

/**
 * By shape as well as by class: a plugin loaded through the ESM loader while the core was
 * loaded through require (mocha with tsx) holds its own copy of errors.ts, hence of HttpError.
 */
function isHttpError(error: unknown): error is HttpError {
  if (error instanceof HttpError) return true;
  const e = error as Partial<HttpError> | null;
  return error instanceof Error && e?.name === 'HttpError' && typeof e.status === 'number' && typeof e.publicMessage === 'string' && typeof e.details === 'object';
}

/** Maps library errors (body parser, CSRF) to what a person should read. */
function toHttpError(error: unknown): HttpError | null {
  if (isHttpError(error)) return error;
  const e = error as { type?: string; code?: string; status?: number; statusCode?: number };
  if (e?.code === 'EBADCSRFTOKEN') {
    return new HttpError(403, 'Le formulaire a expiré ou ne vient pas de Maillon. Rechargez la page et recommencez.');
  }
  switch (e?.type) {
    case 'entity.too.large':
      return new HttpError(413, 'Le contenu envoyé est trop volumineux.');
    case 'entity.parse.failed':
      return new HttpError(400, 'Le contenu envoyé est mal formé.');
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new HttpError(415, "L'encodage du contenu envoyé n'est pas pris en charge.");
    case 'parameters.too.many':
      return new HttpError(413, 'Le formulaire contient trop de champs.');
  }
  if (error instanceof URIError) return new HttpError(400, "L'adresse demandée est mal formée.");
  const status = e?.status ?? e?.statusCode;
  if (status === 404) return notFound();
  return null;
}

/**
 * The last middleware: a French page (or JSON for API clients) with the right status. Bugs
 * are logged with a reference that the page shows, never with a stack trace for the user.
 */
export function errorHandler(renderer: Renderer, log: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const known = toHttpError(error);
    const status = known?.status ?? 500;
    const reference = status >= 500 ? randomUUID().slice(0, 8) : null;
    if (status >= 500) log.error({ err: error, reference, method: req.method, url: req.originalUrl }, 'erreur non gérée');
    const message = known?.publicMessage ?? "Une erreur inattendue s'est produite. L'équipe technique a été prévenue.";
    const title = STATUS_TITLES[status] ?? 'Erreur';
    if (known?.details.retryAfterSeconds) res.set('Retry-After', String(known.details.retryAfterSeconds));
    res.set('Cache-Control', 'no-store');

    if (req.accepts(['html', 'json']) === 'json' || req.xhr) {
      res.status(status).json({ error: { status, title, message, field: known?.details.field, fields: known?.details.fields, reference } });
      return;
    }
    renderer
      .page(req, res, path.join(CORE_VIEWS_DIR, 'error.ejs'), { title, status, message, reference, field: known?.details.field ?? null }, status)
      .catch((renderError) => {
        log.error({ err: renderError }, "la page d'erreur n'a pas pu être affichée");
        if (!res.headersSent) {
          res.status(status).type('html').send(
            `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>${title} · Maillon</title></head><body><main><h1>${title}</h1><p>${escapeHtml(message)}</p></main></body></html>`,
          );
        }
      });
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
