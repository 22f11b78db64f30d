import crypto, { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import querystring from 'node:querystring';
import zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { SignedXml } from 'xml-crypto';
import { DOMParser } from '@xmldom/xmldom';
import { generate } from 'selfsigned';

/**
 * A real SAML identity provider for the tests, in process: it publishes metadata, reads
 * (and checks the signature of) the AuthnRequests Maillon sends, shows a tiny login form,
 * and answers with responses signed by xml-crypto — or, for the refusal tests, with
 * responses built wrong on purpose.
 */

export interface KeyPair {
  key: string;
  cert: string;
  /** The certificate without PEM armour. */
  certBase64: string;
}

export async function generateKeyPair(cn = 'IdP de test', validDays = 365): Promise<KeyPair> {
  const pems = await generate([{ name: 'commonName', value: cn }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + validDays * 24 * 3600_000),
  });
  return { key: pems.private, cert: pems.cert, certBase64: pemBody(pems.cert) };
}

export function pemBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

export type Attributes = Record<string, string | string[]>;

export interface ResponseOptions {
  /** The SP's ACS URL: Destination and Recipient unless overridden. */
  acs: string;
  /** The SP's entity id: the Audience unless overridden. */
  audience: string;
  inResponseTo?: string | null;
  nameId?: string;
  attributes?: Attributes;
  destination?: string | null;
  recipient?: string;
  issuer?: string;
  /** Seconds relative to now. */
  notBefore?: number;
  notOnOrAfter?: number;
  issueInstant?: number;
  sign?: 'assertion' | 'response' | 'both' | 'none';
  signingKey?: KeyPair;
  assertionId?: string;
  sessionIndex?: string;
}

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';

export function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const iso = (offsetSeconds: number) => new Date(Date.now() + offsetSeconds * 1000).toISOString();
export const newId = () => `_${randomUUID().replaceAll('-', '')}`;

export interface TestUser {
  nameId: string;
  attributes: Attributes;
}

export class TestIdp {
  readonly entityId: string;
  readonly users = new Map<string, TestUser>();
  /** AuthnRequests received: id, whether their signature checked out. */
  readonly authnRequests: { id: string; acs: string | null; issuer: string | null; signed: boolean }[] = [];
  readonly logoutRequests: { id: string; nameId: string; sessionIndex: string | null; signed: boolean }[] = [];
  /** The SP certificate, to check signed requests (read from the SP metadata). */
  spCert: string | null = null;
  private server: http.Server | null = null;
  url = '';

  private constructor(readonly id: string, readonly keys: KeyPair, readonly options: { slo: boolean }) {
    this.entityId = `https://idp.${id}.test/idp/shibboleth`;
  }

