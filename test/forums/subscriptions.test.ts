import { expect } from 'chai';
import type supertest from 'supertest';
import type { ParsedMail } from 'mailparser';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { buildUser } from '../support/factories.js';
import { startSmtpSink, type SmtpSink } from '../support/smtpSink.js';
import { DIGEST_JOB } from '../../server/notifications/notifier.js';
import { FORUMS, newTopic, post, replyTo } from './helpers.js';

const recipient = (m: ParsedMail) => (m.to && 'text' in m.to ? m.to.text : '');

describe('forums: mentions, watches, e-mail, archive and feeds', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let karim: supertest.Agent;
  before(async () => {
    sink = await startSmtpSink();
    t = await startTestApp({ pluginDirs: FORUMS, env: { JOBS_RUNNER: 'false', SMTP_URL: sink.url, MAIL_RATE_PER_SECOND: '0', PLUGIN_FORUMS_POSTS_PER_MINUTE: '1000' } });
    karim = await t.loginAs('rupn');
  });
  after(async () => {
    await t?.close();
    await sink?.close();
  });
  const mailsTo = (email: string) => sink.messages.filter((m) => recipient(m) === email);
  const notificationsOf = (userId: number) => t.maillon.core.db.selectFrom('notifications').select(['kind', 'title', 'url']).where('user_id', '=', userId).orderBy('id').execute();

  it('notifies a mentioned person in the app and by e-mail at once, with an unsubscribe link', async () => {
    const ines = await buildUser(t.maillon.core, { email: 'ines.mention@ac-test.example', givenName: 'Inès' });
    const topicId = await newTopic(karim, 'ent', { title: 'Qui connaît la console ENT ?', body: 'Je pense que @ines.mention saura répondre. Et `@pas.une.mention` dans du code non.' });
    // The post sets the mention apart, not the handle in code.
    const page = (await karim.get(`/forums/t/${topicId}`).expect(200)).text;
    expect(page).to.contain('Je pense que <span class="mention">@ines.mention</span> saura répondre.');
    expect(page).to.contain('<code>@pas.une.mention</code>');
    const notes = await notificationsOf(ines.id);
    expect(notes).to.have.length(1);
    expect(notes[0]!.kind).to.equal('forums:mention');
    expect(notes[0]!.title).to.equal('Karim Benali vous a mentionné dans « Qui connaît la console ENT ? »');
    expect(notes[0]!.url).to.match(/^\/forums\/p\/\d+$/);
    await t.maillon.core.jobs.drain();
    const [mail] = mailsTo('ines.mention@ac-test.example');
    expect(mail!.subject).to.contain('vous a mentionné');
    expect(mail!.text).to.contain('saura répondre');
    expect(mail!.text).to.match(/Se désabonner : \S+/);
    const client = await t.loginAs(ines.key);
    const open = await client.get(notes[0]!.url!).expect(303);
    expect(open.headers.location).to.match(new RegExp(`^/forums/t/${topicId}#p-\\d+$`));
  });

  it('notifies the people an edit newly mentions, and nobody twice', async () => {
    const noe = await buildUser(t.maillon.core, { email: 'noe.edit@ac-test.example', givenName: 'Noé' });
    const zoe = await buildUser(t.maillon.core, { email: 'zoe.edit@ac-test.example', givenName: 'Zoé' });
    const topicId = await newTopic(karim, 'ent', { title: 'Comptes parents', body: 'Question pour @noe.edit.' });
    const postId = Number(/id="p-(\d+)"/.exec((await karim.get(`/forums/t/${topicId}`)).text)![1]);
    expect(await notificationsOf(noe.id)).to.have.length(1);
    const edit = (version: string, body: string) => post(karim, `/forums/p/${postId}/modifier`, `/forums/p/${postId}/modifier`, { version, title: 'Comptes parents', body });
    expect((await edit('1', 'Question pour @noe.edit et @zoe.edit.')).status).to.equal(303);
    expect(await notificationsOf(noe.id)).to.have.length(1);
    const toZoe = await notificationsOf(zoe.id);
    expect(toZoe.map((n) => n.title)).to.deep.equal(['Karim Benali vous a mentionné dans « Comptes parents »']);
    expect(toZoe[0]!.url).to.equal(`/forums/p/${postId}`);
    // Editing again with the same mentions tells nobody anything new.
    expect((await edit('2', 'Question pour @noe.edit et @zoe.edit, merci !')).status).to.equal(303);
    expect(await notificationsOf(zoe.id)).to.have.length(1);
  });

  it("does not call again the people a quoted post mentioned", async () => {
    const pauline = await t.loginAs('nouvelle-rupn');
    const lea = await buildUser(t.maillon.core, { email: 'lea.citee@ac-test.example', givenName: 'Léa' });
    const topicId = await newTopic(karim, 'ent', { title: 'Qui gère les comptes ?', body: 'Peut-être @lea.citee ?' });
    expect(await notificationsOf(lea.id)).to.have.length(1);
    const postId = Number(/id="p-(\d+)"/.exec((await karim.get(`/forums/t/${topicId}`)).text)![1]);
    const quote = (await pauline.get(`/forums/p/${postId}/citation`).set('Accept', 'application/json').expect(200)).body.markdown as string;
    expect(quote).to.contain('> Peut-être @lea.citee ?');
    expect((await replyTo(pauline, topicId, `${quote}Je confirme, c'est elle.`)).status).to.equal(303);
    expect(await notificationsOf(lea.id)).to.have.length(1);
    // A mention outside the quote still counts.
    expect((await replyTo(pauline, topicId, `${quote}Je demande à @lea.citee directement.`)).status).to.equal(303);
    expect(await notificationsOf(lea.id)).to.have.length(2);
  });

  it("takes back the notifications of a post its author deletes, and theirs only", async () => {
    const max = await buildUser(t.maillon.core, { email: 'max.retire@ac-test.example', givenName: 'Max' });
    const topicId = await newTopic(karim, 'ent', { title: 'Message regretté', body: 'Premier message, pour @max.retire.' });
    const kept = Number(/id="p-(\d+)"/.exec((await karim.get(`/forums/t/${topicId}`)).text)![1]);
    expect((await replyTo(karim, topicId, 'Un mot de trop pour @max.retire.')).status).to.equal(303);
    const regretted = (await t.maillon.core.db.selectFrom('forum_posts').select('id').where('topic_id', '=', topicId).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow()).id;
    expect((await notificationsOf(max.id)).map((n) => n.url)).to.deep.equal([`/forums/p/${kept}`, `/forums/p/${regretted}`]);
    const maxClient = await t.loginAs(max.key);
    expect((await maxClient.get('/notifications')).text).to.contain('Un mot de trop');
    expect((await post(karim, `/forums/t/${topicId}`, `/forums/p/${regretted}/supprimer`, {})).status).to.equal(303);
    expect((await notificationsOf(max.id)).map((n) => n.url)).to.deep.equal([`/forums/p/${kept}`]);
    expect((await maxClient.get('/notifications')).text).not.to.contain('Un mot de trop');
  });

  it('suggests people to mention by handle or name, with role and département, active accounts only', async () => {
    await buildUser(t.maillon.core, { email: 'ines.suggestion@ac-test.example', givenName: 'Inès', familyName: 'Suggestion' });
    const gone = await buildUser(t.maillon.core, { email: 'ines.partie@ac-test.example', givenName: 'Inès', familyName: 'Partie' });
    await t.maillon.core.db.updateTable('users').set({ status: 'suspended' }).where('id', '=', gone.id).execute();
    const byHandle = await karim.get('/forums/mentions?q=ines.sug').set('Accept', 'application/json').expect(200);
    expect(byHandle.body.people).to.deep.equal([{ handle: 'ines.suggestion', name: 'Inès Suggestion', role: byHandle.body.people[0].role, department: byHandle.body.people[0].department }]);
    const byName = (await karim.get('/forums/mentions?q=%40In%C3%A8').expect(200)).body.people.map((p: { handle: string }) => p.handle);
    expect(byName).to.include('ines.suggestion');
    expect(byName).not.to.include('ines.partie');
    const karimSelf = (await karim.get('/forums/mentions?q=karim').expect(200)).body.people[0];
    expect(karimSelf).to.include({ name: 'Karim Benali', role: 'Référent numérique (RUPN)' });
    expect((await karim.get('/forums/mentions?q=%25').expect(200)).body.people).to.deep.equal([]);
    expect((await karim.get('/forums/mentions').expect(200)).body.people).to.deep.equal([]);
    await t.agent().get('/forums/mentions?q=ines').expect((res) => expect(res.status).to.be.oneOf([302, 303, 401, 403]));
  });

  it('refuses a mention flood with a clear message and keeps the text; never notifies who may not read', async () => {
    const handles = Array.from({ length: 11 }, (_, i) => `@personne${i}`).join(' ');
    const res = await post(karim, '/forums/c/ent/nouveau', '/forums/c/ent/nouveau', { title: 'Appel à tous', body: `Bonjour ${handles}` });
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('Trop de mentions : 11 personnes citées avec @ pour 10 au plus par message.');
    expect(res.text).to.contain('@personne10');
    // A RUPN mentioned in the DANE's private category hears nothing of it.
    const dane = await t.loginAs('dane');
    const pauline = await t.maillon.core.users.byIdentity('demo', 'nouvelle-rupn');
    await newTopic(dane, 'equipe-dane', { title: 'Suivi des nouveaux RUPN', body: 'Faut-il relancer @pauline.girard ?' });
    expect((await notificationsOf(pauline!.id)).filter((n) => n.title.includes('Suivi des nouveaux RUPN'))).to.have.length(0);
  });

  it('watching a category notifies of new topics and replies; muting a topic silences it; digest by default', async () => {
    const lea = await buildUser(t.maillon.core, { email: 'lea.watch@ac-test.example', givenName: 'Léa' });
    const client = await t.loginAs(lea.key);
    const watch = await post(client, '/forums/c/pix', '/forums/c/pix/suivi', { level: 'watch' });
    expect(watch.status).to.equal(303);
    expect((await client.get('/forums/c/pix')).text).to.match(/<option value="watch" selected>/);
    const topicId = await newTopic(karim, 'pix', { title: 'Certification Pix en 3e', body: 'Le calendrier est sorti.' });
    await replyTo(karim, topicId, 'Les convocations partent lundi.');
    let notes = await notificationsOf(lea.id);
    expect(notes.map((n) => n.title)).to.deep.equal([
      'Nouvelle discussion dans Pix : « Certification Pix en 3e »',
      'Karim Benali a répondu dans « Certification Pix en 3e »',
    ]);
    await post(client, `/forums/t/${topicId}`, `/forums/t/${topicId}/suivi`, { level: 'mute' });
    await replyTo(karim, topicId, 'Encore un message.');
    notes = await notificationsOf(lea.id);
    expect(notes).to.have.length(2);
    // Watched posts come in the daily digest unless the person chose « at once ».
    await t.maillon.core.jobs.drain();
    expect(mailsTo('lea.watch@ac-test.example')).to.have.length(0);
    await t.maillon.core.jobs.enqueue(DIGEST_JOB, {});
    await t.maillon.core.jobs.drain();
    const digests = mailsTo('lea.watch@ac-test.example');
    expect(digests).to.have.length(1);
    expect(digests[0]!.text).to.contain('Certification Pix en 3e');
    expect(digests[0]!.text).to.match(/Se désabonner : \S+/);
  });

  it('sends watched posts at once to who chose it: the category as a mailing list', async () => {
    const marc = await buildUser(t.maillon.core, { email: 'marc.liste@ac-test.example', givenName: 'Marc' });
    await t.maillon.core.db.insertInto('notification_preferences').values({ user_id: marc.id, kind: 'forums:watched', email: 'immediate' }).execute();
    const client = await t.loginAs(marc.key);
    await post(client, '/forums/c/gar', '/forums/c/gar/suivi', { level: 'watch' });
    await newTopic(karim, 'gar', { title: 'Ressource absente du médiacentre', body: 'La ressource **achetée** n\'apparaît pas.' });
    await t.maillon.core.jobs.drain();
    const [mail] = mailsTo('marc.liste@ac-test.example');
    expect(mail!.subject).to.equal('Nouvelle discussion dans GAR : « Ressource absente du médiacentre »');
    expect(mail!.html).to.contain('<strong>achetée</strong>');
  });

  it('shows a category\'s archive chronologically, and an Atom feed for public categories only', async () => {
    const first = await newTopic(karim, 'tablettes', { title: 'Premier sujet tablettes', body: 'Message A <script>alert(1)</script>' });
    await newTopic(karim, 'tablettes', { title: 'Second sujet tablettes', body: 'Message B' });
    await replyTo(karim, first, 'Message C, voir [la discussion](/forums/c/tablettes) et ![Le chariot](/files/abc/chariot.png)');
    const archive = await karim.get('/forums/c/tablettes/archive').expect(200);
    const a = archive.text.indexOf('Message A');
    const b = archive.text.indexOf('Message B');
    const c = archive.text.indexOf('Message C');
    expect(a).to.be.greaterThan(0);
    expect(a).to.be.lessThan(b);
    expect(b).to.be.lessThan(c);
    const feed = await t.agent().get('/forums/c/tablettes/flux.atom').expect(200);
    expect(feed.headers['content-type']).to.contain('application/atom+xml');
    expect(feed.text).to.contain('<feed xmlns="http://www.w3.org/2005/Atom"');
    expect(feed.text).to.contain('<title>Second sujet tablettes</title>');
    // A reply says whose it is; links work from a feed reader, and images that need a session are links.
    expect(feed.text).to.contain('<title>Réponse de Karim Benali : Premier sujet tablettes</title>');
    expect(feed.text).to.match(/&#60;a href=&#34;http:\/\/[^&]+\/forums\/c\/tablettes&#34;&#62;la discussion/);
    expect(feed.text).to.match(/&#60;a href=&#34;http:\/\/[^&]+\/files\/abc\/chariot\.png&#34;&#62;Image : Le chariot/);
    expect(feed.text).not.to.contain('&#60;img');
    expect(feed.text).not.to.contain('<script');
    expect(feed.text).not.to.contain('&#60;script');
    await t.agent().get('/forums/c/equipe-dane/flux.atom').expect(404);
    await t.agent().get('/forums/c/inconnue/flux.atom').expect(404);
  });
});
