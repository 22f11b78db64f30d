import type { Request } from 'express';
import { MultiSamlStrategy, type Profile, type SamlConfig } from '@node-saml/passport-saml';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import type { Config } from '../../config.js';
import type { DB } from '../../db/schema.js';
import type { Logger } from '../../log.js';
import type { UserService } from '../../users/userService.js';
import type { SessionUser } from '../sessionUser.js';
import type { IdentityProviderConfig } from '../identityProviders.js';
import { establishmentsEnsurer } from '../../users/userCommands.js';
import { IdpRegistry, type IdpState } from './idpRegistry.js';
import type { IdpMetadata } from './idpMetadata.js';
import type { SpCredentials } from './spCredentials.js';
import { markMessageUsed, pruneSamlState, REQUEST_LIFETIME_MS, SamlRequestStore } from './requestStore.js';
import { SamlRefusal } from './samlRefusal.js';
import { MissingAttributeError, mapIdentity, normaliseAttributes, type ReceivedAttributes } from './attributeMapping.js';
import { parseXml } from './xmlSafety.js';
import { relayTarget } from './relayState.js';
import { decodePostMessage, decodeRedirectMessage } from './bindings.js';

/** An assertion older than this (from its IssueInstant) is refused whatever its conditions say. */
export const MAX_ASSERTION_AGE_MS = 15 * 60_000;
/** What the session remembers of a SAML login, to ask the IdP for Single Logout later. */
export interface SamlSessionInfo {
  idp: string;
  nameID: string;
  nameIDFormat: string;
  nameQualifier?: string;
  spNameQualifier?: string;
  sessionIndex?: string;
}

declare module 'express-session' {
  interface SessionData {
    saml?: SamlSessionInfo;
  }
}

export interface AcceptedLogin {
  user: SessionUser;
  identity: { provider: string; subject: string };
  session: SamlSessionInfo;
  next: string;
  created: boolean;
}

export interface SpUrls {
  entityId: string;
  metadata: string;
  acs: string;
  slo: string;
}

export type ReadyIdp = IdpState & { metadata: IdpMetadata };

/** A logout message as it arrived: in the query (redirect binding, signature over the raw query) or a form. */
export type LogoutMessage =
  | { binding: 'redirect'; query: Record<string, string>; rawQuery: string }
  | { binding: 'post'; body: Record<string, unknown> };

/**
 * Academic SSO: one Passport strategy serves every configured IdP (the IdP id is in the URL).
 * node-saml checks signatures, timestamps, audience and InResponseTo; this service adds what it
 * leaves to us (issuer, destination and recipient, one use per assertion, RelayState) and turns
 * an accepted assertion into an up-to-date Maillon account.
 */