  static async start(id: string, options: { slo?: boolean; keys?: KeyPair } = {}): Promise<TestIdp> {
    const idp = new TestIdp(id, options.keys ?? (await generateKeyPair(`IdP ${id}`)), { slo: options.slo ?? true });
    idp.server = http.createServer((req, res) => void idp.handle(req, res).catch((error) => {
      res.statusCode = 500;
      res.end(String(error));
    }));
    await new Promise<void>((resolve) => idp.server!.listen(0, '127.0.0.1', resolve));
    idp.url = `http://127.0.0.1:${(idp.server.address() as AddressInfo).port}`;
    return idp;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  metadataXml(): string {
    const slo = this.options.slo
      ? `<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${this.url}/slo"/>`
      : '';
    return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${this.entityId}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${this.keys.certBase64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    ${slo}
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${this.url}/sso-post"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${this.url}/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
  }

  /** Writes the metadata where an IdP config file can name it. */
  async writeMetadata(dir: string): Promise<string> {
    const file = path.join(dir, `${this.id}-metadata.xml`);
    await fs.writeFile(file, this.metadataXml());
    return file;
  }

  /** A signed (or deliberately broken) SAML Response, as XML. */
  buildResponse(o: ResponseOptions): string {
    const responseId = newId();
    const assertionId = o.assertionId ?? newId();
    const issuer = escapeXml(o.issuer ?? this.entityId);
    const irt = o.inResponseTo ? ` InResponseTo="${escapeXml(o.inResponseTo)}"` : '';
    const destination = o.destination === null ? '' : ` Destination="${escapeXml(o.destination ?? o.acs)}"`;
    const attributes = Object.entries(o.attributes ?? {})
      .map(([name, value]) => {
        const values = (Array.isArray(value) ? value : [value])
          .map((v) => `<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">${escapeXml(v)}</saml:AttributeValue>`)
          .join('');
        return `<saml:Attribute Name="${escapeXml(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">${values}</saml:Attribute>`;
      })
      .join('');
    const assertion =
      `<saml:Assertion xmlns:saml="${SAML}" ID="${assertionId}" Version="2.0" IssueInstant="${iso(o.issueInstant ?? 0)}">` +
      `<saml:Issuer>${issuer}</saml:Issuer>` +
      `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient">${escapeXml(o.nameId ?? 'anonyme')}</saml:NameID>` +
      `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${iso(o.notOnOrAfter ?? 300)}" Recipient="${escapeXml(o.recipient ?? o.acs)}"${irt}/></saml:SubjectConfirmation></saml:Subject>` +
      `<saml:Conditions NotBefore="${iso(o.notBefore ?? -30)}" NotOnOrAfter="${iso(o.notOnOrAfter ?? 300)}"><saml:AudienceRestriction><saml:Audience>${escapeXml(o.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
      `<saml:AuthnStatement AuthnInstant="${iso(0)}" SessionIndex="${escapeXml(o.sessionIndex ?? newId())}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
      (attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : '') +
      `</saml:Assertion>`;
    let xml =
      `<samlp:Response xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ID="${responseId}" Version="2.0" IssueInstant="${iso(o.issueInstant ?? 0)}"${destination}${irt}>` +
      `<saml:Issuer>${issuer}</saml:Issuer>` +
      `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
      assertion +
      `</samlp:Response>`;
    const sign = o.sign ?? 'assertion';
    const keys = o.signingKey ?? this.keys;
    if (sign === 'assertion' || sign === 'both') xml = signElement(xml, 'Assertion', keys);
    if (sign === 'response' || sign === 'both') xml = signElement(xml, 'Response', keys);
    return xml;
  }

  /** A LogoutRequest from the IdP to the SP (redirect binding), signed unless told not to. */
  logoutRequestUrl(spSlo: string, nameId: string, options: { sign?: boolean; issuer?: string; id?: string } = {}): string {
    return redirectUrl(spSlo, 'SAMLRequest', this.logoutRequestXml(spSlo, nameId, options), options.sign === false ? null : this.keys);
  }

  /** The same for the POST binding: the signature is inside the XML. */
  logoutRequestPost(spSlo: string, nameId: string, options: { sign?: boolean } = {}): string {
    const xml = this.logoutRequestXml(spSlo, nameId, {});
    return Buffer.from(options.sign === false ? xml : signElement(xml, 'LogoutRequest', this.keys)).toString('base64');
  }

  private logoutRequestXml(spSlo: string, nameId: string, options: { issuer?: string; id?: string }): string {
    return (
      `<samlp:LogoutRequest xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ID="${options.id ?? newId()}" Version="2.0" IssueInstant="${iso(0)}" Destination="${escapeXml(spSlo)}">` +
      `<saml:Issuer>${escapeXml(options.issuer ?? this.entityId)}</saml:Issuer>` +
      `<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient">${escapeXml(nameId)}</saml:NameID>` +
      `</samlp:LogoutRequest>`
    );
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    if (req.method === 'GET' && url.pathname === '/sso') return this.loginForm(url, res);
    if (req.method === 'POST' && url.pathname === '/login') return this.login(await readForm(req), res);
    if (req.method === 'GET' && url.pathname === '/slo') return this.singleLogout(url, res);
    if (req.method === 'GET' && url.pathname === '/metadata') {
      res.setHeader('Content-Type', 'application/samlmetadata+xml');
      return void res.end(this.metadataXml());
    }
    if (url.pathname === '/autosubmit.js') {
      res.setHeader('Content-Type', 'text/javascript');
      return void res.end("document.querySelector('form').submit();");
    }
    res.statusCode = 404;
    res.end('inconnu');
  }

  /** The AuthnRequest, with its signature checked against the SP certificate when signed. */
  readAuthnRequest(url: URL): { id: string; acs: string | null; issuer: string | null; signed: boolean } {
    const xml = zlib.inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    const root = doc.documentElement!;
    const issuer = root.getElementsByTagNameNS(SAML, 'Issuer')[0]?.textContent ?? null;
    const request = { id: root.getAttribute('ID') ?? '', acs: root.getAttribute('AssertionConsumerServiceURL'), issuer, signed: verifyRedirect(url, this.spCert) };
    this.authnRequests.push(request);
    return request;
  }

  private loginForm(url: URL, res: http.ServerResponse): void {
    const request = this.readAuthnRequest(url);
    const relay = url.searchParams.get('RelayState') ?? '';
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Connexion ${this.id}</title></head><body><main>
<h1>Guichet d'authentification (${escapeXml(this.id)})</h1>
<form method="post" action="/login">
<input type="hidden" name="request" value="${escapeXml(request.id)}">
<input type="hidden" name="acs" value="${escapeXml(request.acs ?? '')}">
<input type="hidden" name="audience" value="${escapeXml(request.issuer ?? '')}">
<input type="hidden" name="relay" value="${escapeXml(relay)}">
<label for="username">Identifiant</label> <input id="username" name="username" autocomplete="username">
<label for="password">Mot de passe</label> <input id="password" name="password" type="password">
<button type="submit">Valider</button>
</form></main></body></html>`);
  }

  private login(form: Record<string, string>, res: http.ServerResponse): void {
    const user = this.users.get(form.username ?? '');
    if (!user) {
      res.statusCode = 401;
      return void res.end('Identifiant inconnu');
    }
    const xml = this.buildResponse({ acs: form.acs!, audience: form.audience!, inResponseTo: form.request, nameId: user.nameId, attributes: user.attributes });
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(postForm(form.acs!, { SAMLResponse: Buffer.from(xml).toString('base64'), ...(form.relay ? { RelayState: form.relay } : {}) }));
  }

  /** SP-initiated Single Logout: record the request, answer with a signed LogoutResponse. */
  private singleLogout(url: URL, res: http.ServerResponse): void {
    const xml = zlib.inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
    const root = new DOMParser().parseFromString(xml, 'text/xml').documentElement!;
    const id = root.getAttribute('ID') ?? '';
    const nameId = root.getElementsByTagNameNS(SAML, 'NameID')[0]?.textContent ?? '';
    const sessionIndex = root.getElementsByTagNameNS(SAMLP, 'SessionIndex')[0]?.textContent ?? null;
    this.logoutRequests.push({ id, nameId, sessionIndex, signed: verifyRedirect(url, this.spCert) });
    const sloBack = this.sloReturn ?? '';
    const response =
      `<samlp:LogoutResponse xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ID="${newId()}" Version="2.0" IssueInstant="${iso(0)}" Destination="${escapeXml(sloBack)}" InResponseTo="${escapeXml(id)}">` +
      `<saml:Issuer>${escapeXml(this.entityId)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>`;
    res.statusCode = 302;
    res.setHeader('Location', redirectUrl(sloBack, 'SAMLResponse', response, this.keys, url.searchParams.get('RelayState') ?? undefined));
    res.end();
  }

  /** Where the IdP sends LogoutResponses (the SP's SLO URL). */
  sloReturn: string | null = null;
}

/** Signs the element named `local` (Assertion or Response), enveloped, RSA-SHA256, exclusive c14n. */
export function signElement(xml: string, local: 'Assertion' | 'Response' | 'LogoutRequest', keys: KeyPair): string {
  const sig = new SignedXml({
    privateKey: keys.key,
    publicCert: keys.cert,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  sig.addReference({
    xpath: `//*[local-name(.)='${local}']`,
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  sig.computeSignature(xml, { prefix: 'ds', location: { reference: `//*[local-name(.)='${local}']/*[local-name(.)='Issuer']`, action: 'after' } });
  return sig.getSignedXml();
}

/** An HTTP-Redirect binding URL, its query signed as SAML requires (or not, with keys null). */
export function redirectUrl(target: string, param: 'SAMLRequest' | 'SAMLResponse', xml: string, keys: KeyPair | null, relayState?: string): string {
  const message: Record<string, string> = { [param]: zlib.deflateRawSync(xml).toString('base64') };
  if (relayState) message.RelayState = relayState;
  if (keys) {
    message.SigAlg = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
    message.Signature = crypto.createSign('RSA-SHA256').update(querystring.stringify(message)).sign(keys.key, 'base64');
  }
  return `${target}${target.includes('?') ? '&' : '?'}${querystring.stringify(message)}`;
}

function verifyRedirect(url: URL, cert: string | null): boolean {
  const signature = url.searchParams.get('Signature');
  if (!signature || !cert) return false;
  const raw = url.search.slice(1).split('&');
  const pick = (name: string) => raw.find((p) => p.startsWith(`${name}=`));
  const signed = ['SAMLRequest', 'RelayState', 'SigAlg'].map(pick).filter(Boolean).join('&');
  return crypto.createVerify('RSA-SHA256').update(signed).verify(cert, signature, 'base64');
}

/** The page an IdP returns after login: a form posted to the SP's ACS (by a script file, or by hand). */
export function postForm(action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeXml(value)}">`)
    .join('');
  return `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Retour vers le service</title><script src="/autosubmit.js" defer></script></head><body><main><h1>Retour vers le service</h1><form method="post" action="${escapeXml(action)}">${inputs}<button type="submit">Continuer</button></form></main></body></html>`;
}

function readForm(req: http.IncomingMessage): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => resolve(Object.fromEntries(new URLSearchParams(body))));
    req.on('error', reject);
  });
}

