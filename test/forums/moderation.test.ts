import { expect } from 'chai';
import type supertest from 'supertest';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { buildUser } from '../support/factories.js';
import { FORUMS, forumsWithPeople, lastPostId as lastPostOfTopic, newTopic, post, replyTo, tokenOf } from './helpers.js';

describe('forums: moderation', () => {
  let t: TestApp;
  let karim: supertest.Agent;
  let pauline: supertest.Agent;
  let claire: supertest.Agent;
  const db = () => t.maillon.core.db;
  const lastPostId = (topicId: number) => lastPostOfTopic(t, topicId);
  const audit = (action: string) => db().selectFrom('audit_log').select(['action', 'target_id', 'actor_id', 'details']).where('action', '=', action).execute();

  before(async () => {
    ({ t, karim, pauline, claire } = await forumsWithPeople());
  });
  after(() => t.close());

  it('flags a post with a reason into the queue; a moderator hides it, audited; others cannot', async () => {
    const topicId = await newTopic(karim, 'ent', { title: 'Discussion à modérer', body: 'Sujet correct.' });
    await replyTo(pauline, topicId, 'Message déplacé à signaler.');
    const postId = await lastPostId(topicId);
    // The topic page links to a page of its own for the flag; the author cannot flag their own post.
    expect((await karim.get(`/forums/t/${topicId}`)).text).to.contain(`href="/forums/p/${postId}/signaler"`);
    const form = await karim.get(`/forums/p/${postId}/signaler`).expect(200);
    expect(form.text).to.contain('Message déplacé à signaler.');
    expect(form.text).to.contain('Raison du signalement');
    await pauline.get(`/forums/p/${postId}/signaler`).expect(403);
    const empty = await post(karim, `/forums/p/${postId}/signaler`, `/forums/p/${postId}/signaler`, { reason: ' ' });
    expect(empty.status).to.equal(422);
    expect(empty.text).to.contain('Indiquez la raison du signalement');
    const long = await post(karim, `/forums/p/${postId}/signaler`, `/forums/p/${postId}/signaler`, { reason: `${'trop long\nvraiment '.repeat(200)}fin du texte` });
    expect(long.status).to.equal(413);
    // What was typed comes back in the form, whole and with its line breaks.
    expect(long.text).to.contain('trop long\nvraiment trop long').and.to.contain('vraiment fin du texte');
    await post(karim, `/forums/t/${topicId}`, `/forums/p/${postId}/signaler`, { reason: 'Propos hors sujet' }).then((r) => expect(r.status).to.equal(303));
    // Once flagged, the page says so up front, with the date, and offers no second form.
    const again = await karim.get(`/forums/p/${postId}/signaler`).expect(200);
    expect(again.text).to.contain('<h1>Message déjà signalé</h1>');
    expect(again.text).to.contain('Vous avez déjà signalé ce message : les modérateurs vont l&#39;examiner.');
    expect(again.text).to.match(/Votre signalement du \d{1,2} \S+ \d{4} à \d{2}:\d{2} : « Propos hors sujet »/);
    expect(again.text).not.to.contain('name="reason"');
    // A second tab still holding the form: the same page, with a clear message, not the error page.
    const twice = await post(karim, `/forums/t/${topicId}`, `/forums/p/${postId}/signaler`, { reason: 'Encore' });
    expect(twice.status).to.equal(409);
    expect(twice.text).to.contain('Vous avez déjà signalé ce message : les modérateurs vont l&#39;examiner, inutile de le signaler de nouveau.');
    expect(twice.text).to.contain('« Propos hors sujet »');
    expect(twice.text).not.to.contain('Erreur 409');
    expect(await db().selectFrom('forum_flags').select('id').where('post_id', '=', postId).execute()).to.have.length(1);

    await karim.get('/forums/moderation').expect(403);
    await post(karim, `/forums/t/${topicId}`, `/forums/p/${postId}/masquer`, {}).then((r) => expect(r.status).to.equal(403));
    const queue = await claire.get('/forums/moderation').expect(200);
    expect(queue.text).to.contain('« Propos hors sujet »');
    expect(queue.text).to.contain('Message déplacé à signaler.');
    // Karim follows his topic: he was told of the reply, and the notice quotes it.
    const karimId = (await db().selectFrom('users').select('id').where('email', 'like', 'karim.benali@%').executeTakeFirstOrThrow()).id;
    const toKarim = () => db().selectFrom('notifications').select('body').where('user_id', '=', karimId).where('url', '=', `/forums/p/${postId}`).execute();
    expect((await toKarim()).map((n) => n.body)).to.deep.equal(['Message déplacé à signaler.']);
    await post(claire, '/forums/moderation', `/forums/p/${postId}/masquer`, {}).then((r) => expect(r.status).to.equal(303));
    // Hidden, it no longer reads in anyone's notifications; its author is told why.
    expect(await toKarim()).to.deep.equal([]);
    const paulineId = (await db().selectFrom('users').select('id').where('email', 'like', 'pauline.girard@%').executeTakeFirstOrThrow()).id;
    const toPauline = () => db().selectFrom('notifications').select(['kind', 'title', 'body']).where('user_id', '=', paulineId).where('url', '=', `/forums/p/${postId}`).orderBy('id').execute();
    const told = await toPauline();
    expect(told.map((n) => [n.kind, n.title])).to.deep.equal([['forums:moderated', 'Votre message dans « Discussion à modérer » a été masqué par la modération']]);
    expect(told[0]!.body).to.contain('Motif des signalements : « Propos hors sujet ».');
    // The author still reads the hidden post where it stands, and may mend it; others see only that it is hidden.
    const own = (await pauline.get(`/forums/t/${topicId}`).expect(200)).text;
    expect(own).to.contain('Message déplacé à signaler.');
    expect(own).to.contain('Masqué par la modération : vous seul et les modérateurs le voyez. Vous pouvez le modifier.');
    expect(own).to.contain(`href="/forums/p/${postId}/modifier"`);
    const seen = await karim.get(`/forums/t/${topicId}`).expect(200);
    expect(seen.text).not.to.contain('Message déplacé à signaler.');
    expect(seen.text).to.contain('Message masqué par la modération.');
    expect((await claire.get(`/forums/t/${topicId}`)).text).to.contain('Message déplacé à signaler.');
    expect((await claire.get('/forums/moderation')).text).not.to.contain('« Propos hors sujet »');
    const entries = await audit('forums.post.hide');
    expect(entries.map((e) => e.target_id)).to.include(String(postId));
    await post(claire, `/forums/t/${topicId}`, `/forums/p/${postId}/publier`, {}).then((r) => expect(r.status).to.equal(303));
    expect((await karim.get(`/forums/t/${topicId}`)).text).to.contain('Message déplacé à signaler.');
    expect(await audit('forums.post.unhide')).to.have.length(1);
    expect((await toPauline()).map((n) => n.title)).to.include('Votre message dans « Discussion à modérer » est de nouveau visible');
  });

  it("tells the moderators of the post's category of a flag, once each, linking to the queue", async () => {
    const notes = (userId: number, topicTitle: string) =>
      db().selectFrom('notifications').select(['kind', 'title', 'url']).where('user_id', '=', userId).where('kind', '=', 'forums:flag').where('title', 'like', `%${topicTitle}%`).execute();
    const idOf = async (key: string) => (await t.maillon.core.users.byIdentity('demo', key))!.id;
    const academyWide = await buildUser(t.maillon.core, { givenName: 'Anne', familyName: 'Académie', roles: ['dane'], uai: null });
    const vienne = await newTopic(karim, 'departement-86', { title: 'Sortie au Futuroscope', body: 'Qui organise ?' });
    await replyTo(pauline, vienne, 'Publicité pour mon entreprise.');
    const postId = await lastPostId(vienne);
    await post(karim, `/forums/t/${vienne}`, `/forums/p/${postId}/signaler`, { reason: 'Publicité' }).then((r) => expect(r.status).to.equal(303));
    const flag = await db().selectFrom('forum_flags').select('id').where('post_id', '=', postId).executeTakeFirstOrThrow();

    // Claire (Vienne), the admin and the académie-wide DANE member hear of it; Marc (Charente-Maritime), the reporter and the author do not.
    for (const id of [await idOf('dane'), await idOf('admin'), academyWide.id]) {
      expect(await notes(id, 'Sortie au Futuroscope'), String(id)).to.deep.equal([
        { kind: 'forums:flag', title: 'Karim Benali a signalé un message dans « Sortie au Futuroscope »', url: `/forums/moderation#flag-${flag.id}` },
      ]);
    }
    for (const key of ['coordo-17', 'rupn', 'nouvelle-rupn']) expect(await notes(await idOf(key), 'Sortie au Futuroscope'), key).to.have.length(0);
    const bell = await claire.get('/notifications').expect(200);
    expect(bell.text).to.contain('Karim Benali a signalé un message dans « Sortie au Futuroscope »');
    expect(bell.text).to.contain('Raison du signalement : Publicité');
    const id = Number(/href="\/notifications\/(\d+)"/.exec(bell.text)![1]);
    expect((await claire.get(`/notifications/${id}`).expect(303)).headers.location).to.equal(`/forums/moderation#flag-${flag.id}`);
    expect((await claire.get('/forums/moderation')).text).to.contain(`id="flag-${flag.id}"`);

    // A moderator who flags is not told of her own flag; the other moderators of an académie-wide theme are, Marc included.
    const theme = await newTopic(pauline, 'pix', { title: 'Campagne Pix détournée', body: 'Inscrivez-vous sur mon site.' });
    await post(claire, `/forums/t/${theme}`, `/forums/p/${await lastPostId(theme)}/signaler`, { reason: 'Lien douteux' }).then((r) => expect(r.status).to.equal(303));
    expect(await notes(await idOf('dane'), 'Campagne Pix détournée')).to.have.length(0);
    for (const id of [await idOf('coordo-17'), await idOf('admin'), academyWide.id]) expect(await notes(id, 'Campagne Pix détournée'), String(id)).to.have.length(1);
    expect((await claire.get('/notifications/preferences')).text).to.contain('Forums : messages signalés dans les catégories que je modère');

    // Settled, a flag's notices go: hidden by one moderator, or dismissed, nobody is sent to an empty queue.
    await post(claire, '/forums/moderation', `/forums/p/${postId}/masquer`, {}).then((r) => expect(r.status).to.equal(303));
    for (const id of [await idOf('dane'), await idOf('admin'), academyWide.id]) expect(await notes(id, 'Sortie au Futuroscope'), String(id)).to.have.length(0);
    const pixFlag = await db().selectFrom('forum_flags').select('id').where('reason', '=', 'Lien douteux').executeTakeFirstOrThrow();
    const queue = await t.loginAs('coordo-17');
    await post(queue, '/forums/moderation', `/forums/signalements/${pixFlag.id}/classer`, {}).then((r) => expect(r.status).to.equal(303));
    for (const id of [await idOf('coordo-17'), await idOf('admin'), academyWide.id]) expect(await notes(id, 'Campagne Pix détournée'), String(id)).to.have.length(0);
  });

  it("shows each flagged post's author and category in the queue, and brings « Masquer » back to it", async () => {
    const topicId = await newTopic(karim, 'rgpd', { title: 'Registre des traitements', body: 'Où trouver le modèle ?' });
    await replyTo(pauline, topicId, 'Voici le numéro de la principale : 06 11 22 33 44.');
    const postId = await lastPostId(topicId);
    await post(karim, `/forums/t/${topicId}`, `/forums/p/${postId}/signaler`, { reason: 'Données personnelles' }).then((r) => expect(r.status).to.equal(303));
    const queue = await claire.get('/forums/moderation').expect(200);
    const card = queue.text.slice(queue.text.lastIndexOf('<article', queue.text.indexOf('« Données personnelles »')), queue.text.indexOf('</article>', queue.text.indexOf('« Données personnelles »')));
    expect(card).to.contain(`<a href="/forums/p/${postId}">Registre des traitements</a>`);
    expect(card).to.contain('Message de Pauline Girard dans la catégorie <a href="/forums/c/rgpd">RGPD</a>');
    expect(card).to.contain('name="back" value="queue"');

    const hidden = await claire.post(`/forums/p/${postId}/masquer`).type('form').send({ _csrf: tokenOf(queue.text), back: 'queue' });
    expect(hidden.status).to.equal(303);
    expect(hidden.headers.location).to.equal('/forums/moderation');
    const back = await claire.get('/forums/moderation').expect(200);
    expect(back.text).to.contain('Le message est masqué.');
    expect(back.text).not.to.contain('« Données personnelles »');
    expect((await audit('forums.post.hide')).map((e) => e.target_id)).to.include(String(postId));
    // Anything else than « queue » leads to the post, never to an address taken from the form.
    const other = await newTopic(karim, 'rgpd', { title: 'Information des familles', body: 'Un modèle de courrier ?' });
    const otherPost = await lastPostId(other);
    const elsewhere = await post(claire, `/forums/t/${other}`, `/forums/p/${otherPost}/masquer`, { back: 'https://exemple.invalid/' });
    expect(elsewhere.headers.location).to.equal(`/forums/p/${otherPost}`);
  });

  it("counts on the forums' index the flags each moderator can act on", async () => {
    const marc = await t.loginAs('coordo-17');
    const count = async (client: supertest.Agent) => {
      const html = (await client.get('/forums').expect(200)).text;
      const found = /<a href="\/forums\/moderation">File de modération(?: \((\d+)<span class="visually-hidden"> éléments? à traiter<\/span>\))?<\/a>/.exec(html);
      return found ? Number(found[1] ?? 0) : null;
    };
    const [claireBefore, marcBefore] = [await count(claire), await count(marc)];
    expect(await count(karim)).to.equal(null);
    const topicId = await newTopic(karim, 'departement-86', { title: 'Bassin de Loudun', body: 'Réunion jeudi.' });
    await replyTo(pauline, topicId, 'Hors sujet complet.');
    const postId = await lastPostId(topicId);
    await post(karim, `/forums/t/${topicId}`, `/forums/p/${postId}/signaler`, { reason: 'Hors sujet' }).then((r) => expect(r.status).to.equal(303));
    // Claire moderates the Vienne, Marc does not.
    expect(await count(claire)).to.equal(claireBefore! + 1);
    expect(await count(marc)).to.equal(marcBefore);
    const open = await db().selectFrom('forum_flags').select('id').where('resolved_at', 'is', null).execute();
    expect(claireBefore! + 1).to.equal(open.length);
    await post(claire, '/forums/moderation', `/forums/p/${postId}/masquer`, { back: 'queue' });
    expect(await count(claire)).to.equal(claireBefore);
  });

  it('a moderator edits someone\'s post (audited, history kept), locks, pins and moves a topic', async () => {
    const topicId = await newTopic(karim, 'tablettes', { title: 'Sujet mal rangé', body: 'Mon numéro perso : 06 00 00 00 00' });
    const postId = await lastPostId(topicId);
    const form = await claire.get(`/forums/p/${postId}/modifier`).expect(200);
    await claire.post(`/forums/p/${postId}/modifier`).type('form').send({ _csrf: tokenOf(form.text), version: '1', title: 'Sujet mal rangé', body: 'Numéro retiré par la modération.' }).expect(303);
    expect(await audit('forums.post.edit')).to.have.length(1);
    expect((await karim.get(`/forums/p/${postId}/historique`)).text).to.contain('06 00 00 00 00');

    await post(claire, `/forums/t/${topicId}`, `/forums/t/${topicId}/verrouiller`, {}).then((r) => expect(r.status).to.equal(303));
    const locked = await pauline.get(`/forums/t/${topicId}`).expect(200);
    expect(locked.text).to.contain('Cette discussion est verrouillée');
    const refused = await pauline.post(`/forums/t/${topicId}/reponses`).type('form').send({ _csrf: tokenOf(locked.text), body: 'Je réponds quand même' });
    expect(refused.status).to.equal(409);
    expect(refused.text).to.contain('Je réponds quand même');

    await newTopic(karim, 'tablettes', { title: 'Un sujet plus récent', body: 'Récent.' });
    await post(claire, `/forums/t/${topicId}`, `/forums/t/${topicId}/epingler`, {}).then((r) => expect(r.status).to.equal(303));
    const list = await karim.get('/forums/c/tablettes').expect(200);
    expect(list.text.indexOf('Sujet mal rangé')).to.be.lessThan(list.text.indexOf('Un sujet plus récent'));
    expect(list.text).to.contain('Épinglée');

    const pix = await db().selectFrom('forum_categories').select('id').where('slug', '=', 'pix').executeTakeFirstOrThrow();
    await post(claire, `/forums/t/${topicId}`, `/forums/t/${topicId}/deplacer`, { category: String(pix.id) }).then((r) => expect(r.status).to.equal(303));
    expect((await karim.get('/forums/c/pix')).text).to.contain('Sujet mal rangé');
    expect((await karim.get('/forums/c/tablettes')).text).not.to.contain('Sujet mal rangé');
    for (const action of ['forums.topic.lock', 'forums.topic.pin', 'forums.topic.move']) expect(await audit(action), action).to.have.length(1);
    await post(karim, `/forums/t/${topicId}`, `/forums/t/${topicId}/verrouiller`, {}).then((r) => expect(r.status).to.equal(403));
  });

  it('splits a topic from a post onward into a new topic', async () => {
    const topicId = await newTopic(karim, 'gar', { title: 'Question sur le GAR', body: 'Premier.' });
    await replyTo(pauline, topicId, 'Réponse utile.');
    await replyTo(pauline, topicId, 'Au fait, autre sujet : les manuels numériques.');
    const splitFrom = await lastPostId(topicId);
    await replyTo(karim, topicId, 'Oui, parlons des manuels.');
    const res = await post(claire, `/forums/t/${topicId}`, `/forums/p/${splitFrom}/scinder`, { title: 'Les manuels numériques' });
    expect(res.status).to.equal(303);
    const newId = Number(/\/forums\/t\/(\d+)/.exec(res.headers.location!)![1]);
    const moved = await karim.get(`/forums/t/${newId}`).expect(200);
    expect(moved.text).to.contain('<h1>Les manuels numériques</h1>');
    expect(moved.text).to.contain('autre sujet : les manuels');
    expect(moved.text).to.contain('Oui, parlons des manuels.');
    const old = await karim.get(`/forums/t/${topicId}`).expect(200);
    expect(old.text).to.contain('Réponse utile.');
    expect(old.text).not.to.contain('parlons des manuels');
    const counts = await db().selectFrom('forum_topics').select(['id', 'post_count']).where('id', 'in', [topicId, newId]).orderBy('id').execute();
    expect(counts.map((c) => c.post_count)).to.deep.equal([2, 2]);
    expect(await audit('forums.topic.split')).to.have.length(1);
  });
  it("limits a département's coordinator to her département's category and the académie-wide ones", async () => {
    const marc = await t.loginAs('coordo-17');
    const admin = await t.loginAs('admin');
    const vienne = await newTopic(karim, 'departement-86', { title: 'Réunion de bassin à Poitiers', body: 'Qui vient ?' });
    await replyTo(pauline, vienne, 'Message à signaler en Vienne.');
    const viennePost = await lastPostId(vienne);
    await post(karim, `/forums/t/${vienne}`, `/forums/p/${viennePost}/signaler`, { reason: 'Hors sujet en Vienne' }).then((r) => expect(r.status).to.equal(303));

    // Claire coordinates the Vienne: the flag is hers; Marc (Charente-Maritime) sees neither it nor the tools.
    expect((await claire.get('/forums/moderation')).text).to.contain('Hors sujet en Vienne');
    expect((await marc.get('/forums/moderation').expect(200)).text).not.to.contain('Hors sujet en Vienne');
    expect((await marc.get(`/forums/t/${vienne}`).expect(200)).text).not.to.contain(`/forums/t/${vienne}/verrouiller`);
    const refused = await post(marc, `/forums/t/${vienne}`, `/forums/p/${viennePost}/masquer`, {});
    expect(refused.status).to.equal(403);
    expect(refused.text).to.contain('modérée par la DANE de son département');
    expect((await post(marc, `/forums/t/${vienne}`, `/forums/t/${vienne}/verrouiller`, {})).status).to.equal(403);
    expect((await db().selectFrom('forum_posts').select('state').where('id', '=', viennePost).executeTakeFirstOrThrow()).state).to.equal('visible');

    // Marc moderates his own département and the themes; he cannot move a topic into the Vienne.
    const charente = await newTopic(karim, 'departement-17', { title: 'Tablettes à Saintes', body: 'Retour des collèges.' });
    expect((await post(marc, `/forums/t/${charente}`, `/forums/t/${charente}/verrouiller`, {})).status).to.equal(303);
    const theme = await newTopic(karim, 'ent', { title: 'Question ENT à ranger', body: 'Où la poser ?' });
    const vienneCategory = await db().selectFrom('forum_categories').select('id').where('slug', '=', 'departement-86').executeTakeFirstOrThrow();
    expect((await post(marc, `/forums/t/${theme}`, `/forums/t/${theme}/deplacer`, { category: String(vienneCategory.id) })).status).to.equal(403);
    expect((await post(marc, `/forums/t/${theme}`, `/forums/t/${theme}/epingler`, {})).status).to.equal(303);

    // The admin moderates everywhere.
    expect((await post(admin, `/forums/t/${vienne}`, `/forums/p/${viennePost}/masquer`, {})).status).to.equal(303);
    expect((await db().selectFrom('forum_posts').select('state').where('id', '=', viennePost).executeTakeFirstOrThrow()).state).to.equal('hidden');
  });
});

