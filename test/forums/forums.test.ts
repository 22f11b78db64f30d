import { expect } from 'chai';
import type supertest from 'supertest';
import type { TestApp } from '../support/testApp.js';
import { forumsWithPeople, lastPostId as lastPostOfTopic, newTopic, post, replyTo, tokenOf } from './helpers.js';

describe('forums: categories, topics, posts', () => {
  let t: TestApp;
  let karim: supertest.Agent;
  let pauline: supertest.Agent;
  let claire: supertest.Agent;
  const db = () => t.maillon.core.db;
  const lastPostId = (topicId: number) => lastPostOfTopic(t, topicId);

  before(async () => {
    ({ t, karim, pauline, claire } = await forumsWithPeople());
  });
  after(() => t.close());

  it('lists académie, département and theme categories; the DANE category only for the DANE', async () => {
    const page = await karim.get('/forums').expect(200);
    for (const title of ['Académie de Poitiers', 'Vienne (86)', 'Charente (16)', 'ENT', 'Tablettes', 'Pix', 'RGPD', 'GAR', 'Pratiques pédagogiques']) {
      expect(page.text).to.contain(title);
    }
    expect(page.text).not.to.contain('Équipe DANE');
    await karim.get('/forums/c/equipe-dane').expect(404);
    const dane = await claire.get('/forums').expect(200);
    expect(dane.text).to.contain('Équipe DANE');
    await claire.get('/forums/c/equipe-dane').expect(200);
    await t.agent().get('/forums').expect((res) => expect([302, 303, 401]).to.include(res.status));
  });

  it('shows a few demo topics, one of them a solved question', async () => {
    const ent = await karim.get('/forums/c/ent').expect(200);
    expect(ent.text).to.contain("Réinitialiser le mot de passe ENT d&#39;un élève");
    expect(ent.text).to.contain('Résolue');
    expect((await karim.get('/forums/c/departement-86')).text).to.contain('Réunion des RUPN de la Vienne en janvier');
    // What a demo person wrote last is read by them, as if they had posted it.
    const ownLast = await db().selectFrom('forum_topics as t').innerJoin('forum_posts as p', 'p.id', 't.last_post_id').innerJoin('users as u', 'u.id', 'p.author_id')
      .select(['t.id', 'u.email']).execute();
    const paulines = ownLast.filter((r) => r.email.startsWith('pauline.girard@')).map((r) => r.id);
    expect(paulines).not.to.be.empty;
    const unread = (await pauline.get('/forums/non-lus')).text;
    for (const id of paulines) expect(unread).not.to.contain(`/forums/t/${id}/non-lu`);
  });

  it('starts a topic and replies in Markdown; every post shows its author, role and département', async () => {
    const topicId = await newTopic(karim, 'ent', { title: 'Comptes ENT des nouveaux élèves', body: 'Les comptes arrivent **quand** ?\n\n- import\n- SIECLE' });
    const res = await replyTo(pauline, topicId, 'Après l\'import *SIECLE*, en général.');
    expect(res.status).to.equal(303);
    const page = await karim.get(`/forums/t/${topicId}`).expect(200);
    expect(page.text).to.contain('<h1>Comptes ENT des nouveaux élèves</h1>');
    expect(page.text).to.contain('<strong>quand</strong>');
    expect(page.text).to.contain('<em>SIECLE</em>');
    expect(page.text).to.contain('Karim Benali');
    expect(page.text).to.contain('Pauline Girard');
    expect(page.text).to.contain('Référent numérique (RUPN)');
    expect(page.text).to.match(/Référent numérique \(RUPN\) · Vienne/);
    expect(page.text).to.contain('@karim.benali');
    const list = await karim.get('/forums/c/ent').expect(200);
    expect(list.text).to.contain('Comptes ENT des nouveaux élèves');
  });

  it('shows an author\'s current name and département on posts already read (the SSO may change them)', async () => {
    const topicId = await newTopic(pauline, 'pix', { title: 'Campagne Pix des troisièmes', body: 'Qui a déjà lancé la campagne ?' });
    expect((await karim.get(`/forums/t/${topicId}`)).text).to.match(/Pauline Girard/);
    const pauline1 = await db().selectFrom('users').select(['id', 'family_name', 'department_code']).where('email', 'like', 'pauline.%').executeTakeFirstOrThrow();
    await db().updateTable('users').set({ family_name: 'Girard-Moreau', department_code: '17' }).where('id', '=', pauline1.id).execute();
    try {
      const page = (await karim.get(`/forums/t/${topicId}`)).text;
      expect(page).to.contain('Pauline Girard-Moreau');
      expect(page).to.match(/Girard-Moreau<\/strong>[\s\S]{0,300}Charente-Maritime/);
    } finally {
      await db().updateTable('users').set({ family_name: pauline1.family_name, department_code: pauline1.department_code }).where('id', '=', pauline1.id).execute();
    }
  });

  it('quotes an earlier post into the reply box', async () => {
    const topicId = await newTopic(karim, 'pix', { title: 'Campagne Pix de rentrée', body: 'Qui a lancé sa campagne ?\nDeuxième ligne.' });
    const postId = await lastPostId(topicId);
    const page = await pauline.get(`/forums/t/${topicId}?citer=${postId}`).expect(200);
    expect(page.text).to.contain('&gt; **Karim Benali** a écrit :\n&gt;\n&gt; Qui a lancé sa campagne ?\n&gt; Deuxième ligne.');
  });

  it("quotes a post, or the words selected in it, for the reply being written (« Citer » with JavaScript)", async () => {
    const topicId = await newTopic(karim, 'pix', { title: 'Ouverture des sessions Pix', body: 'Les sessions ouvrent lundi.\nPensez aux convocations.' });
    const postId = await lastPostId(topicId);
    const json = (url: string) => pauline.get(url).set('Accept', 'application/json');
    expect((await json(`/forums/p/${postId}/citation`).expect(200)).body.markdown).to.equal('> **Karim Benali** a écrit :\n>\n> Les sessions ouvrent lundi.\n> Pensez aux convocations.\n\n');
    expect((await json(`/forums/p/${postId}/citation?extrait=${encodeURIComponent('Pensez aux convocations.')}`).expect(200)).body.markdown)
      .to.equal('> **Karim Benali** a écrit :\n>\n> Pensez aux convocations.\n\n');
    await json('/forums/p/999999/citation').expect(404);
    const hidden = await newTopic(claire, 'equipe-dane', { title: 'Réservé à la DANE', body: 'Entre nous.' });
    await json(`/forums/p/${await lastPostId(hidden)}/citation`).expect(404);
    // The page's « Citer » link names the post for the script, and still works as a link.
    expect((await pauline.get(`/forums/t/${topicId}`)).text).to.contain(`citer=${postId}#repondre" data-quote="${postId}"`);
  });

  it('refuses a post made of invisible characters only, as an empty one', async () => {
    const topicId = await newTopic(karim, 'ent', { title: 'Discussion sans fantôme', body: 'Premier message' });
    const res = await replyTo(pauline, topicId, '\u200b'.repeat(50) + '\n\u2060');
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('Le message est vide');
    const title = await post(karim, '/forums/c/ent/nouveau', '/forums/c/ent/nouveau', { title: '\u200b\u200b\u200bA', body: 'Un texte' });
    expect(title.status).to.equal(422);
    expect(title.text).to.contain('Le titre doit compter au moins 3 caractères');
  });

  it('sends a refused reply back to the reply box, not to the top of the page', async () => {
    const topicId = await newTopic(karim, 'ent', { title: 'Discussion pour l’ancre', body: 'Premier message' });
    const page = await pauline.get(`/forums/t/${topicId}`);
    expect(page.text).to.contain(`action="/forums/t/${topicId}/reponses#repondre"`);
  });

  it('refuses empty and oversized posts and titles, keeping the text typed', async () => {
    const empty = await post(karim, '/forums/c/ent/nouveau', '/forums/c/ent/nouveau', { title: 'Titre correct', body: '   \n ' });
    expect(empty.status).to.equal(422);
    expect(empty.text).to.contain('Le message est vide');
    expect(empty.text).to.contain('value="Titre correct"');
    const short = await post(karim, '/forums/c/ent/nouveau', '/forums/c/ent/nouveau', { title: 'a', body: 'Un texte à garder' });
    expect(short.status).to.equal(422);
    expect(short.text).to.contain('Un texte à garder');
    const huge = 'x'.repeat(20_001);
    const topicId = await newTopic(karim, 'ent', { title: 'Discussion pour les limites', body: 'Premier message' });
    const res = await replyTo(pauline, topicId, huge);
    expect(res.status).to.equal(413);
    expect(res.text).to.contain('Le message est trop long');
    expect(res.text).to.contain(huge);
    const count = await db().selectFrom('forum_posts').select((eb) => eb.fn.countAll<number>().as('n')).where('topic_id', '=', topicId).executeTakeFirstOrThrow();
    expect(Number(count.n)).to.equal(1);
    await post(karim, `/forums/t/${topicId}`, '/forums/c/equipe-dane/nouveau', { title: 'Intrusion', body: 'x' }).then((r) => expect(r.status).to.equal(404));
  });

  it('edits with a kept, viewable history; a stale version answers 409 with both texts', async () => {
    const topicId = await newTopic(karim, 'gar', { title: 'Affectations GAR', body: 'Version un du texte.' });
    const postId = await lastPostId(topicId);
    const form = await karim.get(`/forums/p/${postId}/modifier`).expect(200);
    expect(form.text).to.contain('name="version" value="1"');
    const ok = await karim.post(`/forums/p/${postId}/modifier`).type('form').send({ _csrf: tokenOf(form.text), version: '1', title: 'Affectations GAR', body: 'Version deux du texte.' });
    expect(ok.status).to.equal(303);
    // A second editor still holding version 1 does not overwrite version 2.
    const stale = await karim.post(`/forums/p/${postId}/modifier`).type('form').send({ _csrf: tokenOf(form.text), version: '1', title: 'Affectations GAR', body: 'Mon texte concurrent.' });
    expect(stale.status).to.equal(409);
    expect(stale.text).to.contain('Version deux du texte.');
    expect(stale.text).to.contain('Mon texte concurrent.');
    expect(stale.text).to.contain('name="version" value="2"');
    const history = await pauline.get(`/forums/p/${postId}/historique`).expect(200);
    expect(history.text).to.contain('Version un du texte.');
    expect(history.text).to.contain('Version deux du texte.');
    // What the edit changed shows word by word, and says so to a screen reader.
    expect(history.text).to.contain('Ce que la version 2 a changé');
    expect(history.text).to.contain('Version <del><span class="visually-hidden">[supprimé : </span>un<span class="visually-hidden">]</span></del><ins><span class="visually-hidden">[ajouté : </span>deux<span class="visually-hidden">]</span></ins> du texte.');
    const topic = await pauline.get(`/forums/t/${topicId}`).expect(200);
    expect(topic.text).to.contain('modifié (historique)');
    // Someone else's post cannot be edited.
    const other = await pauline.get(`/forums/t/${topicId}`);
    await pauline.post(`/forums/p/${postId}/modifier`).type('form').send({ _csrf: tokenOf(other.text), version: '2', body: 'piratage' }).expect(403);
    await pauline.get(`/forums/p/${postId}/modifier`).expect(403);
  });

  it('deletes one\'s own post only', async () => {
    const topicId = await newTopic(karim, 'tablettes', { title: 'Flotte de tablettes', body: 'Quel outil de gestion ?' });
    await replyTo(pauline, topicId, 'Réponse que je vais retirer.');
    const postId = await lastPostId(topicId);
    // Edited first: once deleted, its history is no longer offered (it answers 404 to others).
    const form = await pauline.get(`/forums/p/${postId}/modifier`).expect(200);
    await pauline.post(`/forums/p/${postId}/modifier`).type('form').send({ _csrf: tokenOf(form.text), version: '1', body: 'Réponse que je vais retirer, corrigée.' }).expect(303);
    const page = await karim.get(`/forums/t/${topicId}`);
    expect(page.text).to.contain(`/forums/p/${postId}/historique`);
    await karim.post(`/forums/p/${postId}/supprimer`).type('form').send({ _csrf: tokenOf(page.text) }).expect(403);
    const own = await pauline.get(`/forums/t/${topicId}`);
    await pauline.post(`/forums/p/${postId}/supprimer`).type('form').send({ _csrf: tokenOf(own.text) }).expect(303);
    const after = await karim.get(`/forums/t/${topicId}`).expect(200);
    expect(after.text).not.to.contain('Réponse que je vais retirer');
    expect(after.text).to.contain('Message supprimé par son auteur.');
    expect(after.text).not.to.contain(`/forums/p/${postId}/historique`);
  });

  it('renders the live preview through the one sanitising renderer, with CSRF', async () => {
    const page = await karim.get('/forums/c/ent/nouveau').expect(200);
    const res = await karim.post('/forums/apercu').set('X-CSRF-Token', tokenOf(page.text)).send({ body: '**gras** <script>alert(1)</script> [x](javascript:alert(1))' }).expect(200);
    expect(res.body.html).to.contain('<strong>gras</strong>');
    expect(res.body.html).not.to.contain('<script');
    expect(res.body.html).not.to.contain('javascript:');
    await karim.post('/forums/apercu').send({ body: 'x' }).expect(403);
  });

  it('Q&A: the asker marks the answer that solved it; it shows under the question; others may not', async () => {
    const topicId = await newTopic(pauline, 'rgpd', { title: 'Consentement des familles pour les photos', body: 'Faut-il une autorisation écrite ?', isQuestion: true });
    await replyTo(karim, topicId, 'Oui, une autorisation de droit à l\'image signée par les responsables légaux.');
    const answerId = await lastPostId(topicId);
    const other = await karim.get(`/forums/t/${topicId}`);
    expect(other.text).not.to.contain('Marquer comme solution');
    await karim.post(`/forums/p/${answerId}/solution`).type('form').send({ _csrf: tokenOf(other.text) }).expect(403);
    const mine = await pauline.get(`/forums/t/${topicId}`);
    expect(mine.text).to.contain('Marquer comme solution');
    await pauline.post(`/forums/p/${answerId}/solution`).type('form').send({ _csrf: tokenOf(mine.text) }).expect(303);
    const page = await karim.get(`/forums/t/${topicId}`).expect(200);
    expect(page.text).to.contain('Question résolue');
    expect(page.text).to.match(/Réponse qui a résolu la question[\s\S]*autorisation de droit à l.{1,6}image/);
    // The question's buttons stay with the question, before the solution's box.
    const question = /id="p-(\d+)"/.exec(page.text)![1];
    const questionBar = page.text.indexOf(`/forums/p/${question}/signaler`);
    expect(questionBar, 'the question has its bar').to.be.greaterThan(0);
    expect(questionBar).to.be.lessThan(page.text.indexOf('Réponse qui a résolu la question'));
    const list = await karim.get('/forums/c/rgpd').expect(200);
    expect(list.text).to.contain('Résolue');
  });

  it('likes a post once per person, never one\'s own', async () => {
    const topicId = await newTopic(karim, 'pratiques-pedagogiques', { title: 'Carte mentale collaborative', body: 'Un outil libre pour ça ?' });
    await replyTo(pauline, topicId, 'Essayez un pad avec une carte mentale.');
    const postId = await lastPostId(topicId);
    let page = await karim.get(`/forums/t/${topicId}`);
    await karim.post(`/forums/p/${postId}/aimer`).type('form').send({ _csrf: tokenOf(page.text) }).expect(303);
    page = await karim.get(`/forums/t/${topicId}`);
    expect(page.text).to.contain('1 personne aime ce message');
    expect(page.text).to.contain('aria-pressed="true"');
    // The count leads to who likes it.
    expect(page.text).to.contain(`href="/forums/p/${postId}/aime"`);
    const who = await pauline.get(`/forums/p/${postId}/aime`).expect(200);
    expect(who.text).to.contain('<li>Karim Benali</li>');
    const hidden = await newTopic(claire, 'equipe-dane', { title: 'Entre nous, encore', body: 'Privé.' });
    await pauline.get(`/forums/p/${await lastPostId(hidden)}/aime`).expect(404);
    await karim.post(`/forums/p/${postId}/aimer`).type('form').send({ _csrf: tokenOf(page.text) }).expect(303);
    page = await karim.get(`/forums/t/${topicId}`);
    expect(page.text).not.to.contain('personne aime ce message');
    const own = await pauline.get(`/forums/t/${topicId}`);
    await pauline.post(`/forums/p/${postId}/aimer`).type('form').send({ _csrf: tokenOf(own.text) }).expect(403);
  });

  it('gives each reader the action bar that is theirs, though bars are kept per kind of reader', async () => {
    const elodie = await t.loginAs('rupn-poitiers');
    const topicId = await newTopic(karim, 'pratiques-pedagogiques', { title: 'Frise chronologique en histoire', body: 'Un outil en ligne pour les élèves ?' });
    await replyTo(pauline, topicId, 'Une frise partagée dans l\'ENT fonctionne bien.');
    const postId = await lastPostId(topicId);
    // The bar that follows a post's article.
    const barOf = (html: string) => {
      const start = html.indexOf('forum-post__actions', html.indexOf(`id="p-${postId}"`));
      return html.slice(start, html.indexOf('</div>', start));
    };
    const aimer = `form="forum-actions" formaction="/forums/p/${postId}/aimer"`;
    // Élodie sees the bar first, so it is the one kept for readers who neither wrote nor liked.
    expect(barOf((await elodie.get(`/forums/t/${topicId}`).expect(200)).text)).to.contain(aimer).and.contain('aria-pressed="false"');
    let page = await karim.get(`/forums/t/${topicId}`);
    // One form holds the page's token; every post's button submits it to its own address.
    expect(page.text.match(/<form id="forum-actions" method="post"><input type="hidden" name="_csrf" value="[^"]+"><\/form>/g)).to.have.length(1);
    await karim.post(`/forums/p/${postId}/aimer`).type('form').send({ _csrf: tokenOf(page.text) }).expect(303);

    page = await karim.get(`/forums/t/${topicId}`);
    expect(barOf(page.text)).to.contain('aria-pressed="true"').and.contain("Je n&#39;aime plus").and.contain('1 personne aime ce message');
    const other = barOf((await elodie.get(`/forums/t/${topicId}`)).text);
    expect(other).to.contain('aria-pressed="false"').and.contain('1 personne aime ce message').and.contain('Signaler');
    expect(other).not.to.contain('Supprimer');
    const author = barOf((await pauline.get(`/forums/t/${topicId}`)).text);
    expect(author).to.contain('Modifier').and.contain(`formaction="/forums/p/${postId}/supprimer"`).and.contain('1 personne aime ce message');
    expect(author).not.to.contain(aimer);
    expect(author).not.to.contain('Signaler');
  });

  it('marks unread topics and jumps to the first unread post', async () => {
    const topicId = await newTopic(karim, 'departement-86', { title: 'Rencontre des RUPN', body: 'Date à fixer.' });
    await pauline.get(`/forums/t/${topicId}`).expect(200);
    await replyTo(karim, topicId, 'Premier nouveau message.');
    const firstNew = await lastPostId(topicId);
    await replyTo(karim, topicId, 'Second nouveau message.');
    const list = await pauline.get('/forums/c/departement-86').expect(200);
    expect(list.text).to.contain('forum-topic--unread');
    expect(list.text).to.contain(`/forums/t/${topicId}/non-lu`);
    const index = await pauline.get('/forums').expect(200);
    expect(index.text).to.match(/discussion non lue/);
    expect(index.text).to.match(/<a href="\/forums\/non-lus">Discussions non lues \(\d+\)<\/a>/);
    const jump = await pauline.get(`/forums/t/${topicId}/non-lu`).expect(303);
    expect(jump.headers.location).to.equal(`/forums/t/${topicId}#p-${firstNew}`);
    await pauline.get(`/forums/t/${topicId}`).expect(200);
    const again = await pauline.get('/forums/c/departement-86').expect(200);
    expect(again.text).not.to.contain(`/forums/t/${topicId}/non-lu`);
  });

  it("lists unread topics across categories without the muted ones, and marks them read", async () => {
    const reader = await t.loginAs('rupn-poitiers');
    // What the demo and earlier tests wrote is read first: the list then holds only what follows.
    await post(reader, '/forums/non-lus', '/forums/non-lus/lu', {}).then((r) => expect(r.status).to.equal(303));
    expect((await reader.get('/forums/non-lus').expect(200)).text).to.contain('Vous avez tout lu.');
    const news = await newTopic(karim, 'departement-86', { title: 'Nouvelle du département', body: 'À lire.' });
    const muted = await newTopic(karim, 'ent', { title: 'Discussion que je vais ignorer', body: 'Bruit.' });
    const inMutedCategory = await newTopic(karim, 'gar', { title: 'Dans une catégorie ignorée', body: 'Bruit aussi.' });
    const followed = await newTopic(karim, 'gar', { title: 'Suivie malgré la catégorie ignorée', body: 'Important.' });
    await post(reader, `/forums/t/${muted}`, `/forums/t/${muted}/suivi`, { level: 'mute' });
    await post(reader, '/forums/c/gar', '/forums/c/gar/suivi', { level: 'mute' });
    await post(reader, `/forums/t/${followed}`, `/forums/t/${followed}/suivi`, { level: 'watch' });
    await replyTo(karim, followed, 'Une suite.');
    await replyTo(karim, muted, 'Une suite ignorée.');
    const list = (await reader.get('/forums/non-lus').expect(200)).text;
    expect(list).to.contain('Nouvelle du département').and.to.contain('Suivie malgré la catégorie ignorée');
    expect(list).not.to.contain('Discussion que je vais ignorer');
    expect(list).not.to.contain('Dans une catégorie ignorée');
    expect(list).to.contain(`/forums/t/${news}/non-lu`);
    // The category's list says which topics one ignores or follows.
    expect((await reader.get('/forums/c/ent')).text).to.match(new RegExp(`<span class="tag forum-muted">Ignorée</span>[^]*?href="/forums/t/${muted}"`));
    expect((await reader.get('/forums/c/gar')).text).to.match(new RegExp(`<span class="tag">Suivie</span>[^]*?href="/forums/t/${followed}"`));
    // The index counts the same way: the muted topic is not an unread one of « ENT ».
    const ent = (await reader.get('/forums/c/ent').expect(200)).text;
    expect(ent).not.to.match(new RegExp(`/forums/t/${muted}/non-lu`));
    expect(inMutedCategory).to.be.a('number');
    // « Tout marquer comme lu » in one category leaves the others unread.
    const marked = await post(reader, '/forums/c/departement-86', '/forums/c/departement-86/lu', {});
    expect(marked.status).to.equal(303);
    expect((await reader.get('/forums/c/departement-86')).text).not.to.contain(`/forums/t/${news}/non-lu`);
    const after = (await reader.get('/forums/non-lus')).text;
    expect(after).not.to.contain('Nouvelle du département');
    expect(after).to.contain('Suivie malgré la catégorie ignorée');
    await post(reader, '/forums/non-lus', '/forums/non-lus/lu', {});
    expect((await reader.get('/forums/non-lus')).text).to.contain('Vous avez tout lu.');
    // Nobody marks a category they may not read.
    await post(reader, '/forums/c/ent', '/forums/c/equipe-dane/lu', {}).then((r) => expect(r.status).to.equal(404));
  });

  it('answers 404 for topics and posts that do not exist or that the person may not read', async () => {
    const topicId = await newTopic(claire, 'equipe-dane', { title: 'Préparation du séminaire', body: 'Entre nous.' });
    await karim.get(`/forums/t/${topicId}`).expect(404);
    await karim.get(`/forums/p/${await lastPostId(topicId)}`).expect(404);
    await karim.get('/forums/t/999999').expect(404);
    await karim.get('/forums/t/abc').expect(404);
    const page = await karim.get('/forums');
    await karim.post(`/forums/t/${topicId}/reponses`).type('form').send({ _csrf: tokenOf(page.text), body: 'intrus' }).expect(404);
  });
});