/** Writes an IdP config file (YAML) naming each IdP's metadata, with per-IdP overrides. */
export async function writeIdpConfig(dir: string, idps: { idp: TestIdp; name: string; academy: string; extra?: Record<string, unknown> }[]): Promise<string> {
  const entries = await Promise.all(
    idps.map(async ({ idp, name, academy, extra }) => ({ id: idp.id, name, academy, metadata: { file: await idp.writeMetadata(dir) }, ...extra })),
  );
  const file = path.join(dir, 'idps.json');
  await fs.writeFile(file, JSON.stringify({ identityProviders: entries }, null, 2));
  return file;
}

/**
 * What production needs for SSO, in `dir`: an IdP metadata file and its config, and Maillon's
 * own key pair. The IdP server itself is not started (only its metadata is read at start-up).
 */
export async function productionSamlEnv(dir: string, idpId = 'ac-poitiers'): Promise<Record<string, string>> {
  const idp = await TestIdp.start(idpId);
  const config = await writeIdpConfig(dir, [{ idp, name: 'Académie de Poitiers', academy: 'poitiers' }]);
  await idp.close();
  const sp = await generateKeyPair('Maillon production');
  await fs.writeFile(path.join(dir, 'sp-key.pem'), sp.key);
  await fs.writeFile(path.join(dir, 'sp-cert.pem'), sp.cert);
  return { SAML_IDP_CONFIG: config, SAML_SP_KEY: path.join(dir, 'sp-key.pem'), SAML_SP_CERT: path.join(dir, 'sp-cert.pem') };
}
