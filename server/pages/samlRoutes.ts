import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { serialize } from 'cookie';
import type { GuardedRouter } from '../plugins/router.js';
import type { CoreServices } from '../services.js';
import { logIn } from '../auth/login.js';
import { endSession } from '../auth/passport.js';
import { recordAudit } from '../audit/auditLog.js';
import { limitRequests } from '../web/rateLimits.js';
import { safeLocalPath } from '../web/safeRedirect.js';
import { flash } from '../web/flash.js';
import { badRequest } from '../web/errors.js';
import { SamlRefusal, toRefusal } from '../auth/saml/samlRefusal.js';
import { MAX_SAML_XML_BYTES } from '../auth/saml/xmlSafety.js';
import { decodePostMessage } from '../auth/saml/bindings.js';
import type { AcceptedLogin, LogoutMessage } from '../auth/saml/samlService.js';

/** The académie chosen last time, offered first on the login page. */
export const IDP_COOKIE = 'maillon.idp';

/**
 * Academic SSO routes. /auth/saml/:idp/acs and the POST of /slo receive cross-site form posts
 * from the IdP: they carry no CSRF token by nature and are protected by the signed SAML
 * message itself (checked before anything is written).
 */
export function samlRoutes(router: GuardedRouter, core: CoreServices): void {
  const saml = core.saml;
  // One limiter per step, so that a login (start, then ACS) counts once in each.
  const loginLimit = (name: string) =>
    limitRequests(core.db, {
      name,
      windowMs: 5 * 60_000,
      limit: core.config.loginRateLimit,
      message: 'Trop de tentatives de connexion depuis votre poste. Patientez quelques minutes avant de réessayer.',
    });
  const startLimit = loginLimit('saml-start');
  const acsLimit = loginLimit('saml-acs');
  const refuse = async (req: Request, idpId: unknown, error: unknown): Promise<never> => {
    const refusal = toRefusal(error);
    if (!refusal) throw error;
    await recordAudit(core.db, {
      action: 'auth.saml.refused',
      targetType: 'idp',
      targetId: typeof idpId === 'string' ? idpId.slice(0, 60) : null,
      ip: req.ip,
      details: { reason: refusal.reason, detail: refusal.detail.slice(0, 500) },
    });
    core.log.warn({ idp: idpId, reason: refusal.reason, detail: refusal.detail }, 'réponse SAML refusée');
    throw refusal;
  };
  // The ACS has its own, smaller body limit, and a refusal for an oversized body is audited too.
  const samlForm = express.urlencoded({ extended: false, limit: MAX_SAML_XML_BYTES * 2, parameterLimit: 10 });
  const samlBody: RequestHandler = (req, res, next) => {
    samlForm(req, res, (error?: unknown) => {
      if (!error) return next();
      const type = (error as { type?: string }).type;
      const refusal = new SamlRefusal(type === 'entity.too.large' ? 'too-large' : 'malformed', `corps refusé : ${type ?? String(error)}`);
      refuse(req, req.params.idp, refusal).catch(next);
    });
  };

  router.get('/auth/saml/start', { can: 'public', before: [startLimit] }, async (req, res, next) => {
    const state = saml.ready(req.query.idp);
    const target = safeLocalPath(req.query.next);
    res.append(
      'Set-Cookie',
      serialize(IDP_COOKIE, state.config.id, {
        path: '/',
        maxAge: 365 * 24 * 3600,
        httpOnly: true,
        sameSite: 'lax',
        secure: core.config.mode === 'production',
      }),
    );
    res.locals.samlIdp = state.config.id;
    authenticate(core, { additionalParams: { RelayState: target } }, (error) => next(error))(req, res, next);
  });

  router.post('/auth/saml/:idp/acs', { can: 'public', csrf: false, before: [acsLimit, samlBody] }, async (req, res) => {
    const idpId = req.params.idp;
    const accepted = await new Promise<AcceptedLogin>((resolve, reject) => {
      try {
        saml.ready(idpId);
        decodePostMessage(req.body?.SAMLResponse);
      } catch (error) {
        return reject(error);
      }
      res.locals.samlIdp = idpId;
      authenticate(core, {}, reject, resolve)(req, res, reject);
    }).catch((error) => refuse(req, idpId, error));
    await logIn(req, accepted.user, `saml:${idpId}`, core, accepted.identity);
    req.session.saml = accepted.session;
    if (accepted.created) flash(req, 'success', `Bienvenue sur Maillon, ${accepted.user.givenName || accepted.user.displayName} : votre compte a été créé.`);
    res.redirect(303, accepted.next);
  });

  const sloHandler = async (req: Request, res: Response) => {
    const idpId = req.params.idp as string;
    const state = saml.ready(idpId);
    const message: LogoutMessage =
      req.method === 'GET'
        ? { binding: 'redirect', query: req.query as Record<string, string>, rawQuery: req.originalUrl.split('?')[1] ?? '' }
        : { binding: 'post', body: (req.body ?? {}) as Record<string, unknown> };
    const fields = message.binding === 'redirect' ? message.query : message.body;

    if (fields.SAMLResponse !== undefined) {
      // The answer to our LogoutRequest: the Maillon session already ended before we left.
      const confirmed = await saml.readLogoutResponse(state, message).then(
        () => true,
        (error: unknown) => refuse(req, idpId, error).catch(() => false),
      );
      flash(req, confirmed ? 'success' : 'info', confirmed ? 'Vous êtes déconnecté de Maillon et de votre compte académique.' : 'Vous êtes déconnecté de Maillon.');
      return res.redirect(303, '/');
    }
    if (fields.SAMLRequest === undefined) throw badRequest('Message de déconnexion SAML absent.', 'SAMLRequest');

    // The IdP ends the person's session: every Maillon session of that NameID ends with it.
    const request = await saml.readLogoutRequest(state, message).catch((error: unknown) => refuse(req, idpId, error));
    for (const userId of await saml.usersOfNameId(idpId, request.nameID)) {
      await core.sessions.destroyForUser(userId);
      await recordAudit(core.db, { action: 'auth.logout', actorId: userId, targetType: 'user', targetId: userId, ip: req.ip, details: { method: `saml:${idpId}`, initiatedBy: 'idp' } });
      await core.hooks.doAction('user:loggedOut', { userId });
    }
    if (req.user) await endSession(req);
    const relay = typeof fields.RelayState === 'string' ? fields.RelayState : '';
    res.redirect(303, (await saml.logoutResponseUrl(state, request, relay)) ?? '/');
  };

  router.get('/auth/saml/:idp/slo', 'public', sloHandler);
  router.post('/auth/saml/:idp/slo', { can: 'public', csrf: false, before: [samlBody] }, sloHandler);

  router.get('/auth/saml/:idp/metadata', 'public', async (req, res) => {
    const state = saml.ready(req.params.idp);
    res.type('application/samlmetadata+xml').set('Cache-Control', 'public, max-age=3600').send(saml.spMetadata(state));
  });
}

/** Runs Passport's SAML strategy; `onUser` receives what the verify step accepted. */
function authenticate(
  core: CoreServices,
  options: Record<string, unknown>,
  onError: (error: unknown) => void,
  onUser?: (accepted: AcceptedLogin) => void,
): (req: Request, res: Response, next: NextFunction) => void {
  return core.passport.authenticate('saml', { ...options, session: false }, (error: unknown, accepted: AcceptedLogin | false) => {
    if (error) return onError(error);
    if (!accepted) return onError(new SamlRefusal('signature', 'aucun compte accepté'));
    onUser?.(accepted);
  });
}
