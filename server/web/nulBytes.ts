import querystring from 'node:querystring';
import type { RequestHandler } from 'express';
import { badRequest } from './errors.js';

/**
 * PostgreSQL text cannot hold the character U+0000: a query given one fails, and the person
 * would see a server error. A path holding one (`%00`) names nothing and is refused at the door;
 * from a query string, a form, multipart or JSON body (router.ts for the parsers of routes), or a
 * real-time event (socketServer.ts), where a paste can bring one along, the character is dropped.
 */
export const refuseNulInPath: RequestHandler = (req, _res, next) =>
  next(/%00/i.test(req.originalUrl.split('?')[0]!) ? badRequest('Cette adresse contient un caractère invalide.') : undefined);

/** Express's « simple » query parser (node:querystring), without the NUL character. */
export const queryWithoutNul = (query: string): unknown => withoutNul(querystring.parse(query));

export const dropNulFromBody: RequestHandler = (req, _res, next) => {
  if (req.body && typeof req.body === 'object') req.body = withoutNul(req.body);
  next();
};

/** The value with U+0000 taken out of every string it holds (objects and arrays changed in place). */
export function withoutNul(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('\u0000') ? value.replaceAll('\u0000', '') : value;
  if (Array.isArray(value)) return value.map(withoutNul);
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const [key, inner] of Object.entries(value)) (value as Record<string, unknown>)[key] = withoutNul(inner);
  }
  return value;
}
