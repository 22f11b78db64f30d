import { expect } from 'chai';
import type supertest from 'supertest';
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
    await replyTo(karim, solvedTopic, "L'administrateur local crée un compte invité depuis la console.");
    const answer = await t.maillon.core.db.selectFrom('forum_posts').select('id').where('topic_id', '=', solvedTopic).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    const page = await pauline.get(`/forums/t/${solvedTopic}`);
    await post(pauline, `/forums/t/${solvedTopic}`, `/forums/p/${answer.id}/solution`, {}).then((r) => expect(r.status, page.status.toString()).to.equal(303));
    await newTopic(karim, 'pix', { title: 'Préparer la certification', body: "Les élèves s'entraînent sur les épreuves de l'école numérique." });
    await newTopic(claire, 'equipe-dane', { title: 'Budget des enseignants formateurs', body: 'Document interne.' });
  });
  after(() => t.close());

  it('finds « enseignants » from « enseignant », forgives accents, highlights with <mark> and shows the solution', async () => {
    const res = await karim.get('/forums/recherche').query({ q: 'enseignant remplacant' }).expect(200);
    expect(res.text).to.contain("Accès des <mark>enseignants</mark> <mark>remplaçants</mark> à l&#39;ENT");
    expect(res.text).to.contain('Résolue');
    expect(res.text).to.contain("<strong>Solution :</strong> L&#39;administrateur local crée un compte invité");
    const accents = await karim.get('/forums/recherche').query({ q: 'ECOLE numerique' }).expect(200);
    expect(accents.text).to.contain('<mark>école</mark> <mark>numérique</mark>');
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
    const future = await karim.get('/forums/recherche').query({ q: 'compte', depuis: '2999-01-01' }).expect(200);
    expect(future.text).to.contain('Aucun message ne correspond');
    const today = new Date().toISOString().slice(0, 10);
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
