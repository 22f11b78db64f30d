import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { FIXTURES } from '../support/testApp.js';
import { browserApp, expectAccessible, expectVisible } from '../support/browser.js';
import { FORUMS, newTopic, replyTo } from '../forums/helpers.js';
import { TINY_PNG } from '../support/factories.js';

const PAYLOADS = JSON.parse(readFileSync(path.join(FIXTURES, 'forums', 'xss-payloads.json'), 'utf8')) as string[];

describe('forums in Chromium', function () {
  this.timeout(240_000);
  // Search looks among the 25 newest posts first: small enough to show that state of the page.
  const app = browserApp({ pluginDirs: FORUMS, env: { JOBS_RUNNER: 'false', PLUGIN_FORUMS_POSTS_PER_MINUTE: '1000', PLUGIN_FORUMS_SEARCH_RECENT_POSTS: '25' } });
  const login = (name: RegExp): Promise<Page> => app.login(name);

  it('asks a question, gets an answer, marks it solved; previews and drafts work; pages pass axe', async () => {
    const pauline = await login(/Se connecter en tant que Pauline Girard/);
    await pauline.goto(`${app.t.url}/forums`);
    await expectAccessible(pauline, 'liste des catégories');
    await pauline.getByRole('link', { name: 'ENT', exact: true }).click();
    await expectAccessible(pauline, 'catégorie');
    await pauline.getByRole('link', { name: 'Poser une question' }).click();
    expect(await pauline.getByLabel("C'est une question").isChecked()).to.equal(true);
    await pauline.getByLabel('Titre').fill('Importer les emplois du temps dans l\'ENT');
    await pauline.getByLabel('Message').fill('Faut-il **refaire** l\'import après chaque modification ?');
    // The live preview renders through the server's renderer.
    await pauline.locator('[data-preview-body] strong').waitFor();
    expect(await pauline.locator('[data-preview-body] strong').textContent()).to.equal('refaire');
    await expectAccessible(pauline, 'nouvelle question avec aperçu');
    await pauline.getByRole('button', { name: 'Publier' }).click();
    await pauline.waitForURL(/\/forums\/t\/\d+$/);
    const topicUrl = pauline.url();
    expect(await pauline.getByRole('heading', { level: 1 }).textContent()).to.equal("Importer les emplois du temps dans l'ENT");
    await expectVisible(pauline.getByText('Question en attente de solution'));
    await expectAccessible(pauline, 'page de la question');

    const karim = await login(/Se connecter en tant que Karim Benali/);
    await karim.goto(topicUrl);
    // A draft survives a closed tab.
    await karim.getByLabel('Votre réponse').fill('Brouillon : non, l\'import est ');
    await karim.waitForTimeout(500);
    await karim.close();
    const karim2 = await karim.context().newPage();
    await karim2.goto(topicUrl);
    expect(await karim2.getByLabel('Votre réponse').inputValue()).to.equal('Brouillon : non, l\'import est ');
    await karim2.getByLabel('Votre réponse').fill('Non : l\'import est **quotidien**, les changements arrivent le lendemain.');
    // « @pau » offers Pauline; Enter mentions her, the keyboard never leaves the box.
    const reply = karim2.getByLabel('Votre réponse');
    await reply.press('End');
    await reply.pressSequentially(' Merci @pau');
    const suggestion = karim2.getByRole('option', { name: /Pauline Girard \(@pauline\.girard\)/ });
    await expectVisible(suggestion);
    expect(await suggestion.getAttribute('aria-selected')).to.equal('true');
    expect(await reply.getAttribute('aria-activedescendant')).to.equal(await suggestion.getAttribute('id'));
    await expectAccessible(karim2, 'suggestions de mention ouvertes');
    await reply.press('Enter');
    expect(await reply.inputValue()).to.match(/lendemain\. Merci @pauline\.girard $/);
    expect(await karim2.getByRole('listbox', { name: 'Personnes à mentionner' }).isHidden()).to.equal(true);
    // An image goes in at the cursor, and the preview shows it.
    await karim2.getByLabel(/Image à insérer/).setInputFiles({ name: 'console.png', mimeType: 'image/png', buffer: TINY_PNG });
    await karim2.getByLabel('Texte de remplacement de l\'image').fill('La console ENT');
    await karim2.getByRole('button', { name: 'Insérer l\'image' }).click();
    await expectVisible(karim2.getByText('Image insérée dans le message.'));
    expect(await karim2.getByLabel('Votre réponse').inputValue()).to.match(/@pauline\.girard \n\n!\[La console ENT\]\(\/files\/[\w-]+\/console\.png\)\n\n$/);
    await expectVisible(karim2.locator('[data-preview-body] img[alt="La console ENT"]'));
    await expectAccessible(karim2, 'réponse avec une image');
    await karim2.getByRole('button', { name: 'Publier la réponse' }).click();
    await karim2.waitForURL(/#p-\d+$/);
    await expectVisible(karim2.getByText('les changements arrivent le lendemain'));
    await expectVisible(karim2.locator('.forum-post__body img[alt="La console ENT"]'));
    await karim2.goto(`${app.t.url}/forums/images/nouvelle`);
    await expectAccessible(karim2, "page d'ajout d'une image sans JavaScript");
    // The draft is gone once published.
    await karim2.goto(topicUrl);
    expect(await karim2.getByLabel('Votre réponse').inputValue()).to.equal('');

    await pauline.goto(topicUrl);
    await pauline.getByRole('button', { name: /Marquer comme solution/ }).click();
    await pauline.waitForURL(topicUrl);
    await expectVisible(pauline.getByText('Question résolue'));
    const solution = pauline.getByRole('region', { name: 'Réponse qui a résolu la question' });
    await expectVisible(solution.getByText('les changements arrivent le lendemain'));
    await expectAccessible(pauline, 'question résolue');

    await pauline.goto(`${app.t.url}/forums/recherche?q=import+quotidien`);
    expect(await pauline.locator('.forum-result mark').first().textContent()).to.match(/import/i);
    await expectAccessible(pauline, 'résultats de recherche');
    await pauline.context().close();
    await karim2.context().close();
  });

  it('search among recent posts says how far back it looked and opens the older ones (axe)', async () => {
    const karim = await app.t.loginAs('rupn');
    const old = await newTopic(karim, 'ent', { title: 'Photocopieur de la salle des professeurs', body: 'Le photocopieur ancien est réparé.' });
    const busy = await newTopic(karim, 'ent', { title: 'Photocopieurs des écoles', body: 'Un photocopieur par école ?' });
    for (let i = 1; i <= 25; i++) await replyTo(karim, busy, `Le photocopieur numéro ${i} fonctionne.`);
    const page = await login(/Se connecter en tant que Karim Benali/);
    await page.goto(`${app.t.url}/forums/recherche?q=photocopieur`);
    await expectVisible(page.getByRole('status').getByText(/Recherche dans les messages publiés depuis le/));
    expect(await page.getByText('Le photocopieur ancien').count()).to.equal(0);
    await expectAccessible(page, 'recherche parmi les messages récents');
    await page.getByRole('link', { name: 'Chercher aussi dans les messages plus anciens' }).click();
    await expectVisible(page.locator(`.forum-result a[href="/forums/p/${await firstPostOf(old)}"]`));
    await expectAccessible(page, 'recherche dans tout l’historique');
    await page.context().close();
  });

  it("« Citer » adds the quote, or the selected words, to the reply being written; deleting asks first; unread list and a category fit a phone (axe)", async () => {
    const karim = await app.t.loginAs('rupn');
    const topicId = await newTopic(karim, 'pix', { title: 'Convocations Pix', body: 'Les sessions ouvrent lundi.\nPensez aux convocations des élèves.' });
    const page = await login(/Se connecter en tant que Pauline Girard/);
    await page.goto(`${app.t.url}/forums/t/${topicId}`);
    const reply = page.getByLabel('Votre réponse');
    await reply.fill('Mon brouillon.');
    await page.getByRole('link', { name: 'Citer le message de Karim Benali' }).click();
    await page.waitForFunction(() => (document.querySelector('#body') as HTMLTextAreaElement).value.includes('a écrit'));
    expect(await reply.inputValue()).to.equal('Mon brouillon.\n\n> **Karim Benali** a écrit :\n>\n> Les sessions ouvrent lundi.\n> Pensez aux convocations des élèves.\n\n');
    expect(await reply.evaluate((el) => el === document.activeElement)).to.equal(true);
    expect(page.url()).not.to.contain('citer=');
    // Words selected in the post are quoted alone, after what is already there.
    await page.evaluate(() => {
      const text = [...document.querySelectorAll('.forum-post__body p')].find((p) => p.textContent!.includes('convocations'))!.firstChild!;
      const at = text.textContent!.indexOf('Pensez');
      const range = document.createRange();
      range.setStart(text, at);
      range.setEnd(text, text.textContent!.length);
      getSelection()!.removeAllRanges();
      getSelection()!.addRange(range);
    });
    await page.getByRole('link', { name: 'Citer le message de Karim Benali' }).click();
    await page.waitForFunction(() => (document.querySelector('#body') as HTMLTextAreaElement).value.split('a écrit').length === 3);
    expect(await reply.inputValue()).to.match(/des élèves\.\n\n> \*\*Karim Benali\*\* a écrit :\n>\n> Pensez aux convocations des élèves\.\n\n$/);
    // The draft holds all of it after a reload.
    await page.waitForTimeout(500);
    await page.reload();
    expect(await reply.inputValue()).to.contain('Mon brouillon.\n\n> **Karim Benali**');
    await page.getByRole('button', { name: 'Publier la réponse' }).click();
    await page.waitForURL(/#p-\d+$/);

    // Deleting one's post asks first; dismissing keeps it.
    const mine = page.getByRole('button', { name: 'Supprimer mon message' });
    page.once('dialog', (dialog) => void dialog.dismiss());
    await mine.click();
    await page.waitForTimeout(300);
    expect(await page.getByText('Message supprimé par son auteur.').count()).to.equal(0);
    page.once('dialog', (dialog) => void dialog.accept());
    await mine.click();
    await expectVisible(page.getByText('Message supprimé par son auteur.'));

    // Who likes a post has a page of its own.
    await page.goto(`${app.t.url}/forums/p/${await firstPostOf(topicId)}/aime`);
    await expectVisible(page.getByRole('heading', { name: 'Qui aime ce message' }));
    await expectAccessible(page, 'qui aime ce message');
    await replyTo(karim, topicId, 'Une suite que Pauline n’a pas lue.');
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(`${app.t.url}/forums/non-lus`);
    await expectVisible(page.getByRole('link', { name: 'Convocations Pix' }));
    await expectAccessible(page, 'discussions non lues');
    await page.goto(`${app.t.url}/forums/c/pix`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(390);
    await expectVisible(page.locator('.forum-topics__narrow').first());
    await expectAccessible(page, 'catégorie sur un téléphone');
    await page.context().close();
  });

  async function firstPostOf(topicId: number): Promise<number> {
    return (await app.t.maillon.core.db.selectFrom('forum_posts').select('id').where('topic_id', '=', topicId).orderBy('id').limit(1).executeTakeFirstOrThrow()).id;
  }

  it('moderation pages, the edit page with a conflict and the history pass axe', async () => {
    const karim = await app.t.loginAs('rupn');
    const topicId = await newTopic(karim, 'pix', { title: 'Sujet pour la modération', body: 'Version initiale.' });
    await replyTo(karim, topicId, 'Une réponse à signaler.');
    const claire = await login(/Se connecter en tant que Claire Dubois/);
    await claire.goto(`${app.t.url}/forums/t/${topicId}`);
    await expectAccessible(claire, 'discussion vue par une modératrice');
    const pauline = await login(/Se connecter en tant que Pauline Girard/);
    await pauline.goto(`${app.t.url}/forums/t/${topicId}`);
    await pauline.getByRole('link', { name: 'Signaler le message de Karim Benali' }).last().click();
    await pauline.waitForURL(/\/signaler$/);
    await expectAccessible(pauline, 'signalement d\'un message');
    await pauline.getByLabel('Raison du signalement').fill('Hors sujet');
    await pauline.getByRole('button', { name: 'Signaler le message' }).click();
    await pauline.waitForURL(/#p-\d+$/);
    await claire.goto(`${app.t.url}/forums/moderation`);
    await expectVisible(claire.getByText('« Hors sujet »'));
    await expectAccessible(claire, 'file de modération');
    // Two tabs edit the same post: the second one gets both texts.
    const first = await karim.get(`/forums/t/${topicId}`);
    const postId = Number(/id="p-(\d+)"/.exec(first.text)![1]);
    await claire.goto(`${app.t.url}/forums/p/${postId}/modifier`);
    const other = await claire.context().newPage();
    await other.goto(`${app.t.url}/forums/p/${postId}/modifier`);
    await other.getByLabel('Message').fill('Version de l\'autre onglet.');
    await other.getByRole('button', { name: 'Enregistrer la modification' }).click();
    await claire.getByLabel('Message').fill('Ma version à moi.');
    await claire.getByRole('button', { name: 'Enregistrer la modification' }).click();
    await expectVisible(claire.getByRole('heading', { name: 'Version enregistrée entre-temps' }));
    expect(await claire.getByLabel('Message').inputValue()).to.equal('Ma version à moi.');
    await expectAccessible(claire, 'conflit de modification');
    await claire.goto(`${app.t.url}/forums/p/${postId}/historique`);
    await expectAccessible(claire, 'historique');
    await claire.context().close();
    await pauline.context().close();
  });

  it('renders the OWASP XSS payloads inert: no script runs, no javascript: link, no handler', async () => {
    const karim = await app.t.loginAs('rupn');
    const topicId = await newTopic(karim, 'ent', { title: 'Essais de charges hostiles', body: 'Chaque réponse est une charge.' });
    for (const payload of PAYLOADS) {
      const res = await replyTo(karim, topicId, payload);
      expect(res.status, payload).to.equal(303);
    }
    const page = await login(/Se connecter en tant que Pauline Girard/);
    const dialogs: string[] = [];
    const hostile: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('request', (r) => {
      if (r.url().includes('xss.example')) hostile.push(r.url());
    });
    await page.addInitScript(() => {
      const w = window as unknown as Record<string, unknown>;
      w.__xssRan = false;
      for (const name of ['alert', 'confirm', 'prompt'] as const) {
        w[name] = () => {
          w.__xssRan = true;
        };
      }
    });
    for (const url of [`${app.t.url}/forums/t/${topicId}`, `${app.t.url}/forums/c/ent/archive`]) {
      await page.goto(url);
      await page.waitForLoadState('load');
      // Hover and focus everything a payload could hang a handler on.
      for (const el of await page.locator('.forum-post__body *').all()) await el.hover({ timeout: 200, force: true }).catch(() => {});
      await page.locator('details.forum-post__body, .forum-post__body details').evaluateAll((els) => els.forEach((e) => ((e as HTMLDetailsElement).open = true)));
      await page.waitForTimeout(300);
      const report = await page.evaluate(() => {
        const bodies = [...document.querySelectorAll('.forum-post__body')];
        const all = bodies.flatMap((b) => [...b.querySelectorAll('*')]);
        return {
          ran: (window as unknown as { __xssRan: boolean }).__xssRan,
          posts: bodies.length,
          jsLinks: all.filter((e) => /^\s*(javascript|data|vbscript):/i.test(e.getAttribute('href') ?? e.getAttribute('src') ?? e.getAttribute('action') ?? '')).map((e) => e.outerHTML),
          handlers: all.filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name) || a.name === 'style')).map((e) => e.outerHTML),
          dangerous: all.filter((e) => ['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'FORM', 'INPUT', 'STYLE', 'LINK', 'META', 'BASE', 'SVG', 'MATH', 'BUTTON'].includes(e.tagName.toUpperCase())).map((e) => e.outerHTML),
        };
      });
      expect(report.posts, url).to.be.greaterThan(PAYLOADS.length - 1);
      expect(report.ran, `${url} : un script a tourné`).to.equal(false);
      expect(dialogs, url).to.deep.equal([]);
      expect(report.jsLinks, url).to.deep.equal([]);
      expect(report.handlers, url).to.deep.equal([]);
      expect(report.dangerous, url).to.deep.equal([]);
      expect(hostile, url).to.deep.equal([]);
    }
    // The live preview shows the same payloads inert.
    await page.goto(`${app.t.url}/forums/t/${topicId}`);
    await page.getByLabel('Votre réponse').fill(PAYLOADS.join('\n\n'));
    await page.locator('[data-preview-body] p').first().waitFor();
    await page.waitForTimeout(300);
    const preview = await page.evaluate(() => ({
      ran: (window as unknown as { __xssRan: boolean }).__xssRan,
      scripts: document.querySelectorAll('[data-preview-body] script, [data-preview-body] iframe, [data-preview-body] [onerror], [data-preview-body] [onload]').length,
      jsLinks: [...document.querySelectorAll('[data-preview-body] [href], [data-preview-body] [src]')].filter((e) => /^\s*javascript:/i.test(e.getAttribute('href') ?? e.getAttribute('src') ?? '')).length,
    }));
    expect(preview).to.deep.equal({ ran: false, scripts: 0, jsLinks: 0 });
    expect(dialogs).to.deep.equal([]);
    await page.context().close();
  });
});