describe('forums: first-post approval and posting rate limit', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ pluginDirs: FORUMS, env: { JOBS_RUNNER: 'false', PLUGIN_FORUMS_POSTS_PER_MINUTE: '3', PLUGIN_FORUMS_APPROVE_FIRST_POSTS: 'true' } });
  });
  after(() => t.close());

  it('holds the first post of a new account for approval, then publishes the next ones directly', async () => {
    const newcomer = await buildUser(t.maillon.core, { givenName: 'Yanis', familyName: 'Nouveau' });
    const client = await t.loginAs(newcomer.key);
    const topicId = await newTopic(client, 'ent', { title: 'Ma toute première question', body: 'Bonjour à toutes et tous !' });
    const other = await t.loginAs('rupn');
    // Until approved, the topic is out of sight for others: neither listed nor readable.
    await other.get(`/forums/t/${topicId}`).expect(404);
    expect((await other.get('/forums/c/ent')).text).not.to.contain('Ma toute première question');
    expect((await other.get('/forums/non-lus')).text).not.to.contain('Ma toute première question');
    expect((await client.get('/forums/c/ent')).text).to.contain('Ma toute première question');
    expect((await client.get(`/forums/t/${topicId}`)).text).to.contain('En attente de validation par un modérateur.');
    const dane = await t.loginAs('dane');
    expect((await dane.get('/forums')).text).to.contain('File de modération (1<span class="visually-hidden"> élément à traiter</span>)');
    const queue = await dane.get('/forums/moderation').expect(200);
    expect(queue.text).to.contain('Bonjour à toutes et tous');
    expect(queue.text).to.contain('Message de Yanis Nouveau dans la catégorie <a href="/forums/c/ent">ENT</a>');
    const postId = Number(/action="\/forums\/p\/(\d+)\/publier"/.exec(queue.text)![1]);
    await dane.post(`/forums/p/${postId}/publier`).type('form').send({ _csrf: tokenOf(queue.text), back: 'queue' }).expect(303);
    expect((await other.get(`/forums/t/${topicId}`)).text).to.contain('Bonjour à toutes et tous');
    expect(await t.maillon.core.db.selectFrom('audit_log').select('id').where('action', '=', 'forums.post.approve').execute()).to.have.length(1);
    await replyTo(client, topicId, 'Merci, la suite passe sans attendre.');
    expect((await other.get(`/forums/t/${topicId}`)).text).to.contain('la suite passe sans attendre');
  });

  it('refuses posting faster than the limit with a French 429, keeping the text', async () => {
    const writer = await t.loginAs('rupn-niort');
    // Approval first, so that the limit is what answers.
    const dane = await t.loginAs('dane');
    const topicId = await newTopic(dane, 'pix', { title: 'Fil rapide', body: 'Ouvert par la DANE.' });
    const user = await t.maillon.core.users.byIdentity('demo', 'rupn-niort');
    await t.maillon.core.db.insertInto('forum_posts').values({ topic_id: topicId, author_id: user!.id, body: 'déjà publié', created_at: new Date(Date.now() - 3_600_000) }).execute();
    for (let i = 1; i <= 3; i++) expect((await replyTo(writer, topicId, `Message ${i}`)).status).to.equal(303);
    const res = await replyTo(writer, topicId, 'Quatrième message trop rapide');
    expect(res.status).to.equal(429);
    expect(res.headers['retry-after']).to.equal('60');
    expect(res.text).to.contain('Vous publiez trop vite : 3 messages par minute au plus.');
    expect(res.text).to.contain('Quatrième message trop rapide');
    // Moderators are not limited.
    for (let i = 1; i <= 4; i++) expect((await replyTo(dane, topicId, `Modération ${i}`)).status).to.equal(303);
  });

});
