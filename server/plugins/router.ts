import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Access, Permissions } from '../auth/permissions.js';
import { forbidden, unauthorized } from '../web/errors.js';
import type { Registry } from './registry.js';
import { dropNulFromBody } from '../web/nulBytes.js';

export interface RouteOptions {
  can: Access;
  /**
   * Unsafe methods check the CSRF token unless this is false, which needs a reason: a
   * cross-site POST by design (SAML assertion consumer, one-click unsubscribe).
   */
  csrf?: boolean;
  /** Extra middleware run before the handlers, after the access and CSRF checks (rate limits). */
  before?: RequestHandler[];
  /**
   * Parses a body the global parsers leave alone (multipart uploads), after the access check
   * and before the CSRF check, so the token can travel in the form like everywhere else.
   */
  body?: RequestHandler;
}

export type RouteHandler = (req: Request, res: Response, next: NextFunction) => unknown;

export class RouteDeclarationError extends Error {}

/**
 * The only way the core and plugins declare routes. Every route names who may reach it; a
 * route that names an unknown capability is refused when the plugin loads, so nothing is
 * open by accident.
 */
export class GuardedRouter {
  readonly router = express.Router();

  constructor(
    private readonly owner: string,
    private readonly mountPath: string,
    private readonly deps: { permissions: Permissions; csrf: RequestHandler; registry: Registry },
  ) {}

  get(path: string, access: Access | RouteOptions, ...handlers: RouteHandler[]): this {
    return this.add('get', path, access, handlers);
  }
  post(path: string, access: Access | RouteOptions, ...handlers: RouteHandler[]): this {
    return this.add('post', path, access, handlers);
  }
  put(path: string, access: Access | RouteOptions, ...handlers: RouteHandler[]): this {
    return this.add('put', path, access, handlers);
  }
  patch(path: string, access: Access | RouteOptions, ...handlers: RouteHandler[]): this {
    return this.add('patch', path, access, handlers);
  }
  delete(path: string, access: Access | RouteOptions, ...handlers: RouteHandler[]): this {
    return this.add('delete', path, access, handlers);
  }

  private add(
    method: 'get' | 'post' | 'put' | 'patch' | 'delete',
    path: string,
    spec: Access | RouteOptions,
    handlers: RouteHandler[],
  ): this {
    const options: RouteOptions = typeof spec === 'string' ? { can: spec } : spec;
    if (!options || typeof options.can !== 'string' || !this.deps.permissions.isValidAccess(options.can)) {
      throw new RouteDeclarationError(
        `la route ${method.toUpperCase()} ${this.mountPath}${path} ne déclare pas d'accès valide (reçu : ${String(options?.can)})`,
      );
    }
    if (handlers.length === 0) throw new RouteDeclarationError(`la route ${method.toUpperCase()} ${path} n'a pas de gestionnaire`);
    const checkCsrf = method !== 'get' && options.csrf !== false;
    const chain: RequestHandler[] = [requireAccess(this.deps.permissions, options.can)];
    // A route's own parser (multipart forms) runs after the app's: its fields lose NUL here.
    if (options.body) chain.push(options.body, dropNulFromBody);
    if (checkCsrf) chain.push(this.deps.csrf);
    chain.push(...(options.before ?? []), ...(handlers as RequestHandler[]));
    this.router[method](path, ...chain);
    this.deps.registry.routes.push({
      owner: this.owner,
      method: method.toUpperCase(),
      path: joinPath(this.mountPath, path),
      access: options.can,
      csrf: checkCsrf,
    });
    return this;
  }
}

export function requireAccess(permissions: Permissions, access: Access): RequestHandler {
  return (req, res, next) => {
    if (access === 'public') return next();
    if (!req.user) {
      if (req.method === 'GET' && req.accepts(['html', 'json']) === 'html') {
        return res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
      }
      return next(unauthorized());
    }
    if (!permissions.allows(req.user, access)) return next(forbidden());
    next();
  };
}

function joinPath(base: string, path: string): string {
  if (base === '/' || base === '') return path;
  return path === '/' ? base : `${base}${path}`;
}
