import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import { identityProviderSchema } from '../identityProviders.js';
import { IdpRegistry } from './idpRegistry.js';
import { MetadataError, parseIdpMetadata } from './idpMetadata.js';
import { TestIdp } from '../../../test/support/samlIdp.js';

describe('IdP metadata and its refresh', () => {
  let idp: TestIdp;
  let dir: string;
  const log = pino({ level: 'silent' });
  before(async () => {
    idp = await TestIdp.start('ac-test');
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'maillon-md-'));
  });
  after(async () => {
    await idp.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('reads entity id, certificate expiry, SSO and SLO locations', () => {
    const md = parseIdpMetadata(idp.metadataXml());
    expect(md.entityId).to.equal(idp.entityId);
    expect(md.ssoUrl).to.equal(`${idp.url}/sso`);
    expect(md.sloUrl).to.equal(`${idp.url}/slo`);
    expect(md.certificateExpiresAt.getTime()).to.be.greaterThan(Date.now() + 300 * 24 * 3600_000);
  });

  it('refuses metadata with a DOCTYPE, a broken certificate or no SSO service', () => {
    expect(() => parseIdpMetadata(`<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${idp.metadataXml().replace(/^<\?xml[^>]*>/, '')}`)).to.throw(MetadataError);
    expect(() => parseIdpMetadata(idp.metadataXml().replace(/<ds:X509Certificate>[^<]+/, '<ds:X509Certificate>AAAA'))).to.throw(MetadataError, /certificat/);
    expect(() => parseIdpMetadata(idp.metadataXml().replace(/<md:SingleSignOnService[^>]*HTTP-Redirect[^>]*\/>/, ''))).to.throw(MetadataError, /SingleSignOnService/);
  });

  it('keeps the last good copy when a refresh fails, and says why', async () => {
    const file = path.join(dir, 'file.xml');
    await fs.writeFile(file, idp.metadataXml());
    const config = identityProviderSchema.parse({ id: 'ac-test', name: 'Test', academy: 'poitiers', metadata: { file } });
    const registry = new IdpRegistry([config], { cacheDir: path.join(dir, 'cache'), log });
    await registry.loadAll(true);
    await fs.writeFile(file, '<pas du XML');
    const state = await registry.refresh('ac-test');
    expect(state.metadata?.entityId).to.equal(idp.entityId);
    expect(state.error).to.match(/illisibles/);
    expect(registry.usable()).to.have.length(1);
  });

  it('fetches metadata from a URL and starts from the copy on disk when the URL is down', async () => {
    const config = identityProviderSchema.parse({ id: 'ac-url', name: 'Test', academy: 'poitiers', metadata: { url: `${idp.url}/metadata` } });
    const cacheDir = path.join(dir, 'url-cache');
    const first = new IdpRegistry([config], { cacheDir, log });
    await first.loadAll(true);
    expect(first.get('ac-url')!.loadedFrom).to.equal('source');
    const down = identityProviderSchema.parse({ ...config, metadata: { url: 'http://127.0.0.1:9/metadata' } });
    const second = new IdpRegistry([down], { cacheDir, log });
    await second.loadAll(true);
    expect(second.get('ac-url')).to.include({ loadedFrom: 'cache' });
    expect(second.get('ac-url')!.error).to.match(/injoignables/);
    const none = new IdpRegistry([{ ...down, id: 'ac-none' }], { cacheDir, log });
    let refused: Error | null = null;
    await none.loadAll(true).catch((e: Error) => (refused = e));
    expect(String(refused)).to.contain('« ac-none »');
  });
});
