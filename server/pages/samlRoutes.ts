import zlib from 'node:zlib';
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
import { assertSafeXml, MAX_SAML_XML_BYTES } from '../auth/saml/xmlSafety.js';
import type { AcceptedLogin } from '../auth/saml/samlService.js';
import { markMessageUsed } from '../auth/saml/requestStore.js';

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
  const loginLimit = () =>
    limitRequests({
      windowMs: 5 * 60_000,
      limit: core.config.loginRateLimit,
      message: 'Trop de tentatives de connexion depuis votre poste. Patientez quelques minutes avant de réessayer.',
    });
  const startLimit = loginLimit();
  const acsLimit = loginLimit();
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
  const samlBody: RequestHandler = (req, res, next) => {
    express.urlencoded({ extended: false, limit: MAX_SAML_XML_BYTES * 2, parameterLimit: 10 })(req, res, (error?: unknown) => {
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
        assertSafeXml(decodePost(req.body?.SAMLResponse));
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
    const message = { ...(req.query as Record<string, string>), ...((req.body ?? {}) as Record<string, string>) };
    if (typeof message.SAMLResponse === 'string') return logoutResponse(req, res, idpId, state);
    if (typeof message.SAMLRequest !== 'string') throw badRequest('Message de déconnexion SAML absent.', 'SAMLRequest');

    // The IdP ends the user's session: every Maillon session of that NameID ends with it.
    const { saml: instance } = saml.saml(state);
    const profile = await (async () => {
      if (req.method === 'GET') {
        // node-saml accepts an unsigned redirect message; we do not.
        if (typeof req.query.Signature !== 'string') throw new SamlRefusal('unsigned', 'LogoutRequest sans signature');
        assertSafeXml(inflateRedirect(message.SAMLRequest!));
        return (await instance.validateRedirectAsync(req.query as Record<string, string>, req.originalUrl.split('?')[1] ?? '')).profile;
      }
      assertSafeXml(decodePost(message.SAMLRequest));
      return (await instance.validatePostRequestAsync({ SAMLRequest: message.SAMLRequest })).profile;
    })().catch((error) => refuse(req, idpId, error));
    if (!profile?.ID || !profile.nameID) return refuse(req, idpId, new SamlRefusal('malformed', 'LogoutRequest incomplet'));
    if (!(await markMessageUsed(core.db, idpId, profile.ID, new Date(Date.now() + 24 * 3600_000)))) {
      return refuse(req, idpId, new SamlRefusal('replay', `LogoutRequest déjà reçu : ${profile.ID}`));
    }
    const userIds = await saml.usersOfNameId(idpId, profile.nameID);
    for (const userId of userIds) {
      await core.sessions.destroyForUser(userId);
      await recordAudit(core.db, { action: 'auth.logout', actorId: userId, targetType: 'user', targetId: userId, ip: req.ip, details: { method: `saml:${idpId}`, initiatedBy: 'idp' } });
      await core.hooks.doAction('user:loggedOut', { userId });
    }
    if (req.user) await endSession(req);
    const relay = typeof message.RelayState === 'string' ? message.RelayState : '';
    if (!state.metadata.sloUrl) return void res.redirect(303, '/');
    res.redirect(303, await instance.getLogoutResponseUrlAsync(profile, relay, {}, true));
  };

  /** The IdP's answer to our LogoutRequest: the Maillon session already ended before we left. */
  const logoutResponse = async (req: Request, res: Response, idpId: string, state: ReturnType<typeof saml.ready>) => {
    const { saml: instance, store } = saml.saml(state);
    try {
      if (req.method === 'GET') assertSafeXml(inflateRedirect(String(req.query.SAMLResponse)));
      if (req.method === 'GET') await instance.validateRedirectAsync(req.query as Record<string, string>, req.originalUrl.split('?')[1] ?? '');
      else await instance.validatePostResponseAsync({ SAMLResponse: String(req.body.SAMLResponse) });
      const xml = req.method === 'GET' ? inflateRedirect(String(req.query.SAMLResponse)) : decodePost(req.body.SAMLResponse);
      const inResponseTo = /InResponseTo="([^"]+)"/.exec(xml)?.[1] ?? null;
      await store.removeAsync(inResponseTo);
      flash(req, 'success', 'Vous êtes déconnecté de Maillon et de votre compte académique.');
    } catch (error) {
      await refuse(req, idpId, error).catch(() => undefined);
      flash(req, 'info', 'Vous êtes déconnecté de Maillon.');
    }
    res.redirect(303, '/');
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

/** A POST-binding message: base64 of reasonable size, decoded. */
function decodePost(encoded: unknown): string {
  if (typeof encoded !== 'string' || !encoded) throw new SamlRefusal('malformed', 'message SAML absent');
  if (encoded.length > (MAX_SAML_XML_BYTES * 4) / 3 + 4) throw new SamlRefusal('too-large', `message SAML de ${encoded.length} caractères`);
  if (!/^[A-Za-z0-9+/=\s]+$/.test(encoded)) throw new SamlRefusal('malformed', 'message SAML : base64 invalide');
  return Buffer.from(encoded, 'base64').toString('utf8');
}

/** A redirect-binding message (deflated), inflated with a ceiling against compression bombs. */
function inflateRedirect(encoded: string): string {
  try {
    return zlib.inflateRawSync(Buffer.from(encoded, 'base64'), { maxOutputLength: MAX_SAML_XML_BYTES }).toString('utf8');
  } catch (error) {
    const tooLarge = (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || /Cannot create a Buffer larger|maxOutputLength/i.test(String(error));
    throw new SamlRefusal(tooLarge ? 'too-large' : 'malformed', `message SAML compressé illisible : ${(error as Error).message}`);
  }
}
