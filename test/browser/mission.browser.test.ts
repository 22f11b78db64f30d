import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { ROOT } from '../support/testApp.js';
import { browserApp, expectAccessible, expectVisible } from '../support/browser.js';
import { buildUser } from '../support/factories.js';
import { DEMO_ESTABLISHMENTS } from '../../server/demo/demoData.js';
import { schoolYearLabel, schoolYearOf } from '../../plugins/mission/missions.js';

const JEAN_ZAY = DEMO_ESTABLISHMENTS.find((e) => e.name === 'Collège Jean Zay')!.uai;
const YEAR = schoolYearLabel(schoolYearOf());

describe('mission in Chromium: a chef writes a lettre de mission, a RUPN acknowledges it', function () {
  this.timeout(180_000);
  let page: Page;
  const app = browserApp({ pluginDirs: ['home', 'mission'].map((p) => path.join(ROOT, 'plugins', p)) });
  before(async () => {
    await buildUser(app.t.maillon.core, { givenName: 'Inès', familyName: 'Aubert', roles: ['enseignant'], uai: JEAN_ZAY });
    await buildUser(app.t.maillon.core, { givenName: 'Bruno', familyName: 'Caron', roles: ['enseignant'], uai: JEAN_ZAY });
  });

  async function login(name: RegExp) {
    page = await app.login(name);
  }

  it('the chef designates a RUPN and writes her letter; a wrong IMP is refused on the page', async () => {
    await login(/Se connecter en tant que Jean-Marc Roux/);
    await page.getByRole('link', { name: 'Mission RUPN' }).first().click();
    await expectAccessible(page, 'accueil de la mission (chef)');
    await page.getByRole('link', { name: 'Collège Jean Zay' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('RUPN du Collège Jean Zay');
    await expectAccessible(page, "page de l'établissement");

    await page.getByRole('combobox', { name: "Personne de l'établissement" }).selectOption({ label: 'Inès Aubert (ENS)' });
    await page.getByRole('button', { name: 'Désigner RUPN' }).click();
    await expectVisible(page.getByRole('status').filter({ hasText: 'Désignation enregistrée : Inès Aubert devient RUPN' }));
    await expectVisible(page.getByRole('heading', { name: 'RUPN désignés (1)' }));
    await expectAccessible(page, 'après la désignation');

    await page.getByRole('link', { name: `Rédiger ou modifier la lettre ${YEAR}` }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal(`Lettre de mission ${YEAR}`);
    await expectAccessible(page, 'formulaire de la lettre');
    const referent = page.getByRole('group', { name: 'Inès Aubert' });
    await referent.getByRole('spinbutton', { name: /Accompagner l'équipe pédagogique/ }).fill('50');
    await referent.getByRole('spinbutton', { name: /Conseiller le chef/ }).fill('20');
    await referent.getByRole('spinbutton', { name: /Se former/ }).fill('10');
    await referent.getByRole('spinbutton', { name: /Gérer les outils/ }).fill('10');
    expect(await referent.locator('output').textContent()).to.equal('90 % (doit faire 100 %)');
    await referent.getByRole('checkbox', { name: 'ENT' }).check();
    await referent.getByRole('checkbox', { name: 'Site web' }).check();
    await referent.getByRole('spinbutton', { name: /IMP annuelle/ }).fill('5000');
    await page.getByRole('button', { name: 'Enregistrer la lettre de mission' }).click();
    // Both mistakes at once, in the summary and by their fields.
    const alert = await page.getByRole('alert').textContent();
    expect(alert).to.contain('2 points à corriger').and.contain('compris entre 1 250 € et 3 750 €').and.contain('doivent totaliser 100 % (total actuel : 90 %)');
    // The focus is on the summary, not left on the page: it is read first, its links come next.
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('erreur');
    const imp = referent.getByRole('spinbutton', { name: /IMP annuelle/ });
    expect(await imp.getAttribute('aria-invalid')).to.equal('true');
    // Shown as faulty: a red border (the error colour), unlike a correct field.
    const errorColour = await page.locator('.error-text').first().evaluate((el) => getComputedStyle(el).color);
    expect(await imp.evaluate((el) => getComputedStyle(el).borderTopColor)).to.equal(errorColour);
    expect(await page.locator('#debut').evaluate((el) => getComputedStyle(el).borderTopColor)).not.to.equal(errorColour);
    expect(await imp.evaluate((el) => document.getElementById(el.getAttribute('aria-describedby')!)!.textContent)).to.contain('compris entre 1 250 € et 3 750 €');
    expect([await imp.getAttribute('min'), await imp.getAttribute('max')]).to.deep.equal(['1250', '3750']);
    expect(await referent.getByRole('spinbutton', { name: /^Communiquer/ }).getAttribute('aria-invalid')).to.equal('true');
    expect(await referent.getByRole('checkbox', { name: 'Site web' }).isChecked()).to.equal(true);
    await expectAccessible(page, 'formulaire refusé');
    await page.getByRole('link', { name: /^IMP d'Inès Aubert : / }).click();
    expect(await page.evaluate(() => location.hash)).to.equal(`#${await imp.getAttribute('id')}`);

    await referent.getByRole('spinbutton', { name: /^Communiquer/ }).fill('10');
    expect(await referent.locator('output').textContent()).to.equal('100 %');
    await imp.fill('2500');
    await page.getByRole('button', { name: 'Enregistrer la lettre de mission' }).click();
    await page.waitForURL(/\/mission\/lettres\/\d+$/);
    await expectVisible(page.getByRole('heading', { level: 2, name: 'Inès Aubert' }));
    await expectVisible(page.getByText('2 500 €'));
    await expectVisible(page.getByText('ENT, Site web'));
    await expectVisible(page.getByText('Accusé de réception : en attente'));
    await expectAccessible(page, 'lettre de mission (chef)');
    // On paper: the letter alone.
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('.site-header').isVisible()).to.equal(false);
    expect(await page.getByRole('button', { name: 'Imprimer' }).isVisible()).to.equal(false);
    await expectVisible(page.getByRole('heading', { level: 2, name: 'Inès Aubert' }));
    await page.emulateMedia({ media: 'screen' });
    await page.close();
  });

  it('the RUPN reads her letter, acknowledges it and finds herself in the directory', async () => {
    await login(/Se connecter en tant que Inès Aubert/);
    await page.getByRole('link', { name: 'Mission RUPN' }).first().click();
    await expectAccessible(page, 'accueil de la mission (RUPN)');
    await page.getByRole('link', { name: `Lettre ${YEAR}` }).click();
    await expectAccessible(page, 'lettre à accuser');
    await page.getByRole('button', { name: "J'accuse réception de ma lettre de mission" }).click();
    await expectVisible(page.getByRole('status').filter({ hasText: 'Réception de la lettre de mission accusée le' }));
    await expectVisible(page.getByText(/Accusé de réception : le \d+ \S+ \d{4}/));
    expect(await page.getByRole('button', { name: "J'accuse réception de ma lettre de mission" }).count()).to.equal(0);
    await expectAccessible(page, 'lettre accusée');

    await page.getByRole('link', { name: 'Annuaire des RUPN' }).first().click();
    await page.getByRole('searchbox', { name: /Rechercher/ }).fill('jean zay');
    await page.getByRole('button', { name: 'Rechercher' }).click();
    expect(await page.getByRole('status').textContent()).to.contain('1 RUPN trouvé');
    const row = page.getByRole('row', { name: /Inès Aubert/ });
    expect(await row.textContent()).to.contain('Gérer les outils');
    await expectAccessible(page, 'annuaire');
  });
});
