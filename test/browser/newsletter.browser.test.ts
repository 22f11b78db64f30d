import path from 'node:path';
import { expect } from 'chai';
import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { ROOT, startTestApp, type TestApp } from '../support/testApp.js';
import { browserAvailable, launchBrowser, expectAccessible, expectVisible } from '../support/browser.js';
import { startSmtpSink, type SmtpSink } from '../support/smtpSink.js';

describe('newsletter in Chromium: the DANE sends the LINE and watches it go', function () {
  this.timeout(180_000);
  let t: TestApp;
  let smtp: SmtpSink;
  let browser: Browser;
  let page: Page;

  before(async function () {
    if (!browserAvailable()) return this.skip();
    smtp = await startSmtpSink({ raw: true });
    t = await startTestApp({
      pluginDirs: [path.join(ROOT, 'plugins', 'newsletter')],
      env: { SMTP_URL: smtp.url, JOBS_POLL_MS: '100', PLUGIN_NEWSLETTER_RATE_PER_SECOND: '100' },
    });
    // Enough RUPNs for the bar to move for a few seconds.
    const db = t.maillon.core.db;
    await sql`insert into users (email, given_name, family_name, academy_code)
      select 'rupn-' || i || '@ac-poitiers.example', 'Réf', 'N' || i, (select academy_code from users where email like 'claire.dubois%') from generate_series(1, 300) as i`.execute(db);
    await sql`insert into user_roles (user_id, role) select id, 'rupn' from users where email like 'rupn-%'`.execute(db);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await smtp?.close();
  });


  it('writes an issue, previews it, sends it and sees the progress bar reach 100 %', async () => {
    page = await browser.newPage();
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${t.url}/auth/dev`);
    await page.getByRole('button', { name: /Se connecter en tant que Claire Dubois/ }).click();
    await page.waitForURL(`${t.url}/`);

    await page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'La LINE' }).click();
    await page.getByRole('navigation', { name: 'La LINE' }).getByRole('link', { name: 'Rédaction' }).click();
    await expectAccessible(page, 'rédaction de la LINE');
    await page.getByRole('textbox', { name: 'Titre' }).fill('La LINE de février');
    await page.getByRole('textbox', { name: /Chapeau/ }).fill('Un numéro pour essayer');
    await page.getByRole('button', { name: 'Créer le brouillon' }).click();
    await page.getByRole('textbox', { name: 'Contenu en Markdown' }).fill('## Agenda\n\nLe [café numérique](https://visio.example.org/cafe) a lieu jeudi.\n\n## Ressources\n\nÀ lire dans le catalogue.');
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await expectVisible(page.getByText('Numéro enregistré.'));
    await expectAccessible(page, 'numéro en brouillon');

    await page.getByRole('button', { name: 'Aperçu de la page web' }).click();
    await expectVisible(page.getByRole('heading', { name: 'Au sommaire' }));
    await expectAccessible(page, 'aperçu de la page web');
    await page.goBack();

    await page.getByRole('button', { name: 'Envoyer maintenant' }).click();
    await page.waitForLoadState('load');
    const bar = page.getByRole('progressbar', { name: "Avancement de l'envoi" });
    await expectVisible(bar);
    await expectAccessible(page, 'envoi en cours');
    // maillon.js polls the JSON progress and moves the bar until the issue is sent.
    await page.waitForFunction(() => {
      const p = document.querySelector('#line-progress') as HTMLProgressElement | null;
      return p !== null && p.max > 300 && p.value === p.max;
    }, null, { timeout: 60_000 });
    expect(await page.locator('[data-progress-text]').textContent()).to.match(/^30\d \/ 30\d$/);
    await page.reload();
    expect(await page.locator('[data-issue-state]').textContent()).to.equal('Envoyé');
    expect(smtp.count).to.equal(Number(await bar.getAttribute('max')));
    await expectAccessible(page, 'numéro envoyé');

    await page.goto(`${t.url}/newsletter`);
    await page.getByRole('link', { name: 'La LINE de février' }).click();
    await expectVisible(page.getByRole('heading', { name: 'Agenda', level: 2 }));
    await expectAccessible(page, 'numéro dans les archives');
    await page.goto(`${t.url}/newsletter/abonnement`);
    await expectAccessible(page, "page d'abonnement");
  });

  it("sends the test of the text on screen, and warns before leaving with unsaved changes", async () => {
    const p = await browser.newPage();
    await p.goto(`${t.url}/auth/dev`);
    await p.getByRole('button', { name: /Se connecter en tant que Claire Dubois/ }).click();
    await p.waitForURL(`${t.url}/`);
    await p.goto(`${t.url}/newsletter/redaction`);
    await p.getByRole('textbox', { name: 'Titre' }).fill('La LINE de mars');
    await p.getByRole('button', { name: 'Créer le brouillon' }).click();
    await p.getByRole('textbox', { name: 'Contenu en Markdown' }).fill('## Agenda\n\nLe forum des usages a lieu le 12 mars.');
    // Not saved: the test button saves what was typed, then sends it.
    await p.getByRole('button', { name: "M'envoyer un essai" }).click();
    await expectVisible(p.getByText("Numéro enregistré. Courriel d'essai envoyé"));
    expect(await p.getByRole('textbox', { name: 'Contenu en Markdown' }).inputValue()).to.contain('forum des usages');
    const db = t.maillon.core.db;
    const test = await db.selectFrom('mail_outbox').select('html').where('subject', '=', '[Essai] La LINE de mars').executeTakeFirstOrThrow();
    expect(test.html).to.contain('Le forum des usages a lieu le 12 mars.');
    await expectAccessible(p, 'numéro après un essai');

    // Typed, not saved: leaving the page asks first (beforeunload); staying keeps the text.
    await p.getByRole('textbox', { name: 'Contenu en Markdown' }).fill('## Agenda\n\nTexte encore à enregistrer.');
    const dialogs: string[] = [];
    p.on('dialog', (d) => {
      dialogs.push(d.type());
      void d.dismiss();
    });
    await p.getByRole('link', { name: 'Tous les numéros' }).click({ noWaitAfter: true });
    await p.waitForTimeout(500);
    expect(dialogs).to.deep.equal(['beforeunload']);
    expect(await p.getByRole('textbox', { name: 'Contenu en Markdown' }).inputValue()).to.contain('encore à enregistrer');
    // Saving is no loss: no question.
    await p.getByRole('button', { name: 'Enregistrer' }).click();
    await expectVisible(p.getByText('Numéro enregistré.'));
    await p.getByRole('link', { name: 'Tous les numéros' }).click();
    await p.waitForURL(`${t.url}/newsletter/redaction`);
    expect(dialogs).to.have.length(1);

    // A moment already past: the editor comes back saying so, its summary read first, the date kept to correct.
    await p.getByRole('link', { name: 'La LINE de mars' }).click();
    await p.getByRole('textbox', { name: 'Date' }).fill('2020-01-01');
    await p.getByRole('textbox', { name: 'Heure' }).fill('09:00');
    await p.getByRole('button', { name: 'Programmer' }).click();
    await expectVisible(p.getByRole('alert').filter({ hasText: "Le numéro est enregistré, mais il n'est pas parti." }));
    expect(await p.evaluate(() => document.activeElement?.id)).to.equal('refus');
    expect(await p.getByRole('textbox', { name: 'Date' }).inputValue()).to.equal('2020-01-01');
    await expectAccessible(p, 'programmation refusée');
    await p.getByRole('link', { name: 'choisissez un moment à venir' }).click();
    expect(await p.evaluate(() => document.activeElement?.id)).to.equal('day');
    await p.getByRole('link', { name: 'Tous les numéros' }).click();
    await p.waitForURL(`${t.url}/newsletter/redaction`);

    // Scheduled: the page shows when it will leave, in the fields too, and no empty sending panel.
    await p.getByRole('link', { name: 'La LINE de mars' }).click();
    const year = new Date().getUTCFullYear() + (new Date().getUTCMonth() === 11 ? 1 : 0);
    await p.getByRole('textbox', { name: 'Date' }).fill(`${year}-12-01`);
    await p.getByRole('textbox', { name: 'Heure' }).fill('09:00');
    await p.getByRole('button', { name: 'Programmer' }).click();
    await expectVisible(p.getByRole('heading', { name: 'Envoi programmé' }));
    expect(await p.getByRole('textbox', { name: 'Date' }).inputValue()).to.equal(`${year}-12-01`);
    expect(await p.getByRole('textbox', { name: 'Heure' }).inputValue()).to.equal('09:00');
    expect(await p.getByRole('progressbar').count()).to.equal(0);
    await expectVisible(p.getByRole('button', { name: 'Annuler la programmation' }));
    await expectAccessible(p, 'numéro programmé');
    await p.close();
  });
});
