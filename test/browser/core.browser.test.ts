import { expect } from 'chai';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ROOT, startTestApp, type TestApp } from '../support/testApp.js';
import { browserAvailable, expectAccessible as checkAccessible, expectVisible, launchBrowser, submitWithKeyboard } from '../support/browser.js';

describe('core pages in Chromium', function () {
  this.timeout(120_000);
  let t: TestApp;
  let browser: Browser;
  let page: Page;

  before(async function () {
    if (!browserAvailable()) return this.skip();
    t = await startTestApp({ contentDir: path.join(ROOT, 'content') });
    browser = await launchBrowser();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  const expectAccessible = (label: string) => checkAccessible(page, label);

  it('logs in through the development login, sees the dashboard and navigates', async () => {
    await page.goto(t.url);
    await expectAccessible('accueil public');
    await page.getByRole('link', { name: 'Se connecter avec mon compte académique' }).click();
    await expect(page.getByRole('heading', { level: 1 })).to.be.ok;
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Connexion');
    await expectAccessible('connexion');
    await page.getByRole('link', { name: 'Choisir un compte de démonstration' }).click();
    await expectAccessible('comptes de démonstration');
    await page.getByRole('button', { name: /Se connecter en tant que Thomas Leroy/ }).click();

    await page.waitForURL(`${t.url}/`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Bonjour Thomas');
    await expectVisible(page.getByRole('heading', { name: 'Mon réseau' }));
    await expectAccessible('tableau de bord');

    const nav = page.getByRole('navigation', { name: 'Navigation principale' });
    await nav.getByRole('link', { name: 'Aide' }).click();
    await page.waitForURL(`${t.url}/home/aide`);
    expect(await nav.getByRole('link', { name: 'Aide' }).getAttribute('aria-current')).to.equal('page');
    await expectAccessible('aide');

    await page.getByRole('link', { name: 'Thomas Leroy' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Mon profil');
    await expectAccessible('profil');
  });

  it('passes axe on every admin page', async () => {
    for (const [url, label] of [
      ['/admin', 'administration'],
      ['/admin/users', 'comptes'],
      ['/admin/users?q=pauline', 'recherche de comptes'],
      ['/admin/packs', 'parcours'],
      ['/admin/plugins', 'extensions'],
      ['/admin/audit', 'journal'],
    ] as const) {
      // An error page passes axe too: the page must be the one asked for.
      expect((await page.goto(`${t.url}${url}`))!.status(), label).to.equal(200);
      await expectAccessible(label);
    }
    await page.goto(`${t.url}/admin/users?q=pauline`);
    await page.getByRole('link', { name: 'Pauline Girard' }).click();
    expect(await page.getByRole('checkbox', { name: 'Référent numérique (RUPN)' }).isChecked()).to.equal(true);
    await expectAccessible('fiche de compte');
  });

  it('changes a role from the user page with the keyboard and shows the confirmation', async () => {
    await page.goto(`${t.url}/admin/users?q=sophie`);
    await page.getByRole('link', { name: 'Sophie Martin' }).click();
    await page.getByRole('checkbox', { name: 'Référent numérique (RUPN)' }).focus();
    await page.keyboard.press('Space');
    await submitWithKeyboard(page, page.getByRole('button', { name: 'Enregistrer les rôles' }));
    expect(await page.getByRole('status').first().textContent()).to.contain('Rôles de Sophie Martin enregistrés.');
    expect(await page.getByRole('checkbox', { name: 'Référent numérique (RUPN)' }).isChecked()).to.equal(true);
  });

  it('shows accessible error pages and public pages', async () => {
    const response = await page.goto(`${t.url}/nulle-part`);
    expect(response!.status()).to.equal(404);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Page introuvable');
    await expectAccessible('404');
    for (const url of ['/home/accessibilite', '/home/donnees-personnelles']) {
      await page.goto(`${t.url}${url}`);
      await expectAccessible(url);
    }
  });

  it('has a skip link that moves the focus to the content', async () => {
    await page.goto(`${t.url}/profile`);
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Aller au contenu' });
    expect(await skip.evaluate((el) => el === document.activeElement)).to.equal(true);
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('contenu');
  });

  it('folds the main bar behind « Menu » on a phone, and shows the bar of the section reached', async () => {
    await page.goto(`${t.url}/`);
    const nav = page.getByRole('navigation', { name: 'Navigation principale' });
    const menu = nav.getByRole('button', { name: 'Menu' });
    expect(await menu.isVisible(), 'no « Menu » on a wide screen').to.equal(false);
    expect(await nav.getByRole('link', { name: 'Forums' }).isVisible()).to.equal(true);
    await page.setViewportSize({ width: 390, height: 800 });
    try {
      expect(await menu.getAttribute('aria-expanded')).to.equal('false');
      expect(await nav.getByRole('link', { name: 'Forums' }).isVisible()).to.equal(false);
      await menu.click();
      expect(await menu.getAttribute('aria-expanded')).to.equal('true');
      await expectVisible(nav.getByRole('link', { name: 'Forums' }));
      await expectAccessible('menu ouvert sur un téléphone');
      // The section opens on its first entry this person may use: the follow-up, for the DANE.
      await nav.getByRole('link', { name: 'Formation' }).click();
      await page.waitForURL(/\/training\/suivi/);
      await page.getByRole('navigation', { name: 'Formation' }).getByRole('link', { name: 'Catalogue' }).click();
      await page.waitForURL(`${t.url}/training/catalogue`);
      expect(await page.getByRole('navigation', { name: 'Formation' }).getByRole('link', { name: 'Catalogue' }).getAttribute('aria-current')).to.equal('page');
      // Each page starts with the bar folded; opened, it marks the section the page is in.
      expect(await menu.getAttribute('aria-expanded')).to.equal('false');
      await menu.click();
      expect(await nav.getByRole('link', { name: 'Formation' }).getAttribute('aria-current')).to.equal('true');
      await expectAccessible('catalogue sur un téléphone');
      // Escape from inside the open menu folds it and brings the focus back to « Menu ».
      await nav.getByRole('link', { name: 'Forums' }).focus();
      await page.keyboard.press('Escape');
      expect(await menu.getAttribute('aria-expanded')).to.equal('false');
      expect(await menu.evaluate((el) => el === document.activeElement)).to.equal(true);
      expect(await nav.getByRole('link', { name: 'Forums' }).isVisible()).to.equal(false);

      // A wide table scrolls in its own box, which the keyboard reaches; the page does not widen.
      await page.goto(`${t.url}/mission/annuaire`);
      const box = page.getByRole('region', { name: /tableau défilant/ }).first();
      await expectVisible(box);
      expect(await box.evaluate((el) => el.scrollWidth > el.clientWidth), 'the table is wider than the screen').to.equal(true);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(390);
      expect(await box.getAttribute('tabindex')).to.equal('0');
      await expectAccessible('annuaire sur un téléphone');
    } finally {
      await page.setViewportSize({ width: 1280, height: 720 });
    }
  });

  it('logs out and lands on the public home page', async () => {
    await page.goto(`${t.url}/`);
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.waitForURL(`${t.url}/?deconnexion=1`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Bienvenue sur Maillon');
    await expectVisible(page.getByRole('status').getByText('Vous êtes déconnecté·e de Maillon.'));
    await expectAccessible('accueil public après la déconnexion');
  });
});
