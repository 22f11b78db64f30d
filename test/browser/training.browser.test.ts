import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { ROOT, startTestApp, type TestApp } from '../support/testApp.js';
import { browserAvailable, launchBrowser, loginPage, expectAccessible, expectVisible } from '../support/browser.js';
import { writePack } from '../support/packs.js';
import { missionPack, rgpdPack } from '../support/trainingPacks.js';
import { zipFiles } from '../support/zip.js';

const LONG_GAR = "Gestionnaire d'accès aux ressources, le guichet qui ouvre aux élèves et aux enseignants les manuels et ressources numériques de l'établissement";

describe('training in Chromium: a new RUPN follows her path', function () {
  this.timeout(180_000);
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let contentDir: string;

  before(async function () {
    if (!browserAvailable()) return this.skip();
    contentDir = await fs.mkdtemp(path.join(os.tmpdir(), 'maillon-training-browser-'));
    // A lesson table wider than a phone.
    const mission = missionPack();
    mission['modules/01-missions.md'] = mission['modules/01-missions.md']!.replace(
      "| Mission | Exemple |\n| --- | --- |\n| Conseiller | le chef d'établissement |",
      "| Mission | Exemple | Interlocuteur | Fréquence | Outil |\n| --- | --- | --- | --- | --- |\n| Conseiller | le chef d'établissement sur le projet numérique | la direction | chaque trimestre | l'espace numérique de travail |",
    );
    // A matching item longer than a phone is wide.
    mission['quizzes/missions.yaml'] = mission['quizzes/missions.yaml']!.replace("right: Gestionnaire d'accès aux ressources }", `right: "${LONG_GAR}" }`);
    await writePack(mission, path.join(contentDir, 'rupn-mission'));
    await writePack(rgpdPack(), path.join(contentDir, 'rgpd'));
    t = await startTestApp({ contentDir, pluginDirs: [path.join(ROOT, 'plugins', 'home'), path.join(ROOT, 'plugins', 'training')] });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    if (contentDir) await fs.rm(contentDir, { recursive: true, force: true });
  });

  async function login(name: RegExp) {
    page = await loginPage(browser, t.url, name);
  }
  const progressValue = async () => Number(await page.locator('[data-widget="my-path"] progress').getAttribute('value'));

  it('follows a module, passes its quiz and sees her progress move', async () => {
    await login(/Se connecter en tant que Pauline Girard/);
    const widget = page.locator('[data-widget="my-path"]');
    await expectVisible(widget.getByRole('heading', { name: 'Mon parcours' }));
    expect(await progressValue()).to.equal(0);
    await expectAccessible(page, 'tableau de bord avec « Mon parcours »');

    await widget.getByRole('link', { name: /Commencer/ }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Les missions du RUPN');
    // One trail: the module is a step of her path.
    expect(await page.getByRole('navigation', { name: "Fil d'Ariane" }).innerText()).to.equal('Mon parcours › Les missions du RUPN');
    await expectAccessible(page, 'page du module');
    await page.getByRole('link', { name: 'Commencer les leçons' }).click();
    await expectVisible(page.getByRole('heading', { name: 'Accompagner', level: 2 }));
    // The image is lazy: brought into view, it must load (a broken URL would leave it empty).
    const schema = page.getByRole('img', { name: 'Schéma des missions' });
    await schema.scrollIntoViewIfNeeded();
    await schema.evaluate((img: HTMLImageElement) => (img.complete ? undefined : new Promise((done) => { img.addEventListener('load', done, { once: true }); img.addEventListener('error', done, { once: true }); })));
    expect(await schema.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).to.equal(true);
    await expectAccessible(page, 'leçon');
    await page.getByRole('link', { name: /Administrer →/ }).click();
    await page.getByRole('link', { name: 'Passer au quiz →' }).click();
    await expectAccessible(page, 'quiz');

    // Sent blank, the quiz asks first, since the attempt would count; « Annuler » stays on it.
    const asked: string[] = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.dismiss();
    });
    await page.getByRole('combobox', { name: 'ENT' }).selectOption({ label: 'Espace numérique de travail' });
    await page.getByRole('button', { name: 'Valider mes réponses' }).click();
    expect(asked).to.deep.equal(['4 questions sans réponse et 1 association incomplète : envoyer quand même ? Cette tentative sera comptée.']);
    expect(page.url()).to.match(/\/quiz$/);

    // One wrong answer of five still reaches the pass mark (80 %).
    await page.getByRole('radio', { name: 'Le rectorat' }).check();
    await page.getByRole('checkbox', { name: 'Accompagner' }).check();
    await page.getByRole('checkbox', { name: 'Administrer' }).check();
    await page.getByRole('group', { name: /IMP/ }).getByRole('radio', { name: 'Vrai' }).check();
    await page.getByRole('combobox', { name: 'ENT' }).selectOption({ label: 'Espace numérique de travail' });
    await page.getByRole('combobox', { name: 'GAR' }).selectOption({ label: LONG_GAR });
    await page.getByRole('textbox', { name: 'Votre réponse' }).fill('dane');
    await page.getByRole('button', { name: 'Valider mes réponses' }).press('Enter');
    await page.waitForURL(/tentatives/);
    expect(await page.getByRole('status').first().textContent()).to.contain('Score : 80 %');
    await expectVisible(page.getByText("Non, c'est une décision de l'établissement."));
    await expectAccessible(page, 'résultat du quiz');

    await page.goto(`${t.url}/`);
    expect(await progressValue()).to.equal(1);
    await expectVisible(page.locator('[data-widget="my-path"]').getByText('1 module terminé sur 3', { exact: true }));
    // The module done leaves the dashboard's list; the one it unlocked takes its place.
    expect(await page.locator('[data-widget="my-path"] .step__title').allTextContents()).to.deep.equal(['La désignation', 'Les données personnelles']);
    // The module done and nothing else under way, « Continuer » opens the next module, not a lesson already done.
    await page.locator('[data-widget="my-path"]').getByRole('link', { name: /Continuer/ }).click();
    expect(page.url()).to.equal(`${t.url}/training/modules/rupn-mission/designation`);
  });

  it('completes the path, gets a verified badge and a printable attestation', async () => {
    await page.goto(`${t.url}/training/mon-parcours`);
    await expectAccessible(page, 'mon parcours');
    await page.getByRole('link', { name: 'La désignation' }).first().click();
    await page.getByRole('link', { name: 'Commencer les leçons' }).click();
    await page.goto(`${t.url}/training/modules/rgpd/donnees/quiz`);
    await page.getByRole('radio', { name: 'Vrai' }).check();
    await page.getByRole('button', { name: 'Valider mes réponses' }).click();
    await page.waitForURL(/tentatives/);
    await page.goto(`${t.url}/training/mon-parcours`);
    await expectVisible(page.getByText(/Parcours terminé le/));
    // Nothing left to resume: the attestation and « Revoir le parcours » take its place.
    await expectVisible(page.getByRole('link', { name: 'Voir mon attestation' }));
    await expectVisible(page.getByRole('link', { name: /^Revoir le parcours/ }));
    expect(await page.getByRole('link', { name: /^Reprendre/ }).count()).to.equal(0);
    await expectAccessible(page, 'mon parcours terminé');
    await page.getByRole('link', { name: 'Voir mon badge' }).click();
    await expectVisible(page.getByText('Badge vérifié'));
    await expectAccessible(page, 'page du badge');
    await page.getByRole('link', { name: 'Imprimer mon attestation' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Attestation de formation');
    await expectAccessible(page, 'attestation');
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('.site-header').isVisible()).to.equal(false);
    await expectVisible(page.getByText('a terminé le parcours de formation'));
    await page.emulateMedia({ media: 'screen' });

    await page.goto(`${t.url}/training/catalogue`);
    await expectAccessible(page, 'catalogue');
    await page.getByRole('combobox', { name: 'Compétence du CRCN (Pix)' }).selectOption('4.2');
    await page.getByRole('button', { name: 'Filtrer' }).click();
    expect(await page.getByRole('status').textContent()).to.contain('1 module sur 3');
  });

  it('gives the DANE accessible follow-up, path and pack pages', async () => {
    await page.close();
    await login(/Se connecter en tant que Claire Dubois/);
    // « Formation » opens the follow-up for her; « Mon parcours », with no path, shows her way.
    await page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Formation' }).click();
    expect(page.url()).to.equal(`${t.url}/training/suivi`);
    expect(await page.getByRole('combobox', { name: 'Département' }).inputValue()).to.equal('86');
    await page.getByRole('navigation', { name: 'Formation' }).getByRole('link', { name: 'Mon parcours' }).click();
    await expectVisible(page.getByText('Vous ne suivez aucun parcours de formation.'));
    await expectVisible(page.getByRole('main').getByRole('link', { name: 'Suivi des parcours' }));
    await expectAccessible(page, 'mon parcours sans parcours');
    await page.goto(`${t.url}/training/suivi?departement=`);
    await expectVisible(page.getByRole('img', { name: /Personnes ayant commencé et terminé/ }));
    await expectAccessible(page, 'suivi des parcours');
    await page.getByRole('link', { name: 'Collège Henri IV' }).click();
    const trail = page.getByRole('navigation', { name: "Fil d'Ariane" });
    expect(await trail.innerText()).to.match(/^Suivi des parcours › .+ \(\d{2,3}\) › Collège Henri IV$/);
    expect(await page.getByRole('main').innerText()).not.to.match(/\b1 ont /);
    await expectAccessible(page, 'suivi d’un établissement');
    // The département crumb leads to that département's follow-up.
    await trail.getByRole('link').nth(1).click();
    await expectVisible(page.getByRole('link', { name: 'Collège Henri IV' }));
    await page.getByRole('link', { name: 'Collège Henri IV' }).click();
    await page.getByRole('link', { name: 'Pauline Girard' }).click();
    await expectAccessible(page, 'fiche d’une personne');
    await page.goto(`${t.url}/training/parcours`);
    await expectAccessible(page, 'parcours et cohortes');
    await page.getByRole('link', { name: 'Entrée dans la fonction de RUPN', exact: true }).click();
    await expectAccessible(page, 'édition d’un parcours');

    await page.goto(`${t.url}/admin/packs`);
    await expectAccessible(page, 'parcours de contenu');
    const broken = missionPack('2.0.0');
    broken['modules/01-missions.md'] = broken['modules/01-missions.md']!.replace('requires', 'x');
    broken['quizzes/missions.yaml'] = broken['quizzes/missions.yaml']!.replace('maxAttempts: 2', 'maxAttempts: deux');
    const archive = await zipFiles(broken);
    await page.getByLabel(/Archive du parcours/).setInputFiles({ name: 'mission-2.0.0.zip', mimeType: 'application/zip', buffer: archive });
    await page.getByRole('button', { name: 'Vérifier et installer' }).click();
    await expectVisible(page.getByRole('heading', { name: /Archive refusée : mission-2.0.0.zip/ }));
    await expectVisible(page.getByText('maxAttempts').first());
    await expectAccessible(page, 'rapport d’une archive refusée');
  });

  it('fits a phone: a wide lesson table scrolls in its own box, quiz selects and path pages do not widen the page', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    const pageWidth = () => page.evaluate(() => document.documentElement.scrollWidth);
    try {
      await page.goto(`${t.url}/training/modules/rupn-mission/missions/lecons/accompagner`);
      const box = page.getByRole('region', { name: 'Accompagner (tableau défilant)' });
      await expectVisible(box);
      expect(await box.getAttribute('tabindex')).to.equal('0');
      expect(await box.evaluate((el) => el.scrollWidth > el.clientWidth), 'the table is wider than the screen').to.equal(true);
      expect(await pageWidth(), 'leçon').to.be.at.most(390);
      await expectAccessible(page, 'leçon sur un téléphone');

      // The matching selects keep to the screen, however long their items.
      await page.goto(`${t.url}/training/modules/rupn-mission/missions/quiz`);
      const select = page.getByRole('combobox', { name: 'GAR' });
      expect(await select.evaluate((el) => el.getBoundingClientRect().right)).to.be.at.most(390);
      expect(await pageWidth(), 'quiz').to.be.at.most(390);
      await select.selectOption({ label: LONG_GAR });
      await expectAccessible(page, 'quiz sur un téléphone');

      await page.goto(`${t.url}/training/parcours`);
      expect(await pageWidth(), 'parcours et cohortes').to.be.at.most(390);
      await page.getByRole('link', { name: 'Entrée dans la fonction de RUPN', exact: true }).click();
      await expectVisible(page.getByRole('heading', { name: 'Cohortes' }));
      expect(await pageWidth(), 'édition d’un parcours').to.be.at.most(390);
      await expectAccessible(page, 'édition d’un parcours sur un téléphone');
    } finally {
      await page.setViewportSize({ width: 1280, height: 720 });
    }
  });
});
