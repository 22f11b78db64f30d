import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { ROOT } from '../support/testApp.js';
import { browserApp, expectAccessible, expectVisible } from '../support/browser.js';

describe('bilan annuel in Chromium: a RUPN answers, the DANE reads the report', function () {
  this.timeout(180_000);
  let page: Page;
  // The demo surveys: last year's (closed, answered) and this year's (open, anonymous).
  const app = browserApp({ pluginDirs: [path.join(ROOT, 'plugins', 'home'), path.join(ROOT, 'plugins', 'survey')], env: { JOBS_RUNNER: 'false' } });

  async function login(name: RegExp) {
    page = await app.login(name);
  }

  it('a RUPN answers the open survey; the conditional question appears only after « Oui »', async () => {
    await login(/Se connecter en tant que Karim Benali/);
    const widget = page.locator('[data-widget="to-answer"]');
    await widget.getByRole('link', { name: 'Bilan annuel des RUPN' }).click();
    await page.waitForURL(/\/bilan\/\d+$/);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Bilan annuel des RUPN');
    await expectVisible(page.getByText('Bilan anonyme.'));
    await expectAccessible(page, 'formulaire du bilan');

    const means = page.getByRole('group', { name: /Par quels moyens les faites-vous circuler/ });
    expect(await means.isVisible()).to.equal(false);
    // Only the questions shown are numbered, in a row.
    const numbers = () => page.locator('fieldset.question:visible [data-question-number]').allTextContents();
    const shown = await numbers();
    expect(shown).to.deep.equal(shown.map((_, i) => `Question ${i + 1} :`));
    const first = page.getByRole('group', { name: /Arrivez-vous à faire circuler/ });
    await first.getByRole('radio', { name: 'Oui' }).check();
    await expectVisible(means);
    expect(await means.locator('[data-question-number]').textContent()).to.equal('Question 2 :');
    expect(await numbers()).to.deep.equal([...shown, `Question ${shown.length + 1} :`]);
    await first.getByRole('radio', { name: 'Non' }).check();
    expect(await means.isVisible()).to.equal(false);

    // Sent without the required question 4: the form comes back with the message, focusable.
    await page.getByRole('button', { name: 'Envoyer ma réponse' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).to.contain('Réponse obligatoire : choisissez une réponse.');
    await expectAccessible(page, 'formulaire avec erreurs');

    await page.getByRole('group', { name: /Arrivez-vous à faire circuler/ }).getByRole('radio', { name: 'Oui' }).check();
    await page.getByRole('group', { name: /Par quels moyens/ }).getByRole('checkbox', { name: 'Courriel' }).check();
    await page.getByRole('group', { name: /Par quels moyens/ }).getByRole('checkbox', { name: "Réunions d'équipe" }).check();
    await page.getByRole('group', { name: /Avez-vous proposé des formations/ }).getByRole('radio', { name: 'Non' }).check();
    await page.getByRole('group', { name: /associent-ils/ }).getByRole('radio', { name: '5 — Très souvent' }).check();
    await page.getByRole('textbox', { name: 'Votre réponse' }).fill('La classe virtuelle.');
    await page.getByRole('button', { name: 'Envoyer ma réponse' }).press('Enter');
    await page.waitForURL(`${app.t.url}/bilan`);
    await expectVisible(page.getByText('Merci ! Votre réponse est enregistrée.'));
    await expectVisible(page.getByText('Vous avez répondu', { exact: true }).first());
    await expectAccessible(page, 'liste des bilans');

    // The answer comes back to be edited.
    await page.getByRole('link', { name: /Modifier ma réponse/ }).click();
    await page.waitForURL(/\/bilan\/\d+$/);
    expect(await page.getByRole('group', { name: /Par quels moyens/ }).getByRole('checkbox', { name: 'Courriel' }).isChecked()).to.equal(true);
    expect(await page.getByRole('textbox', { name: 'Votre réponse' }).inputValue()).to.equal('La classe virtuelle.');
    await page.close();
  });

  it('the DANE reads the report: response rate, sentences, charts with their tables, no names', async () => {
    await login(/Se connecter en tant que Claire Dubois/);
    // She answers no survey herself: the section's link leads straight to the one page she may open.
    await page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Bilan annuel' }).click();
    await page.waitForURL(`${app.t.url}/bilan/gestion`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Bilans annuels');
    await expectAccessible(page, 'liste des bilans (DANE)');
    await page.getByRole('link', { name: 'Bilan annuel des RUPN', exact: true }).click();
    await page.waitForURL(/\/bilan\/gestion\/\d+$/);
    await expectVisible(page.getByText(/Questions verrouillées/));
    await expectAccessible(page, 'réglages du bilan');
    await page.getByRole('link', { name: 'Voir les résultats' }).click();
    await page.waitForURL(/\/resultats$/);
    expect(await page.locator('#taux-reponse').textContent()).to.match(/^\d+ %$/);
    await expectVisible(page.getByText('100 % disent y parvenir.'));
    await expectVisible(page.getByRole('img', { name: /Répartition des réponses à la question 1/ }));
    await expectVisible(page.getByText('La classe virtuelle.'));
    expect(await page.getByText('Karim').count()).to.equal(0);
    await page.getByText('Par département').first().click();
    await expectAccessible(page, 'résultats du bilan');

    // Last year's survey, closed and not anonymous, with the people who answered.
    await page.goto(`${app.t.url}/bilan/gestion`);
    await page.getByRole('link', { name: /Voir les résultats de « Bilan de l'année écoulée »/ }).click();
    await page.waitForURL(/\/resultats$/);
    await expectVisible(page.getByRole('heading', { name: 'Qui a répondu' }));
    await expectVisible(page.getByText(/% disent y parvenir\./));
    await expectAccessible(page, "résultats de l'an dernier");

    // On a phone the list of surveys scrolls in its own box; the hidden words of its « Voir »
    // links (placed absolutely) stay inside it instead of widening the page.
    await page.setViewportSize({ width: 390, height: 800 });
    try {
      await page.goto(`${app.t.url}/bilan/gestion`);
      await expectVisible(page.getByRole('region', { name: 'Bilans (tableau défilant)' }));
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(390);
      await expectAccessible(page, 'liste des bilans sur un téléphone');
    } finally {
      await page.setViewportSize({ width: 1280, height: 720 });
    }
  });

  it('the DANE builds a survey with a conditional question', async () => {
    await page.goto(`${app.t.url}/bilan/gestion`);
    await page.getByRole('textbox', { name: 'Titre' }).fill('Bilan de printemps');
    await page.getByRole('button', { name: 'Créer le bilan' }).click();
    await page.waitForURL(/\/bilan\/gestion\/\d+$/);
    const kind = page.getByRole('combobox', { name: 'Type de question' });
    await kind.selectOption({ label: 'Oui / non' });
    expect(await page.getByRole('textbox', { name: /Réponses proposées/ }).isVisible()).to.equal(false);
    await page.getByRole('textbox', { name: 'Intitulé' }).fill('Utilisez-vous Pix avec vos élèves ?');
    await page.getByRole('button', { name: 'Ajouter la question' }).click();
    await page.waitForURL(/#questions$/);
    await page.getByRole('combobox', { name: 'Type de question' }).selectOption({ label: 'Choix unique' });
    await page.getByRole('textbox', { name: 'Intitulé' }).fill('Avec quelles classes ?');
    await page.getByRole('textbox', { name: /Réponses proposées/ }).fill('Sixième\nTroisième\nLycée');
    await page.getByRole('combobox', { name: /Afficher cette question seulement si/ }).selectOption({ label: 'Q1 « Utilisez-vous Pix avec vos élèves ? » = Oui' });
    await page.getByRole('button', { name: 'Ajouter la question' }).click();
    await page.waitForURL(/#questions$/);
    await expectVisible(page.getByText('Choix unique · affichée seulement si Q1 = Oui'));
    await expectAccessible(page, 'constructeur de bilan');
  });
});
