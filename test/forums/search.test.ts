import { expect } from 'chai';
import { sql } from 'kysely';
import type supertest from 'supertest';
import { createMaillon } from '../../server/app.js';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { FORUMS, newTopic, post, replyTo } from './helpers.js';

describe('forums: French search', () => {
  let t: TestApp;
  let karim: supertest.Agent;
  let pauline: supertest.Agent;
  let claire: supertest.Agent;
  let solvedTopic: number;
  before(async () => {
    t = await startTestApp({ pluginDirs: FORUMS, env: { JOBS_RUNNER: 'false', PLUGIN_FORUMS_POSTS_PER_MINUTE: '1000' } });
    karim = await t.loginAs('rupn');
    pauline = await t.loginAs('nouvelle-rupn');
    claire = await t.loginAs('dane');
    solvedTopic = await newTopic(pauline, 'ent', { title: "Accès des enseignants remplaçants à l'ENT", body: 'Comment ouvrir un compte pour un remplaçant ?', isQuestion: true });
    // Answers often open by quoting the question: the solution shown is the answer's own words.
    await replyTo(karim, solvedTopic, "> **Pauline Girard** a écrit :\n>\n> Comment faire pour un remplaçant ?\n\nL'administrateur local crée un compte invité depuis la console.");
    const answer = await t.maillon.core.db.selectFrom('forum_posts').select('id').where('topic_id', '=', solvedTopic).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    const page = await pauline.get(`/forums/t/${solvedTopic}`);
    await post(pauline, `/forums/t/${solvedTopic}`, `/forums/p/${answer.id}/solution`, {}).then((r) => expect(r.status, page.status.toString()).to.equal(303));
    await newTopic(karim, 'pix', { title: 'Préparer la certification', body: "Les **élèves** s'entraînent sur [les épreuves](https://pix.example/epreuves) de l'*école numérique*." });
    await newTopic(karim, 'tablettes', { title: 'Parc mobile', body: '> Qui a quoi ?\n> - iPad\n> - Chromebook\n\n1. Les Chromebook se gèrent depuis la console.' });
    await newTopic(claire, 'equipe-dane', { title: 'Budget des enseignants formateurs', body: 'Document interne.' });
  });
  after(() => t.close());

  it('finds « enseignants » from « enseignant », forgives accents, highlights with <mark> and shows the solution', async () => {
    const res = await karim.get('/forums/recherche').query({ q: 'enseignant remplacant' }).expect(200);
    expect(res.text).to.contain("Accès des <mark>enseignants</mark> <mark>remplaçants</mark> à l&#39;ENT");
    expect(res.text).to.contain('Résolue');
    expect(res.text).to.contain("<strong>Solution :</strong> L&#39;administrateur local crée un compte invité");
    // The link's hidden name is the title as text, escaped once.
    expect(res.text).to.contain('<span class="visually-hidden"> de « Accès des enseignants remplaçants à l&#39;ENT »</span>');
    const accents = await karim.get('/forums/recherche').query({ q: 'ECOLE numerique' }).expect(200);
    expect(accents.text).to.contain('<mark>école</mark> <mark>numérique</mark>');
    // The excerpt reads as prose: the Markdown marks of the post are not shown.
    expect(accents.text).to.contain('Les élèves s&#39;entraînent sur les épreuves de l&#39;<mark>école</mark> <mark>numérique</mark></p>');
    // Nor the marks of a list inside a quote, nor those of a numbered list.
    const lists = await karim.get('/forums/recherche').query({ q: 'chromebook' }).expect(200);
    expect(lists.text).to.contain('Qui a quoi ? iPad <mark>Chromebook</mark> Les <mark>Chromebook</mark> se gèrent');
  });

  it('only finds what the person may read, and filters by category, author and date', async () => {
    const rupn = await karim.get('/forums/recherche').query({ q: 'enseignants' }).expect(200);
    expect(rupn.text).not.to.contain('Budget des');
    const dane = await claire.get('/forums/recherche').query({ q: 'enseignants' }).expect(200);
    expect(dane.text).to.contain('Budget des <mark>enseignants</mark> formateurs');
    const inPix = await claire.get('/forums/recherche').query({ q: 'enseignants', categorie: 'pix' }).expect(200);
    expect(inPix.text).to.contain('Aucun message ne correspond');
    const byKarim = await karim.get('/forums/recherche').query({ q: 'compte', auteur: 'benali' }).expect(200);
    expect(byKarim.text).to.contain('crée un <mark>compte</mark> invité');
    expect(byKarim.text).not.to.contain('ouvrir un <mark>compte</mark>');
    // The author may be named family name first, without accents, or by the @handle a mention uses.
    for (const auteur of ['Benali Karim', '@karim.benali', 'KARIM']) {
      const named = await karim.get('/forums/recherche').query({ q: 'compte', auteur }).expect(200);
      expect(named.text, auteur).to.contain('crée un <mark>compte</mark> invité');
    }
    const byPauline = await karim.get('/forums/recherche').query({ q: 'remplacant', auteur: 'pauline.girard' }).expect(200);
    expect(byPauline.text).not.to.contain('crée un <mark>compte</mark> invité');
    // A date filter that cannot apply says so; dates given the wrong way round are put right.
    const invalid = await karim.get('/forums/recherche').query({ q: 'compte', depuis: '2026-02-30', jusqua: '2030-99-01' }).expect(200);
    expect(invalid.text).to.contain('La date de début « 2026-02-30 » n&#39;est pas une date valide : ce filtre est ignoré.');
    expect(invalid.text).to.contain('La date de fin « 2030-99-01 » n&#39;est pas une date valide');
    expect(invalid.text).to.contain('crée un <mark>compte</mark> invité');
    const today = new Date().toISOString().slice(0, 10);
    const swapped = await karim.get('/forums/recherche').query({ q: 'compte', depuis: '2999-01-01', jusqua: today }).expect(200);
    expect(swapped.text).to.contain('Les dates étaient inversées');
    expect(swapped.text).to.contain('<mark>compte</mark>');
    expect(swapped.text).to.contain(`value="${today}"`);
    const future = await karim.get('/forums/recherche').query({ q: 'compte', depuis: '2999-01-01' }).expect(200);
    expect(future.text).to.contain('Aucun message ne correspond');
    const todayRes = await karim.get('/forums/recherche').query({ q: 'compte', depuis: today, jusqua: today }).expect(200);
    expect(todayRes.text).to.contain('<mark>compte</mark>');
  });

  it('accepts any input without error and escapes it', async () => {
    for (const q of ['"', '-', '<script>alert(1)</script>', "' or 1=1 --", '&&||!', 'a'.repeat(5000)]) {
      const res = await karim.get('/forums/recherche').query({ q, depuis: 'pas-une-date', page: 'x' }).expect(200);
      expect(res.text).not.to.contain('<script>alert(1)');
    }
  });
});

