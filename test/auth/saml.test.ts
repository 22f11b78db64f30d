import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type supertest from 'supertest';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { action } from '../../server/plugins/hooks.js';
import { generateKeyPair, newId, pemBody, postForm, redirectUrl, signElement, TestIdp, writeIdpConfig, type ResponseOptions } from '../support/samlIdp.js';

/** Attributes as an académie IdP sends them. */
const teacher = (over: Record<string, string | string[]> = {}) => ({
  ctemail: 'claire.martin@ac-poitiers.fr',
  ctfn: 'Claire',
  ctln: 'Martin',
  FrEduRne: ['0860001A$UAJ$PU$ENS$0860001A$T3$LYC$340'],
  FrEduFonctAdm: 'ENS',
  ...over,
});

describe('academic SSO (SAML 2.0) over real HTTP', function () {
  this.timeout(60_000);
  let poitiers: TestIdp;
  let corse: TestIdp;
  let reunion: TestIdp;
  let limoges: TestIdp;
  let dir: string;
  let t: TestApp;

  before(async () => {
    [poitiers, corse, reunion, limoges] = await Promise.all([
      TestIdp.start('ac-poitiers'),
      TestIdp.start('ac-corse', { slo: false }),
      TestIdp.start('ac-reunion'),
      TestIdp.start('ac-limoges', { keys: await generateKeyPair('IdP qui expire', 10) }),
    ]);
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'maillon-saml-'));
    const config = await writeIdpConfig(dir, [
      { idp: poitiers, name: 'Académie de Poitiers', academy: 'poitiers' },
      { idp: corse, name: 'Académie de Corse', academy: 'corse', extra: { signAuthnRequest: false, wantAssertionSigned: true } },
      { idp: reunion, name: 'Académie de La Réunion', academy: 'la-reunion', extra: { allowIdpInitiated: true, subjectAttribute: 'uid' } },
      { idp: limoges, name: 'Académie de Limoges', academy: 'limoges' },
    ]);
    // An IdP whose metadata cannot be read: outside production, reported rather than fatal.
    const parsed = JSON.parse(await fs.readFile(config, 'utf8'));
    parsed.identityProviders.push({ id: 'ac-nantes', name: 'Académie de Nantes', academy: 'nantes', metadata: { file: './absent.xml' } });
    await fs.writeFile(config, JSON.stringify(parsed));
    t = await startTestApp({ env: { SAML_IDP_CONFIG: config } });
    for (const idp of [poitiers, corse, reunion]) {
      const metadata = await t.agent().get(`/auth/saml/${idp.id}/metadata`).expect(200);
      const body = /<(?:ds:)?X509Certificate>([^<]+)</.exec(metadata.text)![1]!.replace(/\s+/g, '');
      idp.spCert = `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----`;
      idp.sloReturn = sp(idp).slo;
    }
  });
  after(async () => {
    await t.close();
    await Promise.all([poitiers.close(), corse.close(), reunion.close(), limoges.close()]);
    await fs.rm(dir, { recursive: true, force: true });
  });

  const sp = (idp: TestIdp) => ({
    entityId: `${t.url}/auth/saml/${idp.id}/metadata`,
    acs: `${t.url}/auth/saml/${idp.id}/acs`,
    slo: `${t.url}/auth/saml/${idp.id}/slo`,
  });
  const userCount = async () => Number((await t.maillon.core.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const lastRefusal = () =>
    t.maillon.core.db.selectFrom('audit_log').selectAll().where('action', '=', 'auth.saml.refused').orderBy('id', 'desc').executeTakeFirst();

  /** Login page → start → the IdP's redirect; returns the AuthnRequest the IdP received. */
  async function begin(client: supertest.Agent, idp: TestIdp, next = '/') {
    const res = await client.get('/auth/saml/start').query({ idp: idp.id, next }).expect(302);
    const location = new URL(res.headers.location as string);
    expect(location.origin + location.pathname).to.equal(`${idp.url}/sso`);
    return { request: idp.readAuthnRequest(location), relay: location.searchParams.get('RelayState') ?? '' };
  }

  function post(client: supertest.Agent, idp: TestIdp, xml: string, relay?: string) {
    return client
      .post(`/auth/saml/${idp.id}/acs`)
      .type('form')
      .send({ SAMLResponse: Buffer.from(xml).toString('base64'), ...(relay !== undefined ? { RelayState: relay } : {}) });
  }

  /** A response answering a fresh request of `client`, with options on top. */
  async function answer(client: supertest.Agent, idp: TestIdp, options: Partial<ResponseOptions> = {}) {
    const { request, relay } = await begin(client, idp);
    return { xml: idp.buildResponse({ acs: sp(idp).acs, audience: sp(idp).entityId, inResponseTo: request.id, nameId: 'nid-x', attributes: teacher(), ...options }), relay, request };
  }

  async function expectLoggedOut(client: supertest.Agent) {
    const res = await client.get('/profile');
    expect(res.status, 'no session was opened').to.equal(303);
  }

  describe('login', () => {
    it('lists the académies on the login page and remembers the one chosen', async () => {
      const client = t.agent();
      const page = await client.get('/login').expect(200);
      expect(page.text).to.contain('Académie de Poitiers').and.to.contain('Académie de Corse');
      expect(page.text, 'an IdP without metadata is not offered').not.to.contain('Académie de Nantes');
      expect(page.text).not.to.match(/<option value="ac-corse" selected>/);
      await begin(client, corse);
      const again = await client.get('/login').expect(200);
      expect(again.text).to.match(/<option value="ac-corse" selected>/);
    });

    it('publishes SP metadata per IdP: entity id, ACS, SLO and signing certificate', async () => {
      const res = await t.agent().get('/auth/saml/ac-poitiers/metadata').expect(200);
      expect(res.headers['content-type']).to.contain('application/samlmetadata+xml');
      expect(res.text).to.contain(`entityID="${sp(poitiers).entityId}"`);
      expect(res.text).to.contain(`Location="${sp(poitiers).acs}"`);
      expect(res.text).to.contain(`Location="${sp(poitiers).slo}"`);
      expect(res.text.replace(/\s+/g, '')).to.contain(pemBody(t.maillon.core.saml.spCredentials!.certificate));
      expect(res.text).to.contain(`Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${sp(poitiers).slo}"`);
      await t.agent().get('/auth/saml/inconnue/metadata').expect(404);
    });

    it('signs the AuthnRequest when configured, not otherwise', async () => {
      const signed = await begin(t.agent(), poitiers);
      expect(signed.request.signed).to.equal(true);
      expect(signed.request.acs).to.equal(sp(poitiers).acs);
      const plain = await begin(t.agent(), corse);
      expect(plain.request.signed).to.equal(false);
    });

    it('goes redirect → IdP login form → POST to the ACS, creates the account and lands on the page asked for', async () => {
      poitiers.users.set('cmartin', { nameId: 'AAdzZWNyZXQx', attributes: teacher({ FrEduRne: ['0860001A$UAJ$PU$ENS$0860001A$T3$LYC$340', '0861234X$UAJ$PU$ENS$0861234X$T3$CLG$340'] }) });
      const client = t.agent();
      const before = await userCount();
      const start = await client.get('/auth/saml/start').query({ idp: 'ac-poitiers', next: '/profile' }).expect(302);
      const form = await fetch(start.headers.location as string).then((r) => r.text());
      expect(form).to.contain('<label for="username">Identifiant</label>');
      const fields = Object.fromEntries([...form.matchAll(/name="(\w+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]));
      const page = await fetch(`${poitiers.url}/login`, { method: 'POST', body: new URLSearchParams({ ...fields, username: 'cmartin' }) }).then((r) => r.text());
      const action = /action="([^"]+)"/.exec(page)![1]!;
      expect(action).to.equal(sp(poitiers).acs);
      const posted = Object.fromEntries([...page.matchAll(/name="(\w+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]!.replace(/&#(\d+);/g, (_s, c) => String.fromCharCode(Number(c)))]));
      const acs = await client.post('/auth/saml/ac-poitiers/acs').type('form').send(posted).expect(303);
      expect(acs.headers.location).to.equal('/profile');
      expect(await userCount()).to.equal(before + 1);

      const profile = await client.get('/profile').expect(200);
      expect(profile.text).to.contain('Claire Martin');
      const user = await t.maillon.core.users.byIdentity('ac-poitiers', 'AAdzZWNyZXQx');
      expect(user).to.include({ email: 'claire.martin@ac-poitiers.fr', givenName: 'Claire', familyName: 'Martin' });
      expect(user!.roles).to.deep.equal(['enseignant']);
      expect(user!.department?.name).to.equal('Vienne');
      expect(user!.academy?.code).to.equal('poitiers');
      expect(user!.establishments.map((e) => [e.uai, e.departmentCode, e.function])).to.have.deep.members([
        ['0860001A', '86', 'ENS'],
        ['0861234X', '86', 'ENS'],
      ]);
      const created = await t.maillon.core.db.selectFrom('establishments').selectAll().where('uai', '=', '0861234X').executeTakeFirstOrThrow();
      expect(created).to.include({ department_code: '86', kind: 'college' });
      const login = await t.maillon.core.db.selectFrom('audit_log').selectAll().where('action', '=', 'auth.login').where('actor_id', '=', user!.id).executeTakeFirst();
      expect(login?.details).to.deep.include({ method: 'saml:ac-poitiers' });
    });

    it('updates name, e-mail, establishments and roles at every login, keeping roles granted in Maillon', async () => {
      const client = t.agent();
      let { xml } = await answer(client, poitiers, { nameId: 'nid-update', attributes: teacher({ ctemail: 'a.durand@ac-poitiers.fr', ctfn: 'Alice', ctln: 'Durand' }) });
      await post(client, poitiers, xml).expect(303);
      const first = (await t.maillon.core.users.byIdentity('ac-poitiers', 'nid-update'))!;
      const admin = (await t.maillon.core.users.byIdentity('demo', 'admin'))!;
      await t.maillon.core.users.setRoles(first.id, ['enseignant', 'rupn'], admin.id);
      const heard: { hook: string; changed?: string[] }[] = [];
      t.maillon.core.hooks.register('test-sso', action('user:updated', ({ user, changed }) => void (user.id === first.id && heard.push({ hook: 'user:updated', changed }))));
      t.maillon.core.hooks.register('test-sso', action('user:rolesChanged', ({ user }) => void (user.id === first.id && heard.push({ hook: 'user:rolesChanged' }))));

      const lastAttributes = teacher({
        ctemail: 'alice.durand@ac-poitiers.fr',
        ctfn: 'Alice',
        ctln: 'Durand-Petit',
        FrEduFonctAdm: 'DIR',
        FrEduRne: ['0790027R$UAJ$PU$DIR$0790027R$T3$CLG$340'],
        FrEduRneResp: ['0790027R$UAJ$PU$DIR$0790027R$T3$CLG$340'],
      });
      ({ xml } = await answer(client, poitiers, { nameId: 'nid-update', attributes: lastAttributes }));
      await post(client, poitiers, xml).expect(303);
      const after = (await t.maillon.core.users.byIdentity('ac-poitiers', 'nid-update'))!;
      expect(after.id).to.equal(first.id);
      expect(after).to.include({ email: 'alice.durand@ac-poitiers.fr', familyName: 'Durand-Petit' });
      expect(after.roles).to.deep.equal(['chef', 'rupn']);
      expect(after.establishments.map((e) => [e.uai, e.function])).to.deep.equal([['0790027R', 'DIR']]);
      expect(after.department?.name).to.equal('Deux-Sèvres');
      expect(heard).to.deep.equal([{ hook: 'user:updated', changed: ['email', 'name', 'place', 'establishments', 'roles'] }, { hook: 'user:rolesChanged' }]);
      const updates = () => t.maillon.core.db.selectFrom('audit_log').selectAll().where('action', '=', 'user.update').where('target_id', '=', String(first.id)).execute();
      const [update] = await updates();
      expect(update!.details).to.deep.include({ source: 'saml:ac-poitiers' });

      // The same word again changes nothing and writes nothing.
      const same = await answer(client, poitiers, { nameId: 'nid-update', attributes: lastAttributes });
      await post(client, poitiers, same.xml).expect(303);
      expect(await updates()).to.have.length(1);
      expect((await t.maillon.core.users.byIdentity('ac-poitiers', 'nid-update'))!.roles).to.deep.equal(['chef', 'rupn']);
      expect(heard).to.have.length(2);
      t.maillon.core.hooks.unregisterOwner('test-sso');
    });

    it('maps Corsica and overseas UAIs to their départements, and accepts IdP-initiated logins where allowed', async () => {
      const client = t.agent();
      const xml = reunion.buildResponse({
        acs: sp(reunion).acs,
        audience: sp(reunion).entityId,
        nameId: 'transient-1',
        attributes: teacher({
          uid: 'pers-974',
          ctemail: 'paul.hoarau@ac-reunion.fr',
          FrEduRne: ['9740001S$UAJ$PU$DOC$9740001S$T3$LYC$340', '6200002B$UAJ$PU$ENS$6200002B$T3$CLG$340', '7200003C$UAJ$PU$ENS$7200003C$T3$CLG$340', '9760004D$UAJ$PU$ENS$9760004D$T3$CLG$340', '9990001A$UAJ$PU$ENS'],
          FrEduFonctAdm: [],
        }),
      });
      const res = await post(client, reunion, xml, `${t.url}/profile`).expect(303);
      expect(res.headers.location).to.equal('/profile');
      const user = (await t.maillon.core.users.byIdentity('ac-reunion', 'pers-974'))!;
      expect(user.establishments.map((e) => [e.uai, e.departmentCode])).to.have.deep.members([
        ['9740001S', '974'],
        ['6200002B', '2A'],
        ['7200003C', '2B'],
        ['9760004D', '976'],
      ]);
      expect(user.department?.name).to.equal('La Réunion');
      expect(user.roles).to.deep.equal(['enseignant']);
      await client.get('/profile').expect(200);
    });

    it('keeps the same e-mail from another IdP as a second account, listed for the admin', async () => {
      const email = 'double@ac-poitiers.fr';
      for (const idp of [poitiers, corse]) {
        const client = t.agent();
        const { xml } = await answer(client, idp, { nameId: `nid-double-${idp.id}`, attributes: teacher({ ctemail: email }) });
        await post(client, idp, xml).expect(303);
      }
      const a = (await t.maillon.core.users.byIdentity('ac-poitiers', 'nid-double-ac-poitiers'))!;
      const b = (await t.maillon.core.users.byIdentity('ac-corse', 'nid-double-ac-corse'))!;
      expect(a.id).not.to.equal(b.id);
      const admin = await t.loginAs('admin');
      const page = await admin.get('/admin/idps/duplicates').expect(200);
      expect(page.text).to.contain(email);
      expect(page.text).to.contain(`/admin/users/${a.id}`).and.to.contain(`/admin/users/${b.id}`);
      expect(page.text).to.contain('ac-corse');
    });

    it('shows admins each IdP state and the attributes received for the current user', async () => {
      const client = t.agent();
      const { xml } = await answer(client, poitiers, { nameId: 'nid-admin', attributes: teacher({ ctemail: 'admin.sso@ac-poitiers.fr' }) });
      await post(client, poitiers, xml).expect(303);
      const user = (await t.maillon.core.users.byIdentity('ac-poitiers', 'nid-admin'))!;
      await client.get('/admin/idps').expect(403);
      const admin = (await t.maillon.core.users.byIdentity('demo', 'admin'))!;
      await t.maillon.core.users.setRoles(user.id, ['admin', 'enseignant'], admin.id);
      const state = await client.get('/admin/idps').expect(200);
      expect(state.text).to.contain('Académie de Poitiers').and.to.contain('Opérationnel');
      expect(state.text).to.contain(poitiers.entityId);
      expect(state.text).to.match(/Certificat de l'IdP<\/dt>\s*<dd>expire le/);
      expect(state.text).to.match(/Dernière connexion réussie<\/dt><dd>\d/);
      expect(state.text).to.contain(sp(poitiers).entityId);
      expect(state.text).to.match(/id="idp-ac-nantes"[\s\S]*Indisponible[\s\S]*fichier de métadonnées illisible/);
      expect(state.text).to.match(/id="idp-ac-limoges"[\s\S]*dans \d+ jours/);
      const overview = await client.get('/admin').expect(200);
      expect(overview.text).to.contain('Académie de Limoges : le certificat de signature de l&#39;académie expire dans moins de 30 jours.');
      expect(overview.text).to.contain('Académie de Nantes : métadonnées indisponibles');
      const test = await client.get('/admin/idps/test').expect(200);
      expect(test.text).to.contain('FrEduRne').and.to.contain('0860001A$UAJ$PU$ENS$0860001A$T3$LYC$340');
      expect(test.text).to.contain('nid-admin');
    });

    it('still offers the development login outside production', async () => {
      const client = await t.loginAs('rupn');
      await client.get('/profile').expect(200);
    });
  });

  describe('refusals: French page, audit entry, no account, no session', () => {
    async function expectRefused(
      idp: TestIdp,
      build: (client: supertest.Agent) => Promise<{ xml?: string; body?: Record<string, string>; relay?: string }>,
      reason: string,
      status = 403,
    ) {
      const client = t.agent();
      const before = await userCount();
      const built = await build(client);
      const req = built.body
        ? client.post(`/auth/saml/${idp.id}/acs`).type('form').send(built.body)
        : post(client, idp, built.xml!, built.relay);
      const res = await req;
      expect(res.status, res.text.slice(0, 300)).to.equal(status);
      expect(res.text).to.match(/<html lang="fr">/);
      expect(res.text).to.match(/connexion|réponse/i);
      expect((await lastRefusal())?.details).to.deep.include({ reason });
      expect(await userCount(), 'no account created').to.equal(before);
      await expectLoggedOut(client);
      return res;
    }
    const fresh = (over: Partial<ResponseOptions> = {}) => async (client: supertest.Agent) => answer(client, poitiers, { nameId: `nid-${newId()}`, ...over });
    const tamper = (change: (xml: string) => string, over: Partial<ResponseOptions> = {}) => async (client: supertest.Agent) => {
      const built = await answer(client, poitiers, { nameId: 'nid-tamper', ...over });
      const changed = change(built.xml);
      expect(changed).not.to.equal(built.xml);
      return { xml: changed };
    };

    it('an unsigned response and assertion', () => expectRefused(poitiers, fresh({ sign: 'none' }), 'signature'));
    it('a response signed without its assertion, where the IdP config wants the assertion signed', async () => {
      const accepted = t.agent();
      const ok = await answer(accepted, poitiers, { nameId: 'nid-response-signed', sign: 'response' });
      await post(accepted, poitiers, ok.xml).expect(303);
      await expectRefused(corse, async (client) => answer(client, corse, { nameId: 'nid-corse-rs', sign: 'response' }), 'signature');
    });
    it('a signature by another key', async () => {
      const other = await generateKeyPair('Intrus');
      await expectRefused(poitiers, fresh({ signingKey: other }), 'signature');
    });
    it('an attribute altered after signing', () => expectRefused(poitiers, tamper((x) => x.replace('Claire', 'Mallory')), 'signature'));
    it('a NameID altered after signing', () => expectRefused(poitiers, tamper((x) => x.replace('>nid-tamper<', '>nid-victime<')), 'signature'));
    it('an audience altered after signing', () => expectRefused(poitiers, tamper((x) => x.replace(/<saml:Audience>[^<]+</, '<saml:Audience>https://autre.example<')), 'signature'));
    it('conditions altered after signing', () => expectRefused(poitiers, tamper((x) => x.replace(/(<saml:Conditions NotBefore="[^"]+" NotOnOrAfter=")[^"]+"/, '$12099-01-01T00:00:00Z"')), 'signature'));

    it('signature wrapping: a forged assertion beside the signed one', () =>
      expectRefused(poitiers, tamper((x) => {
        const signed = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(x)![0];
        const forged = signed.replace(/ID="[^"]+"/, 'ID="_forged"').replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '').replace('Claire', 'Mallory');
        return x.replace(signed, forged + signed);
      }), 'signature'));
    it('signature wrapping: the signed assertion hidden inside a forged one', () =>
      expectRefused(poitiers, tamper((x) => {
        const signed = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(x)![0];
        const forged = signed.replace(/ID="[^"]+"/, 'ID="_forged"').replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '').replace('nid-tamper', 'nid-mallory');
        return x.replace(signed, forged.replace('</saml:Subject>', `</saml:Subject><saml:Advice>${signed}</saml:Advice>`));
      }), 'signature'));
    it('signature wrapping: a signed response whose signed assertion moved into an extension', () =>
      expectRefused(poitiers, async (client) => {
        const { xml } = await answer(client, poitiers, { nameId: 'nid-xsw3', sign: 'response' });
        const assertion = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)![0];
        const evil = assertion.replace(/ID="[^"]+"/, 'ID="_evil"').replace('nid-xsw3', 'nid-mallory');
        const wrapped = xml
          .replace(assertion, evil)
          .replace('<samlp:Status>', `<samlp:Extensions>${xml.replace(/^[\s\S]*?(<samlp:Response)/, '$1')}</samlp:Extensions><samlp:Status>`);
        return { xml: wrapped };
      }, 'signature'));

    it('a wrong Audience', () => expectRefused(poitiers, fresh({ audience: 'https://autre-service.example/sp' }), 'audience'));
    it('a wrong Destination', () => expectRefused(poitiers, fresh({ destination: 'https://autre-service.example/acs', sign: 'both' }), 'destination'));
    it('a wrong Recipient', () => expectRefused(poitiers, fresh({ recipient: 'https://autre-service.example/acs' }), 'destination'));
    it('an expired assertion', () => expectRefused(poitiers, fresh({ issueInstant: -900, notBefore: -900, notOnOrAfter: -300 }), 'expired'));
    it('a not-yet-valid assertion beyond the clock skew', () => expectRefused(poitiers, fresh({ notBefore: 600 }), 'not-yet-valid'));
    it('accepts a small clock skew', async () => {
      const client = t.agent();
      const { xml } = await answer(client, poitiers, { nameId: 'nid-skew', notBefore: 60 });
      await post(client, poitiers, xml).expect(303);
    });

    it('the same assertion twice', async () => {
      const client = t.agent();
      const { xml } = await answer(client, poitiers, { nameId: 'nid-replay' });
      await post(client, poitiers, xml).expect(303);
      await expectRefused(poitiers, async () => ({ xml }), 'replay');
    });
    it('a second assertion answering the same request (InResponseTo twice)', async () => {
      const client = t.agent();
      const { xml, request } = await answer(client, poitiers, { nameId: 'nid-irt' });
      await post(client, poitiers, xml).expect(303);
      const again = poitiers.buildResponse({ acs: sp(poitiers).acs, audience: sp(poitiers).entityId, inResponseTo: request.id, nameId: 'nid-irt', attributes: teacher() });
      await expectRefused(poitiers, async () => ({ xml: again }), 'replay');
    });
    it('remembers answered requests in the database, across app instances', async () => {
      const client = t.agent();
      const { request } = await begin(client, poitiers);
      const row = await t.maillon.core.db.selectFrom('saml_requests').selectAll().where('id', '=', request.id).executeTakeFirstOrThrow();
      expect(row.idp_id).to.equal('ac-poitiers');
    });
    it('an unsolicited response when IdP-initiated login is off', () =>
      expectRefused(poitiers, async () => ({ xml: poitiers.buildResponse({ acs: sp(poitiers).acs, audience: sp(poitiers).entityId, inResponseTo: null, nameId: 'nid-unsolicited', attributes: teacher() }) }), 'unsolicited'));
    it('a response from another IdP posted to this IdP’s ACS', () =>
      expectRefused(poitiers, async (client) => {
        const { request } = await begin(client, poitiers);
        return { xml: corse.buildResponse({ acs: sp(poitiers).acs, audience: sp(poitiers).entityId, inResponseTo: request.id, nameId: 'nid-corse', attributes: teacher() }) };
      }, 'signature'));
    it('a response naming another IdP as issuer', () => expectRefused(poitiers, fresh({ issuer: corse.entityId }), 'issuer'));
    it('an answer to a request made to another IdP', () =>
      expectRefused(corse, async (client) => {
        const { request } = await begin(client, poitiers);
        return { xml: corse.buildResponse({ acs: sp(corse).acs, audience: sp(corse).entityId, inResponseTo: request.id, nameId: 'nid-cross', attributes: teacher() }) };
      }, 'replay'));

    it('malformed XML', () => expectRefused(poitiers, async () => ({ xml: '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><oops' }), 'malformed', 400));
    it('a body that is not base64', () => expectRefused(poitiers, async () => ({ body: { SAMLResponse: '<<< pas du base64 >>>' } }), 'malformed', 400));
    it('a huge payload', () => expectRefused(poitiers, async () => ({ body: { SAMLResponse: 'A'.repeat(2 * 1024 * 1024) } }), 'too-large', 413));
    it('an external entity (XXE)', () =>
      expectRefused(poitiers, tamper((x) => `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${x.replace('Claire', '&xxe;')}`), 'malformed', 400));
    it('entity expansion (billion laughs)', () =>
      expectRefused(poitiers, async () => ({
        xml: `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&lol3;</samlp:Response>`,
      }), 'malformed', 400));
    it('a RelayState pointing off-site', () =>
      expectRefused(poitiers, async (client) => ({ ...(await answer(client, poitiers, { nameId: 'nid-relay' })), relay: 'https://evil.example/phish' }), 'relay-state'));
    it('a response for an unknown IdP', async () => {
      const res = await t.agent().post('/auth/saml/inconnue/acs').type('form').send({ SAMLResponse: 'AAAA' }).expect(404);
      expect(res.text).to.contain("Ce fournisseur d&#39;identité n&#39;est pas configuré");
    });
  });

  describe('logout', () => {
    async function loggedIn(nameId: string) {
      const client = t.agent();
      const { xml } = await answer(client, poitiers, { nameId, sessionIndex: `session-${nameId}` });
      await post(client, poitiers, xml).expect(303);
      await client.get('/profile').expect(200);
      return client;
    }

    it('SP-initiated: ends the Maillon session, then asks the IdP to end its own, and comes back', async () => {
      const client = await loggedIn('nid-slo-sp');
      const profile = await client.get('/profile').expect(200);
      const token = /name="_csrf" value="([^"]+)"/.exec(profile.text)![1]!;
      const res = await client.post('/logout').type('form').send({ _csrf: token }).expect(303);
      const location = res.headers.location as string;
      expect(location.startsWith(`${poitiers.url}/slo?`)).to.equal(true);
      await expectLoggedOut(client);
      const back = await fetch(location, { redirect: 'manual' });
      const request = poitiers.logoutRequests.at(-1)!;
      expect(request).to.include({ nameId: 'nid-slo-sp', sessionIndex: 'session-nid-slo-sp', signed: true });
      const returned = await client.get((back.headers.get('location') as string).replace(t.url, '')).expect(303);
      expect(returned.headers.location).to.equal('/');
      const home = await client.get('/').expect(200);
      expect(home.text).to.contain('déconnecté de Maillon et de votre compte académique');
    });

    it('without SLO at the IdP, logs out of Maillon only', async () => {
      const client = t.agent();
      const { xml } = await answer(client, corse, { nameId: 'nid-corse-out' });
      await post(client, corse, xml).expect(303);
      const page = await client.get('/profile').expect(200);
      const res = await client.post('/logout').type('form').send({ _csrf: /name="_csrf" value="([^"]+)"/.exec(page.text)![1] }).expect(303);
      expect(res.headers.location).to.equal('/?deconnexion=1');
    });

    it('IdP-initiated: a signed LogoutRequest ends every Maillon session of that NameID and answers the IdP', async () => {
      const laptop = await loggedIn('nid-slo-idp');
      const phone = t.agent();
      const { xml } = await answer(phone, poitiers, { nameId: 'nid-slo-idp' });
      await post(phone, poitiers, xml).expect(303);
      const other = await loggedIn('nid-slo-other');

      const unsigned = await t.agent().get(poitiers.logoutRequestUrl(sp(poitiers).slo, 'nid-slo-idp', { sign: false }).replace(t.url, '')).expect(403);
      expect(unsigned.text).to.contain('signée');
      await laptop.get('/profile').expect(200);

      const res = await laptop.get(poitiers.logoutRequestUrl(sp(poitiers).slo, 'nid-slo-idp').replace(t.url, '')).expect(303);
      const answerUrl = new URL(res.headers.location as string);
      expect(answerUrl.origin + answerUrl.pathname).to.equal(`${poitiers.url}/slo`);
      expect(answerUrl.searchParams.get('SAMLResponse')).to.be.a('string');
      await expectLoggedOut(laptop);
      await expectLoggedOut(phone);
      await other.get('/profile').expect(200);
    });

    it('IdP-initiated over the POST binding, signature inside the message', async () => {
      const client = await loggedIn('nid-slo-post');
      const unsigned = await t.agent().post('/auth/saml/ac-poitiers/slo').type('form').send({ SAMLRequest: poitiers.logoutRequestPost(sp(poitiers).slo, 'nid-slo-post', { sign: false }) });
      expect(unsigned.status).to.equal(403);
      await client.get('/profile').expect(200);
      await t.agent().post('/auth/saml/ac-poitiers/slo').type('form').send({ SAMLRequest: poitiers.logoutRequestPost(sp(poitiers).slo, 'nid-slo-post') }).expect(303);
      await expectLoggedOut(client);
    });

    it('does not confirm a LogoutResponse that answers no request of ours', async () => {
      const forged = redirectUrl(sp(poitiers).slo, 'SAMLResponse', `<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r" Version="2.0" IssueInstant="${new Date().toISOString()}" InResponseTo="_jamais"><saml:Issuer>${poitiers.entityId}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>`, poitiers.keys);
      const client = t.agent();
      await client.get(forged.replace(t.url, '')).expect(303);
      const home = await client.get('/').expect(200);
      expect(home.text).not.to.contain('et de votre compte académique');
      expect((await lastRefusal())?.target_id).to.equal('ac-poitiers');
    });

    it('refuses a replayed LogoutRequest', async () => {
      await loggedIn('nid-slo-replay');
      const url = poitiers.logoutRequestUrl(sp(poitiers).slo, 'nid-slo-replay', { id: '_logout-once' }).replace(t.url, '');
      await t.agent().get(url).expect(303);
      await t.agent().get(url).expect(403);
      expect((await lastRefusal())?.details).to.deep.include({ reason: 'replay' });
    });
  });

  it('rate-limits the ACS with a French 429', async () => {
    const limited = await startTestApp({ seedDemo: false, env: { SAML_IDP_CONFIG: path.join(dir, 'idps.json'), LOGIN_RATE_LIMIT: '3' } });
    try {
      const client = limited.agent();
      for (let i = 0; i < 3; i++) await client.post('/auth/saml/ac-poitiers/acs').type('form').send({ SAMLResponse: 'AAAA' }).expect(400);
      const res = await client.post('/auth/saml/ac-poitiers/acs').type('form').send({ SAMLResponse: 'AAAA' }).expect(429);
      expect(res.text).to.contain('Trop de tentatives de connexion');
    } finally {
      await limited.close();
    }
  });

  it('allows the IdP origins in the CSP form-action (Chromium checks redirects after a form)', async () => {
    const res = await t.agent().get('/login').expect(200);
    expect(res.headers['content-security-policy']).to.match(new RegExp(`form-action 'self' [^;]*${poitiers.url.replace(/[.]/g, '\\.')}`));
  });

  it('a page posting to the ACS from the IdP keeps working without JavaScript', () => {
    expect(postForm('https://sp/acs', { SAMLResponse: 'x' })).to.contain('<button type="submit">Continuer</button>');
  });

  it('signs either element with the test IdP key (sanity check of the fixture)', () => {
    const xml = poitiers.buildResponse({ acs: 'https://sp/acs', audience: 'https://sp', sign: 'none' });
    expect(signElement(xml, 'Response', poitiers.keys)).to.contain('<ds:Signature');
  });
});