export class SamlService {
  readonly registry: IdpRegistry;
  private pruneTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: { db: DB; users: UserService; log: Logger; config: Config },
    idps: IdentityProviderConfig[],
    private readonly credentials: SpCredentials | null,
  ) {
    this.registry = new IdpRegistry(idps, { cacheDir: `${deps.config.dataDir}/saml/metadata`, log: deps.log });
  }

  get configured(): boolean {
    return this.registry.list().length > 0;
  }

  get spCredentials(): SpCredentials | null {
    return this.credentials;
  }

  async start(strict: boolean): Promise<void> {
    await this.registry.loadAll(strict);
    this.registry.startRefreshing();
    this.pruneTimer = setInterval(() => void pruneSamlState(this.deps.db).catch(() => {}), 15 * 60_000);
    this.pruneTimer.unref();
  }

  stop(): void {
    this.registry.stop();
    if (this.pruneTimer) clearInterval(this.pruneTimer);
  }

  urls(idp: IdentityProviderConfig): SpUrls {
    const base = `${this.deps.config.baseUrl}/auth/saml/${idp.id}`;
    return { entityId: idp.spEntityId ?? `${base}/metadata`, metadata: `${base}/metadata`, acs: `${base}/acs`, slo: `${base}/slo` };
  }

  /** An IdP a login can go through now; otherwise a refusal the user can read. */
  ready(id: unknown): ReadyIdp {
    const state = typeof id === 'string' ? this.registry.get(id) : undefined;
    if (!state?.metadata || !this.credentials) throw new SamlRefusal('unknown-idp', `IdP ${String(id)} inconnu ou sans métadonnées`);
    return state as ReadyIdp;
  }

  /** What an admin must act on: IdPs without metadata, certificates expired or expiring within 30 days. */
  alerts(now = Date.now()): string[] {
    const soon = now + 30 * 24 * 3600_000;
    return this.registry.list().flatMap((state) => {
      if (!state.metadata) return [`${state.config.name} : métadonnées indisponibles (${state.error ?? 'non chargées'}).`];
      const expiry = state.metadata.certificateExpiresAt.getTime();
      if (expiry < now) return [`${state.config.name} : le certificat de signature de l'académie a expiré.`];
      if (expiry < soon) return [`${state.config.name} : le certificat de signature de l'académie expire dans moins de 30 jours.`];
      return [];
    });
  }

  /** Origins the browser is sent to after a form (login start, logout): the CSP form-action needs them. */
  formActionOrigins(): string[] {
    const origins = new Set<string>();
    for (const { metadata } of this.registry.usable()) {
      for (const url of [metadata.ssoUrl, metadata.sloUrl]) if (url) origins.add(new URL(url).origin);
    }
    return [...origins];
  }

  samlOptions(state: ReadyIdp, store: SamlRequestStore, sign: boolean): SamlConfig {
    const idp = state.config;
    const urls = this.urls(idp);
    return {
      entryPoint: state.metadata.ssoUrl,
      logoutUrl: state.metadata.sloUrl ?? state.metadata.ssoUrl,
      issuer: urls.entityId,
      audience: urls.entityId,
      callbackUrl: urls.acs,
      logoutCallbackUrl: urls.slo,
      idpCert: state.metadata.certificates,
      idpIssuer: state.metadata.entityId,
      privateKey: sign ? this.credentials!.privateKey : undefined,
      publicCert: this.credentials!.certificate,
      signatureAlgorithm: 'sha256',
      digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
      wantAuthnResponseSigned: idp.wantResponseSigned,
      wantAssertionsSigned: idp.wantAssertionSigned,
      acceptedClockSkewMs: idp.clockSkewSeconds * 1000,
      maxAssertionAgeMs: MAX_ASSERTION_AGE_MS,
      validateInResponseTo: idp.allowIdpInitiated ? ValidateInResponseTo.ifPresent : ValidateInResponseTo.always,
      requestIdExpirationPeriodMs: REQUEST_LIFETIME_MS,
      cacheProvider: store,
      identifierFormat: null,
      disableRequestedAuthnContext: true,
    };
  }

  /** A node-saml instance for one IdP (logout messages, metadata), outside Passport's flow. */
  saml(state: ReadyIdp, sign = true): { saml: SAML; store: SamlRequestStore } {
    const store = new SamlRequestStore(this.deps.db, state.config.id);
    return { saml: new SAML(this.samlOptions(state, store, sign)), store };
  }

  /**
   * The Passport strategy. Routes put the IdP id in `res.locals.samlIdp` before calling
   * `passport.authenticate('saml', …)`; the request's store lands in `res.locals.samlStore`.
   */
  strategy(): MultiSamlStrategy {
    return new MultiSamlStrategy(
      {
        passReqToCallback: true,
        // Placeholders: every real option comes from getSamlOptions, per request.
        idpCert: 'unused',
        issuer: 'unused',
        callbackUrl: 'unused',
        getSamlOptions: (req, done) => {
          try {
            const state = this.ready(req.res?.locals.samlIdp);
            const store = new SamlRequestStore(this.deps.db, state.config.id);
            req.res!.locals.samlStore = store;
            done(null, this.samlOptions(state, store, state.config.signAuthnRequest));
          } catch (error) {
            done(error as Error);
          }
        },
      },
      (req, profile, done) => {
        this.acceptLogin(req as unknown as Request, profile).then(
          (accepted) => done(null, accepted as unknown as Record<string, unknown>),
          (error: Error) => done(error),
        );
      },
      (_req, _profile, done) => done(null, undefined),
    );
  }

  /** Everything after node-saml's checks, then the account: refusals throw before any write. */
  async acceptLogin(req: Request, profile: Profile | null): Promise<AcceptedLogin> {
    const state = this.ready(req.res?.locals.samlIdp);
    const store = req.res!.locals.samlStore as SamlRequestStore;
    const idp = state.config;
    const urls = this.urls(idp);
    if (!profile) throw new SamlRefusal('idp-status', 'réponse sans assertion (authentification passive refusée)');
    if (profile.issuer !== state.metadata.entityId) throw new SamlRefusal('issuer', `émetteur de l'assertion : ${String(profile.issuer)}`);

    const response = parseXml(profile.getSamlResponseXml?.() ?? '').documentElement;
    const destination = response.getAttribute('Destination');
    if (destination && destination !== urls.acs) throw new SamlRefusal('destination', `Destination : ${destination}`);
    const responseIssuer = Array.from(response.childNodes).find((n) => (n as Element).localName === 'Issuer');
    if (responseIssuer && responseIssuer.textContent?.trim() !== state.metadata.entityId) {
      throw new SamlRefusal('issuer', `émetteur de la réponse : ${responseIssuer.textContent}`);
    }

    const assertion = (profile.getAssertion?.() as { Assertion?: AssertionJs } | undefined)?.Assertion;
    const assertionId = assertion?.$?.ID;
    if (!assertion || !assertionId) throw new SamlRefusal('malformed', "assertion sans identifiant");
    const confirmations = (assertion.Subject?.[0]?.SubjectConfirmation ?? []).map((c) => c.SubjectConfirmationData?.[0]?.$ ?? {});
    if (!confirmations.some((c) => c.Recipient === urls.acs)) {
      throw new SamlRefusal('destination', `Recipient : ${confirmations.map((c) => c.Recipient).join(', ') || 'absent'}`);
    }

    const answered = new Set([response.getAttribute('InResponseTo'), ...confirmations.map((c) => c.InResponseTo)].filter((v): v is string => Boolean(v)));
    if (answered.size > 1) throw new SamlRefusal('replay', `InResponseTo divergents : ${[...answered].join(', ')}`);
    const inResponseTo = [...answered][0];
    if (inResponseTo) {
      if (!store.consumed) await store.removeAsync(inResponseTo);
      if (!store.consumed) throw new SamlRefusal('replay', `InResponseTo déjà utilisé ou inconnu : ${inResponseTo}`);
    } else if (!idp.allowIdpInitiated) {
      throw new SamlRefusal('unsolicited', 'réponse sans InResponseTo');
    }

    const next = relayTarget(req.body?.RelayState, this.deps.config.baseUrl);
    if (next === null) throw new SamlRefusal('relay-state', `RelayState : ${String(req.body?.RelayState).slice(0, 200)}`);

    const issuedAt = Date.parse(assertion.$?.IssueInstant ?? '');
    const usableUntil = (Number.isFinite(issuedAt) ? issuedAt : Date.now()) + MAX_ASSERTION_AGE_MS + idp.clockSkewSeconds * 1000;
    if (!(await markMessageUsed(this.deps.db, idp.id, assertionId, new Date(Math.max(usableUntil, Date.now() + 60_000))))) {
      throw new SamlRefusal('replay', `assertion déjà utilisée : ${assertionId}`);
    }

    const attributes = normaliseAttributes(profile.attributes);
    let mapped;
    try {
      mapped = mapIdentity(idp, profile.nameID, attributes);
    } catch (error) {
      if (error instanceof MissingAttributeError) throw new SamlRefusal('attributes', error.message);
      throw error;
    }

    const identity = { provider: idp.id, subject: mapped.subject };
    const ensureEstablishments = (trx: Parameters<typeof establishmentsEnsurer>[0]) =>
      establishmentsEnsurer(trx, mapped.establishments.map((e) => ({ uai: e.uai, kind: e.kind })));
    const existing = await this.deps.users.byIdentity(identity.provider, identity.subject);
    const profileProps = {
      email: mapped.email,
      givenName: mapped.givenName,
      familyName: mapped.familyName,
      establishments: mapped.establishments.map((e) => ({ uai: e.uai, function: e.function, isPrimary: e.isPrimary })),
    };
    const user = existing
      ? await this.deps.users.updateProfile(
          { userId: existing.id, ...profileProps, academyCode: idp.academy, managedRoles: { manages: ['chef', 'enseignant'], roles: mapped.roles }, source: `saml:${idp.id}` },
          ensureEstablishments,
          existing,
        )
      : await this.deps.users.create({ ...profileProps, roles: mapped.roles, academyCode: idp.academy, identity }, `saml:${idp.id}`, ensureEstablishments);
    if (!user) throw new SamlRefusal('attributes', 'compte désactivé');

    const session: SamlSessionInfo = {
      idp: idp.id,
      nameID: profile.nameID,
      nameIDFormat: profile.nameIDFormat,
      ...(profile.nameQualifier ? { nameQualifier: profile.nameQualifier } : {}),
      ...(profile.spNameQualifier ? { spNameQualifier: profile.spNameQualifier } : {}),
      ...(profile.sessionIndex ? { sessionIndex: profile.sessionIndex } : {}),
    };
    await this.rememberAttributes(identity, session, attributes);
    return { user, identity, session, next, created: !existing };
  }

  private async rememberAttributes(identity: { provider: string; subject: string }, session: SamlSessionInfo, attributes: ReceivedAttributes): Promise<void> {
    const values = {
      name_id: session.nameID,
      name_id_format: session.nameIDFormat ?? null,
      session_index: session.sessionIndex ?? null,
      attributes: JSON.stringify(attributes),
      received_at: new Date(),
    };
    await this.deps.db
      .insertInto('saml_identities')
      .values({ provider: identity.provider, subject: identity.subject, ...values })
      .onConflict((oc) => oc.columns(['provider', 'subject']).doUpdateSet(values))
      .execute();
  }

  /** Accounts an IdP's LogoutRequest names (by NameID, as the IdP knows them). */
  async usersOfNameId(idpId: string, nameId: string): Promise<number[]> {
    const rows = await this.deps.db
      .selectFrom('saml_identities as s')
      .innerJoin('user_identities as i', (j) => j.onRef('i.provider', '=', 's.provider').onRef('i.subject', '=', 's.subject'))
      .select('i.user_id')
      .where('s.provider', '=', idpId)
      .where('s.name_id', '=', nameId)
      .execute();
    return [...new Set(rows.map((r) => r.user_id))];
  }

  /** A signed LogoutRequest URL for the IdP of this session, or null when it has no SLO. */
  async logoutUrl(session: SamlSessionInfo | undefined): Promise<string | null> {
    if (!session) return null;
    const state = this.registry.get(session.idp);
    if (!state?.metadata?.sloUrl || !state.config.singleLogout || !this.credentials) return null;
    const { saml } = this.saml(state as ReadyIdp);
    return saml.getLogoutUrlAsync({ issuer: state.metadata.entityId, ...session } as Profile, '', {});
  }

  /**
   * A LogoutRequest from the IdP (redirect or POST binding), checked: signed (node-saml would
   * take an unsigned redirect), from this IdP, on time, never seen before.
   */
  async readLogoutRequest(state: ReadyIdp, message: LogoutMessage): Promise<Profile> {
    const { saml } = this.saml(state);
    let profile: Profile | null;
    if (message.binding === 'redirect') {
      if (typeof message.query.Signature !== 'string') throw new SamlRefusal('unsigned', 'LogoutRequest sans signature');
      decodeRedirectMessage(message.query.SAMLRequest);
      ({ profile } = await saml.validateRedirectAsync(message.query, message.rawQuery));
    } else {
      decodePostMessage(message.body.SAMLRequest);
      ({ profile } = await saml.validatePostRequestAsync({ SAMLRequest: String(message.body.SAMLRequest) }));
    }
    if (!profile?.ID || !profile.nameID) throw new SamlRefusal('malformed', 'LogoutRequest incomplet');
    if (!(await markMessageUsed(this.deps.db, state.config.id, profile.ID, new Date(Date.now() + 24 * 3600_000)))) {
      throw new SamlRefusal('replay', `LogoutRequest déjà reçu : ${profile.ID}`);
    }
    return profile;
  }

  /** The IdP's answer to our LogoutRequest: valid, and answering a request of ours (used once). */
  async readLogoutResponse(state: ReadyIdp, message: LogoutMessage): Promise<void> {
    const { saml, store } = this.saml(state);
    let xml: string;
    if (message.binding === 'redirect') {
      xml = decodeRedirectMessage(message.query.SAMLResponse);
      await saml.validateRedirectAsync(message.query, message.rawQuery);
    } else {
      xml = decodePostMessage(message.body.SAMLResponse);
      await saml.validatePostResponseAsync({ SAMLResponse: String(message.body.SAMLResponse) });
    }
    const inResponseTo = parseXml(xml).documentElement.getAttribute('InResponseTo');
    if (!inResponseTo || !(await store.removeAsync(inResponseTo))) throw new SamlRefusal('replay', `LogoutResponse sans demande en attente : ${inResponseTo}`);
  }

  /** Where to send the browser with our LogoutResponse, or null when the IdP has no SLO endpoint. */
  async logoutResponseUrl(state: ReadyIdp, request: Profile, relayState: string): Promise<string | null> {
    if (!state.metadata.sloUrl) return null;
    return this.saml(state).saml.getLogoutResponseUrlAsync(request, relayState, {}, true);
  }

  spMetadata(state: ReadyIdp): string {
    const { saml } = this.saml(state);
    const xml = saml.generateServiceProviderMetadata(null, this.credentials!.certificate);
    // node-saml lists only the POST binding for logout; our SLO endpoint takes redirects too.
    const slo = this.urls(state.config).slo;
    return xml.replace(/(\s*)<SingleLogoutService /, `$1<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${slo}"/>$1<SingleLogoutService `);
  }
}

interface AssertionJs {
  $?: { ID?: string; IssueInstant?: string };
  Subject?: { SubjectConfirmation?: { SubjectConfirmationData?: { $?: { Recipient?: string; InResponseTo?: string } }[] }[] }[];
}