describe('forums: search looks among recent posts first', () => {
  let t: TestApp;
  let karim: supertest.Agent;
  let claire: supertest.Agent;
  let oldTopic: number;
  let busy: number;
  before(async () => {
    // A window of 25 posts: the old topic below falls just outside it.
    t = await startTestApp({ pluginDirs: FORUMS, env: { JOBS_RUNNER: 'false', PLUGIN_FORUMS_POSTS_PER_MINUTE: '1000', PLUGIN_FORUMS_SEARCH_RECENT_POSTS: '25' } });
    karim = await t.loginAs('rupn');
    claire = await t.loginAs('dane');
    oldTopic = await newTopic(karim, 'ent', { title: 'Imprimante du CDI : changer le toner', body: 'Le toner se commande auprès du gestionnaire.' });
    busy = await newTopic(karim, 'tablettes', { title: 'Parc matériel', body: 'Une imprimante par salle, est-ce raisonnable ?' });
    for (let i = 1; i < 25; i++) await replyTo(karim, busy, `Réponse ${i} : l'imprimante de la salle ${i} fonctionne.`);
  });
  after(() => t.close());

  it('says how far back it looked, offers the older posts and keeps its window on the next page', async () => {
    const res = await karim.get('/forums/recherche').query({ q: 'imprimante' }).expect(200);
    expect(res.text).to.contain('20 résultats sur cette page');
    expect(res.text).to.match(/Recherche dans les messages publiés depuis le \d+ \S+ \d{4}\./);
    expect(res.text).not.to.contain('changer le toner');
    const next = /href="\?([^"]+)" rel="next"/.exec(res.text)![1]!.replaceAll('&amp;', '&');
    expect(next).not.to.contain('tout=1');
    const second = await karim.get(`/forums/recherche?${next}`).expect(200);
    expect(second.text).to.contain('5 résultats');
    expect(second.text).not.to.contain('changer le toner');

    const older = /<a href="\?([^"]+)">Chercher aussi dans les messages plus anciens<\/a>/.exec(res.text)![1]!.replaceAll('&amp;', '&');
    const all = await karim.get(`/forums/recherche?${older}`).expect(200);
    expect(all.text).to.contain('<mark>Imprimante</mark> du CDI : changer le toner');
    expect(all.text).not.to.contain('Recherche dans les messages publiés depuis');
    expect(/href="\?([^"]+)" rel="next"/.exec(all.text)![1]).to.contain('tout=1');
  });

  it('widens to the whole archive by itself when the recent posts hold less than a page', async () => {
    const res = await karim.get('/forums/recherche').query({ q: 'toner' }).expect(200);
    expect(res.text).to.contain('<mark>toner</mark> se commande');
    expect(res.text).not.to.contain('Recherche dans les messages publiés depuis');
  });

  it('finds a moved topic\'s posts in its new category only', async () => {
    const pix = await t.maillon.core.db.selectFrom('forum_categories').select('id').where('slug', '=', 'pix').executeTakeFirstOrThrow();
    await post(claire, `/forums/t/${oldTopic}`, `/forums/t/${oldTopic}/deplacer`, { category: String(pix.id) }).then((r) => expect(r.status).to.equal(303));
    const inPix = await karim.get('/forums/recherche').query({ q: 'toner', categorie: 'pix' }).expect(200);
    expect(inPix.text).to.contain('<mark>toner</mark> se commande');
    const inEnt = await karim.get('/forums/recherche').query({ q: 'toner', categorie: 'ent' }).expect(200);
    expect(inEnt.text).to.contain('Aucun message ne correspond');
  });

  // Recent posts are searched in a table of their own: a hidden post, an edited text and a moved
  // topic must show there at once. Each search below keeps at least a page of recent results, so
  // that widening to the archive (which would be right anyway) cannot hide a stale table.
  it('follows a hidden post, an edited text and a moved topic among the recent posts', async () => {
    const replies = await t.maillon.core.db.selectFrom('forum_posts').select('id').where('topic_id', '=', busy).orderBy('id', 'desc').limit(2).execute();
    const [hidden, edited] = replies.map((r) => r.id) as [number, number];
    await post(claire, `/forums/t/${busy}`, `/forums/p/${hidden}/masquer`, {}).then((r) => expect(r.status).to.equal(303));
    const form = await karim.get(`/forums/p/${edited}/modifier`).expect(200);
    await post(karim, `/forums/p/${edited}/modifier`, `/forums/p/${edited}/modifier`, { version: /name="version" value="(\d+)"/.exec(form.text)![1]!, body: 'Réponse 23 : tout marche en salle 23.' })
      .then((r) => expect(r.status).to.equal(303));
    const pix = await t.maillon.core.db.selectFrom('forum_categories').select('id').where('slug', '=', 'pix').executeTakeFirstOrThrow();
    await post(claire, `/forums/t/${busy}`, `/forums/t/${busy}/deplacer`, { category: String(pix.id) }).then((r) => expect(r.status).to.equal(303));

    const first = await karim.get('/forums/recherche').query({ q: 'imprimante', categorie: 'pix' }).expect(200);
    expect(first.text).to.match(/Recherche dans les messages publiés depuis le/);
    expect(first.text).to.contain('20 résultats sur cette page');
    const next = /href="\?([^"]+)" rel="next"/.exec(first.text)![1]!.replaceAll('&amp;', '&');
    const second = await karim.get(`/forums/recherche?${next}`).expect(200);
    expect(second.text).to.contain('3 résultats');
    for (const page of [first.text, second.text]) {
      expect(page).not.to.contain('salle 24');
      expect(page).not.to.contain('salle 23');
    }
    const inTablets = await karim.get('/forums/recherche').query({ q: 'imprimante', categorie: 'tablettes' }).expect(200);
    expect(inTablets.text).to.contain('Aucun message ne correspond');
  });

  it('holds the newest posts by number, refills when a start brings another number, keeps none at 0', async () => {
    const db = t.maillon.core.db;
    const held = async () => (await db.selectFrom('forum_search_recent').select('id').orderBy('id').execute()).map((r) => r.id);
    // The window counts ids, as the newest posts' numbers: a gap counts as a post.
    const newest = async (n: number) => (await sql<{ id: number }>`select id from forum_posts where id > (select max(id) - ${n}::int from forum_posts) order by id`.execute(db)).rows.map((r) => r.id);
    expect(await held()).to.deep.equal(await newest(25));
    // A gap in the ids (an insert rolled back) counts as a post: the window is a range of ids.
    await sql`select nextval(pg_get_serial_sequence('forum_posts', 'id'))`.execute(db);
    await replyTo(karim, busy, 'Une imprimante de plus, après un trou dans les numéros.');
    expect(await newest(25)).to.have.length(24);
    expect(await held()).to.deep.equal(await newest(25));
    // The nightly vacuum (the embedded engine has no autovacuum) runs on both engines.
    const job = await t.maillon.core.jobs.enqueue('forums:search-vacuum', {});
    await t.maillon.core.jobs.drain();
    expect(await db.selectFrom('jobs').select(['state', 'last_error']).where('id', '=', job.id).executeTakeFirstOrThrow()).to.deep.equal({ state: 'done', last_error: null });
    for (const [posts, expected] of [['10', await newest(10)], ['0', []]] as const) {
      const again = await createMaillon(t.config, { database: t.testDb.database, env: { JOBS_RUNNER: 'false', PLUGIN_FORUMS_SEARCH_RECENT_POSTS: posts } });
      await again.close();
      expect(await held()).to.deep.equal(expected);
    }
  });
});
