import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { browserAvailable, launchBrowser, expectAccessible, expectVisible } from '../support/browser.js';
import { TestIdp, writeIdpConfig } from '../support/samlIdp.js';

describe('academic SSO in Chromium', function () {
  this.timeout(120_000);
  let t: TestApp;
  let idp: TestIdp;
  let other: TestIdp;
  let dir: string;
  let browser: Browser;
  let page: Page;

  before(async function () {
    if (!browserAvailable()) return this.skip();
    [idp, other] = await Promise.all([TestIdp.start('ac-poitiers'), TestIdp.start('ac-limoges')]);
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'maillon-saml-browser-'));
    const config = await writeIdpConfig(dir, [
      { idp, name: 'Académie de Poitiers', academy: 'poitiers' },
      { idp: other, name: 'Académie de Limoges', academy: 'limoges' },
    ]);
    t = await startTestApp({ env: { SAML_IDP_CONFIG: config } });
    idp.sloReturn = `${t.url}/auth/saml/ac-poitiers/slo`;
    idp.spCert = t.maillon.core.saml.spCredentials!.certificate;
    idp.users.set('cmartin', {
      nameId: 'AAdzZWNyZXQx',
      attributes: { ctemail: 'claire.martin@ac-poitiers.fr', ctfn: 'Claire', ctln: 'Martin', FrEduRne: '0860019K$UAJ$PU$ENS$0860019K$T3$CLG$340', FrEduFonctAdm: 'ENS' },
    });
    browser = await launchBrowser();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await Promise.all([idp?.close(), other?.close()]);
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });


  it('chooses the académie, logs in at the IdP, lands on the dashboard, and logs out of both', async () => {
    await page.goto(`${t.url}/login`);
    await expectAccessible(page, 'connexion avec choix de l’académie');
    await page.getByLabel('Votre académie').selectOption({ label: 'Académie de Poitiers' });
    await page.getByRole('button', { name: 'Continuer vers mon académie' }).click();

    await page.waitForURL(`${idp.url}/sso?**`);
    await page.getByLabel('Identifiant').fill('cmartin');
    await page.getByLabel('Mot de passe').fill('secret');
    await page.getByRole('button', { name: 'Valider' }).click();

    await page.waitForURL(`${t.url}/`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Bonjour Claire');
    await expectVisible(page.getByText('votre compte a été créé'));
    await expectAccessible(page, 'tableau de bord après connexion académique');

    // The académie is remembered for next time.
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.waitForURL(`${t.url}/`);
    await expectVisible(page.getByText('déconnecté de Maillon et de votre compte académique'));
    expect(idp.logoutRequests.at(-1)).to.include({ nameId: 'AAdzZWNyZXQx', signed: true });
    await page.goto(`${t.url}/login`);
    expect(await page.getByLabel('Votre académie').inputValue()).to.equal('ac-poitiers');
  });

  it('passes axe on the SSO admin pages', async () => {
    const user = (await t.maillon.core.users.byIdentity('ac-poitiers', 'AAdzZWNyZXQx'))!;
    await t.maillon.core.users.setRoles(user.id, ['admin', 'enseignant'], null);
    await page.getByRole('button', { name: 'Continuer vers mon académie' }).click();
    await page.waitForURL(`${idp.url}/sso?**`);
    await page.getByLabel('Identifiant').fill('cmartin');
    await page.getByRole('button', { name: 'Valider' }).click();
    await page.waitForURL(`${t.url}/`);
    for (const [url, label] of [
      ['/admin/idps', "fournisseurs d'identité"],
      ['/admin/idps/test', 'attributs reçus'],
      ['/admin/idps/duplicates', 'adresses en double'],
    ] as const) {
      await page.goto(`${t.url}${url}`);
      expect(await page.locator('h1').count(), label).to.equal(1);
      await expectAccessible(page, label);
    }
    expect(await page.getByText('0860019K$UAJ$PU$ENS$0860019K$T3$CLG$340').isVisible()).to.equal(false);
    await page.goto(`${t.url}/admin/idps/test`);
    await expectVisible(page.getByText('0860019K$UAJ$PU$ENS$0860019K$T3$CLG$340'));
  });
});
