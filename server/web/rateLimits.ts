import { rateLimit } from 'express-rate-limit';
import type { RequestHandler } from 'express';
import { HttpError } from './errors.js';

/** A limit answered with a French 429 page or JSON, like every other error. */
export function limitRequests(options: { windowMs: number; limit: number; message: string; key?: 'ip' | 'user' }): RequestHandler {
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: options.key === 'user' ? (req) => `user:${req.user?.id ?? req.ip}` : undefined,
    handler: (_req, _res, next, opts) => {
      next(new HttpError(429, options.message, { retryAfterSeconds: Math.ceil(opts.windowMs / 1000) }));
    },
  });
}
