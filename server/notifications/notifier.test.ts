import path from 'node:path';
import { expect } from 'chai';
import supertest from 'supertest';
import type { ParsedMail } from 'mailparser';
import { FIXTURES, csrfFrom, startTestApp, type TestApp } from '../../test/support/testApp.js';
import { buildUser } from '../../test/support/factories.js';
import { startSmtpSink, type SmtpSink } from '../../test/support/smtpSink.js';
import { DIGEST_JOB } from './notifier.js';

const SHOWCASE = path.join(FIXTURES, 'plugins', 'showcase');
const recipient = (m: ParsedMail) => (m.to && 'text' in m.to ? m.to.text : '');

describe('notifications', () => {
  let t: TestApp;
  let sink: SmtpSink;
  before(async () => {
    sink = await startSmtpSink();
    t = await startTestApp({ pluginDirs: [SHOWCASE], env: { JOBS_RUNNER: 'false', SMTP_URL: sink.url, MAIL_RATE_PER_SECOND: '0' } });
  });
  after(async () => {
    await t?.close();
    await sink?.close();
  });

  /** The DANE announces through the showcase plugin, which calls ctx.notifications.notify. */
  async function announce(to: number[], kind: 'showcase:news' | 'showcase:tips', title: string, body = '') {
    const dane = await t.loginAs('dane');
    const page = await dane.get('/').expect(200);
    const res = await dane.post('/showcase/announce').set('X-CSRF-Token', csrfFrom(page.text)).send({ to, kind, title, body }).expect(200);
    return res.body.notified as number;
  }
  const mailsTo = (email: string) => sink.messages.filter((m) => recipient(m) === email);

  it('shows the unread count in the header bell, lists notifications with safe Markdown, and marks them read', async () => {
    const person = await buildUser(t.maillon.core, { givenName: 'Inès' });
    const client = await t.loginAs(person.key);
    expect((await client.get('/').expect(200)).text).not.to.match(/Notifications <span class="badge">/);

    expect(await announce([person.id, person.id], 'showcase:news', 'Webinaire sur Pix jeudi', 'Inscrivez-vous **vite**. <script>alert(1)</script><img src=x onerror=alert(2)>')).to.equal(1);
    await announce([person.id], 'showcase:news', 'Nouvelle fiche RGPD');
    const home = await client.get('/').expect(200);
    expect(home.text).to.match(/href="\/notifications">Notifications <span class="badge">2<span class="visually-hidden"> non lues<\/span><\/span><\/a>/);

    const list = await client.get('/notifications').expect(200);
    expect(list.text).to.contain('2 notifications non lues');
    expect(list.text).to.contain('Webinaire sur Pix jeudi');
    expect(list.text).to.contain('<strong>vite</strong>');
    expect(list.text).not.to.contain('<script>alert(1)');
    expect(list.text).not.to.contain('onerror');
    expect(list.text).to.contain('Annonces de la vitrine');

    const id = /href="\/notifications\/(\d+)">Webinaire/.exec(list.text)![1];
    const open = await client.get(`/notifications/${id}`).expect(303);
    expect(open.headers.location).to.equal('/showcase/notes');
    expect((await client.get('/').expect(200)).text).to.contain('Notifications <span class="badge">1<');

    // Someone else cannot open or mark it.
    const other = await t.loginAs('rupn');
    await other.get(`/notifications/${id}`).expect(404);
    await other.post(`/notifications/${id}/read`).type('form').send({ _csrf: csrfFrom((await other.get('/notifications')).text) }).expect(404);

    await client.post('/notifications/read-all').type('form').send({ _csrf: csrfFrom(list.text) }).expect(303);
    const after = await client.get('/notifications').expect(200);
    expect(after.text).to.contain('Tout est lu.');
    expect(after.text).to.contain('Une notification marquée comme lue.');
    expect(after.text).not.to.match(/Notifications <span class="badge">/);
  });

  it('sends an e-mail at once by default for immediate kinds, with an unsubscribe link that turns that e-mail off', async () => {
    const person = await buildUser(t.maillon.core, { email: 'ines.immediate@ac-poitiers.fr' });
    await announce([person.id], 'showcase:news', 'Nouvelle salle tablettes', 'Rejoignez la salle **Tablettes**.');
    await t.maillon.core.jobs.drain();
    const [mail] = mailsTo('ines.immediate@ac-poitiers.fr');
    expect(mail!.subject).to.equal('Nouvelle salle tablettes');
    expect(mail!.html).to.contain('<strong>Tablettes</strong>');
    expect(mail!.html).to.match(/href="http:\/\/localhost:\d+\/showcase\/notes">Voir sur Maillon/);
    expect(mail!.text).to.contain('« Notifications : Annonces de la vitrine »');

    const link = /Se désabonner : (\S+)/.exec(mail!.text!)![1]!;
    await supertest(t.url).post(new URL(link).pathname).type('form').send('List-Unsubscribe=One-Click').expect(200);
    const client = await t.loginAs(person.key);
    const profile = await client.get('/profile').expect(200);
    expect(profile.text).to.contain('Préférences de notification');
    expect(profile.text).to.match(/<strong>Annonces de la vitrine<\/strong> : Jamais/);

    await announce([person.id], 'showcase:news', 'Une autre annonce');
    await t.maillon.core.jobs.drain();
    expect(mailsTo('ines.immediate@ac-poitiers.fr')).to.have.length(1);
    // The in-app notification is still there.
    expect((await client.get('/notifications').expect(200)).text).to.contain('Une autre annonce');
  });

  it('groups « résumé quotidien » notifications into one daily digest per person, sent once', async () => {
    const person = await buildUser(t.maillon.core, { email: 'ines.digest@ac-poitiers.fr' });
    const reader = await buildUser(t.maillon.core, { email: 'ines.lectrice@ac-poitiers.fr' });
    await announce([person.id, reader.id], 'showcase:tips', 'Astuce : partager un lien Pix');
    await announce([person.id, reader.id], 'showcase:tips', 'Astuce : la salle de classe virtuelle');
    await t.maillon.core.jobs.drain();
    expect(mailsTo('ines.digest@ac-poitiers.fr')).to.have.length(0);
    // Read in the app before the digest: nothing left to summarise for this person.
    await t.maillon.core.notifications.markAllRead(reader.id);

    await t.maillon.core.jobs.enqueue(DIGEST_JOB, {}); // what the 07:00 schedule does
    await t.maillon.core.jobs.drain();
    const digests = mailsTo('ines.digest@ac-poitiers.fr');
    expect(digests).to.have.length(1);
    expect(digests[0]!.subject).to.equal('Maillon : 2 notifications depuis hier');
    expect(digests[0]!.text).to.contain('Astuce : partager un lien Pix');
    expect(digests[0]!.text).to.contain('Astuce : la salle de classe virtuelle');
    expect(digests[0]!.text).to.contain('« Résumé quotidien des notifications »');
    expect(mailsTo('ines.lectrice@ac-poitiers.fr')).to.have.length(0);

    await t.maillon.core.jobs.enqueue(DIGEST_JOB, {});
    await t.maillon.core.jobs.drain();
    expect(mailsTo('ines.digest@ac-poitiers.fr')).to.have.length(1);
  });

  it("takes back a plugin's notifications pointing at a page, from the bell and the next digest, and no one else's", async () => {
    const person = await buildUser(t.maillon.core, { email: 'ines.retrait@ac-poitiers.fr' });
    await announce([person.id], 'showcase:tips', 'Astuce bientôt retirée');
    const client = await t.loginAs(person.key);
    expect((await client.get('/notifications')).text).to.contain('Astuce bientôt retirée');
    // Another owner's withdrawal of the same address takes nothing.
    expect(await t.maillon.core.notifications.withdraw('forums', '/showcase/notes')).to.equal(0);
    const dane = await t.loginAs('dane');
    const page = await dane.get('/').expect(200);
    const res = await dane.post('/showcase/withdraw').set('X-CSRF-Token', csrfFrom(page.text)).expect(200);
    expect(res.body.withdrawn).to.be.at.least(1);
    const after = await client.get('/notifications');
    expect(after.text).not.to.contain('Astuce bientôt retirée');
    await t.maillon.core.jobs.enqueue(DIGEST_JOB, {});
    await t.maillon.core.jobs.drain();
    expect(mailsTo('ines.retrait@ac-poitiers.fr')).to.have.length(0);
  });

  it('lets each person choose per kind in their preferences, and refuses values that are not choices', async () => {
    const person = await buildUser(t.maillon.core, { email: 'ines.choix@ac-poitiers.fr' });
    const client = await t.loginAs(person.key);
    const page = await client.get('/notifications/preferences').expect(200);
    expect(page.text).to.contain('<legend>Annonces de la vitrine</legend>');
    expect(page.text).to.match(/name="showcase:news" value="immediate" checked/);
    expect(page.text).to.match(/name="showcase:tips" value="daily" checked/);

    const bad = await client
      .post('/notifications/preferences')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), 'showcase:news': 'toujours', 'showcase:tips': 'daily' })
      .expect(400);
    expect(bad.text).to.contain('« Annonces de la vitrine »');

    await client.post('/notifications/preferences').type('form').send({ 'showcase:news': 'never', 'showcase:tips': 'immediate' }).expect(403);
    await client
      .post('/notifications/preferences')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), 'showcase:news': 'never', 'showcase:tips': 'immediate' })
      .expect(303);
    expect((await client.get('/notifications/preferences').expect(200)).text).to.contain('Vos préférences de notification sont enregistrées.');

    await announce([person.id], 'showcase:news', 'Annonce sans courriel');
    await announce([person.id], 'showcase:tips', 'Astuce tout de suite');
    await t.maillon.core.jobs.drain();
    expect(mailsTo('ines.choix@ac-poitiers.fr').map((m) => m.subject)).to.deep.equal(['Astuce tout de suite']);
  });

  it('skips inactive accounts and refuses undeclared kinds', async () => {
    const person = await buildUser(t.maillon.core);
    await t.maillon.core.db.updateTable('users').set({ status: 'suspended' }).where('id', '=', person.id).execute();
    expect(await t.maillon.core.notifications.notify([person.id, 999_999], { kind: 'showcase:news', title: 'Personne' })).to.equal(0);
    await t.maillon.core.notifications.notify([person.id], { kind: 'showcase:inconnu', title: 'x' }).then(
      () => expect.fail('undeclared kind accepted'),
      (e: Error) => expect(e.message).to.contain('type de notification inconnu'),
    );
  });
});
