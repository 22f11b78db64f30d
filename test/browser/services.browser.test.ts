import path from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { FIXTURES, startTestApp, type TestApp } from '../support/testApp.js';
import { browserAvailable, expectAccessible as checkAccessible, expectVisible, launchBrowser, submitWithKeyboard } from '../support/browser.js';

const SHOWCASE = path.join(FIXTURES, 'plugins', 'showcase');

describe('shared services pages in Chromium', function () {
  this.timeout(120_000);
  let t: TestApp;
  let browser: Browser;
  let page: Page;

  before(async function () {
    if (!browserAvailable()) return this.skip();
    t = await startTestApp({ pluginDirs: [SHOWCASE], env: { JOBS_RUNNER: 'false' } });
    browser = await launchBrowser();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  const expectAccessible = (label: string) => checkAccessible(page, label);
  async function login(account: string) {
    await page.context().clearCookies();
    await page.goto(`${t.url}/auth/dev`);
    await page.locator(`form:has(input[name="account"][value="${account}"]) button`).click();
    await page.waitForURL(`${t.url}/`);
  }

  it('shows the bell, the notifications and the preferences, usable with the keyboard', async () => {
    const core = t.maillon.core;
    const rupn = (await core.users.byIdentity('demo', 'rupn'))!;
    await core.notifications.notify([rupn.id], { kind: 'showcase:news', title: 'Webinaire ENT jeudi', body: 'Inscriptions **ouvertes**.', url: '/profile' });
    await core.notifications.notify([rupn.id], { kind: 'showcase:tips', title: 'Astuce Pix' });
    await login('rupn');
    await page.getByRole('link', { name: /Notifications\s*2\s*non lues/ }).click();
    await page.waitForURL(`${t.url}/notifications`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Notifications');
    await expectAccessible('notifications');

    await submitWithKeyboard(page, page.getByRole('button', { name: 'Marquer comme lue : Astuce Pix' }));
    expect(await page.getByRole('status').first().textContent()).to.contain('Notification marquée comme lue.');
    await expectVisible(page.getByRole('link', { name: /^Notifications\s*1\s*non lue$/ }));

    await page.getByRole('link', { name: 'Préférences de notification' }).click();
    await page.waitForURL(`${t.url}/notifications/preferences`);
    await expectAccessible('préférences de notification');
    await page.getByRole('group', { name: 'Annonces de la vitrine' }).getByRole('radio', { name: 'Résumé quotidien' }).check();
    await submitWithKeyboard(page, page.getByRole('button', { name: 'Enregistrer mes préférences' }));
    expect(await page.getByRole('status').first().textContent()).to.contain('Vos préférences de notification sont enregistrées.');
    expect(await page.getByRole('group', { name: 'Annonces de la vitrine' }).getByRole('radio', { name: 'Résumé quotidien' }).isChecked()).to.equal(true);

    await page.goto(`${t.url}/profile`);
    await expectVisible(page.getByRole('heading', { name: 'Préférences de notification' }));
    await expectAccessible('profil avec préférences');
  });

  it('passes axe on the jobs page, whose progress bar follows a running job', async () => {
    const core = t.maillon.core;
    let step!: () => void;
    let finish!: () => void;
    const stepped = new Promise<void>((r) => (step = r));
    const finished = new Promise<void>((r) => (finish = r));
    core.jobs.define('test', 'test:newsletter', async (job) => {
      await job.progress(10, 40);
      await stepped;
      await job.progress(30, 40);
      await finished;
    });
    await core.jobs.enqueue('test:newsletter', {});
    core.jobs.define('test', 'test:broken', async () => {
      throw new Error('Relais SMTP injoignable');
    }, { maxAttempts: 1 });
    await core.jobs.enqueue('test:broken', {});
    const running = core.jobs.runOnce();

    await login('admin');
    for (let i = 0; i < 100; i++) {
      await page.goto(`${t.url}/admin/jobs`);
      if (await page.locator('progress[data-poll]').count()) break;
      await page.waitForTimeout(50);
    }
    const bar = page.getByRole('progressbar', { name: /Avancement de la tâche/ });
    expect(await bar.getAttribute('value')).to.equal('10');
    await expectVisible(page.getByText('Relais SMTP injoignable'));
    await expectAccessible('tâches de fond');
    step();
    await page.waitForFunction(() => (document.querySelector('progress[data-poll]') as HTMLProgressElement | null)?.value === 30, undefined, { timeout: 15_000 });
    expect(await page.locator('[data-progress-text]').textContent()).to.equal('30 / 40');
    finish();
    await running;
  });

  it('passes axe on the outbox, a message, and the unsubscribe pages', async () => {
    const core = t.maillon.core;
    const { id } = await core.mail.send({ to: 'ines.martin@ac-poitiers.fr', subject: 'La lettre de juin', markdown: 'Bonjour **Inès**', list: 'showcase:letter' });
    await core.jobs.drain();
    await login('admin');
    await page.goto(`${t.url}/admin/outbox`);
    await expectAccessible("boîte d'envoi");
    await page.getByRole('link', { name: 'La lettre de juin' }).click();
    await page.waitForURL(`${t.url}/admin/outbox/${id}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal(`Courriel n° ${id}`);
    await expectAccessible('courriel');
    const text = (await page.locator('pre.mail-text').textContent())!;
    const link = /Se désabonner : (\S+)/.exec(text)![1]!;

    await page.context().clearCookies();
    await page.goto(`${t.url}${new URL(link).pathname}`);
    await expectAccessible('désabonnement');
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Me désabonner' }).click()]);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Désabonnement enregistré');
    expect(await page.getByRole('status').textContent()).to.contain('Lettre de la vitrine');
    await expectAccessible('désabonnement enregistré');
  });
});
