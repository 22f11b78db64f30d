import path from 'node:path';
import { expect } from 'chai';
import { sql } from 'kysely';
import type supertest from 'supertest';
import type { ParsedMail } from 'mailparser';
import { ROOT, csrfFrom, startTestApp, type TestApp } from '../support/testApp.js';
import { freePort, startSmtpSink, type SmtpSink } from '../support/smtpSink.js';
import { createMaillon } from '../../server/app.js';
import { fork } from 'node:child_process';
import { requirePostgresServer } from '../support/engine.js';
import { TINY_PNG } from '../support/factories.js';

const PLUGINS = [path.join(ROOT, 'plugins', 'newsletter')];
const BASE = '/newsletter/redaction';

const apps: TestApp[] = [];
const sinks: SmtpSink[] = [];
async function app(env: Record<string, string>): Promise<TestApp> {
  const t = await startTestApp({ pluginDirs: PLUGINS, env: { JOBS_RUNNER: 'false', PLUGIN_NEWSLETTER_RATE_PER_SECOND: '0', ...env } });
  apps.push(t);
  return t;
}
async function sink(options: Parameters<typeof startSmtpSink>[0] = {}): Promise<SmtpSink> {
  const s = await startSmtpSink(options);
  sinks.push(s);
  return s;
}
const header = (mail: ParsedMail, name: string) =>
  mail.headerLines.find((h) => h.key === name)?.line.slice(name.length + 1).replace(/\r?\n\s+/g, ' ').trim();
const recipient = (m: ParsedMail) => (m.to && 'text' in m.to ? m.to.text : '');
const fastForward = (t: TestApp) => t.maillon.core.db.updateTable('jobs').set({ run_at: new Date() }).where('state', '=', 'queued').execute();

/** The DANE writes an issue through the pages; returns its id. */
async function writeIssue(client: supertest.Agent, title: string, body: string): Promise<number> {
  const page = await client.get(BASE).expect(200);
  const created = await client.post(BASE).type('form').send({ _csrf: csrfFrom(page.text), title, summary: `Chapeau de ${title}` }).expect(303);
  const id = Number(/\/(\d+)$/.exec(created.headers.location!)![1]);
  const edit = await client.get(`${BASE}/${id}`).expect(200);
  await client.post(`${BASE}/${id}`).type('form').send({ _csrf: csrfFrom(edit.text), title, summary: `Chapeau de ${title}`, body }).expect(303);
  return id;
}
async function sendNow(client: supertest.Agent, id: number) {
  const page = await client.get(`${BASE}/${id}`).expect(200);
  return client.post(`${BASE}/${id}/envoi`).type('form').send({ _csrf: csrfFrom(page.text), when: 'now' });
}
/** Active RUPNs in bulk (30 000 in the bench; here a few hundred), in the DANE's académie. */
async function addRupns(t: TestApp, n: number, prefix = 'rupn') {
  const db = t.maillon.core.db;
  const { academy_code } = await db.selectFrom('users').select('academy_code').where('email', 'like', 'claire.dubois%').executeTakeFirstOrThrow();
  await sql`insert into users (email, given_name, family_name, academy_code)
    select ${prefix} || '-' || i || '@ac-poitiers.example', 'Réf', 'N' || i, ${academy_code} from generate_series(1, ${n}) as i`.execute(db);
  await sql`insert into user_roles (user_id, role) select id, 'rupn' from users where email like ${`${prefix}-%`}`.execute(db);
}
const deliveries = (t: TestApp, issueId: number) =>
  t.maillon.core.db.selectFrom('newsletter_deliveries').selectAll().where('issue_id', '=', issueId).orderBy('id').execute();
const BODY = `## Les rendez-vous

Le [webinaire de rentrée](https://visio.example.org/rentree) a lieu mardi.

## Ressources

Une page de [Maillon](/training/catalogue).`;

describe('newsletter: the LINE', function () {
  this.timeout(60_000);
  after(async () => {
    for (const t of apps) await t.close();
    for (const s of sinks) await s.close();
  });

  describe('writing and sending over SMTP', () => {
    let t: TestApp;
    let smtp: SmtpSink;
    let dane: supertest.Agent;
    before(async () => {
      smtp = await sink({ reject: (a) => a.startsWith('inconnu') });
      t = await app({ SMTP_URL: smtp.url });
      dane = await t.loginAs('dane');
    });
    beforeEach(() => smtp.messages.splice(0));

    it('lets only the DANE write: 401 for visitors, 403 for a RUPN, and clear 400/422 for bad input', async () => {
      await t.agent().get(BASE).set('Accept', 'application/json').expect(401);
      const rupn = await t.loginAs('rupn');
      await rupn.get(BASE).expect(403);
      const page = await dane.get(BASE).expect(200);
      expect(page.text).to.contain('les référents numériques de l&#39;académie de Poitiers et les personnes abonnées');
      const bad = await dane.post(BASE).type('form').send({ _csrf: csrfFrom(page.text), title: 'x' }).expect(400);
      expect(bad.text).to.contain('« Titre »');
      const id = await writeIssue(dane, 'Numéro vide', '');
      const empty = await sendNow(dane, id);
      expect(empty.status).to.equal(422);
      expect(empty.text).to.contain('Ce numéro est vide');
      await dane.post(`${BASE}/${id}`).type('form').send({ _csrf: csrfFrom(page.text), title: 'Numéro vide', body: BODY }).expect(303);
      const past = await dane.post(`${BASE}/${id}/envoi`).type('form').send({ _csrf: csrfFrom(page.text), when: 'later', day: '2020-01-01', time: '09:00' });
      expect(past.status).to.equal(422);
      expect(past.text).to.contain('choisissez un moment à venir');
      const junk = await dane.post(`${BASE}/${id}/envoi`).type('form').send({ _csrf: csrfFrom(page.text), when: 'later', day: '2026-02-31', time: '25:00' });
      expect(junk.status).to.equal(422);
      await dane.get(`${BASE}/999999`).expect(404);
      await dane.get(`${BASE}/abc`).expect(404);
    });

    it('gives the editor back with what was typed when a button of it is refused, saving nothing or saying what was saved', async () => {
      const id = await writeIssue(dane, 'La LINE de mars', BODY);
      const page = await dane.get(`${BASE}/${id}`).expect(200);
      const typed = `${BODY}\n\n## Nouvelle rubrique\n\nUn paragraphe écrit à l'instant.`;
      // A title too short (a scripted client: the browser's own check stops people first).
      const refused = await dane.post(`${BASE}/${id}/test`).type('form').send({ _csrf: csrfFrom(page.text), title: 'x', summary: 'Chapeau', body: typed }).expect(400);
      expect(refused.text).to.contain("Rien n&#39;est enregistré");
      expect(refused.text).to.match(/<a href="#title">« Titre » : [^<]+<\/a>/);
      expect(refused.text).to.match(/id="title" name="title"[^>]*value="x" aria-invalid="true" aria-describedby="refus-detail"/);
      expect(refused.text).to.contain('Un paragraphe écrit à l&#39;instant.');
      expect(refused.text).to.match(/<form[^>]+id="line-form" data-unsaved-warning data-unsaved>/);
      expect(smtp.messages).to.have.length(0);
      const stored = await dane.get(`${BASE}/${id}`).expect(200);
      expect(stored.text).to.contain('value="La LINE de mars"');
      expect(stored.text).not.to.contain('Un paragraphe écrit');

      // Programmed in the past: what was typed is saved, the issue stays a draft, the date is kept to correct.
      const late = await dane.post(`${BASE}/${id}/envoi`).type('form').send({ _csrf: csrfFrom(page.text), title: 'La LINE de mars', summary: 'Chapeau', body: typed, when: 'later', day: '2020-01-01', time: '09:00' }).expect(422);
      expect(late.text).to.contain('Le numéro est enregistré, mais il n&#39;est pas parti.');
      expect(late.text).to.match(/id="day" name="day" form="line-form" value="2020-01-01" aria-invalid="true"/);
      expect(late.text).not.to.contain('data-unsaved>');
      const after = await dane.get(`${BASE}/${id}`).expect(200);
      expect(after.text).to.contain('Un paragraphe écrit à l&#39;instant.');
      expect(after.text).to.contain('Brouillon');
    });

    it('previews the issue as the mail and as the web page, with sections, links and an uploaded image', async () => {
      const id = await writeIssue(dane, 'La LINE de décembre', BODY);
      const page = await dane.get(`${BASE}/${id}`).expect(200);
      const noAlt = await dane.post(`${BASE}/${id}/images`).field('_csrf', csrfFrom(page.text)).field('alt', '').attach('image', TINY_PNG, 'salle.png');
      expect(noAlt.status).to.equal(422);
      await dane.post(`${BASE}/${id}/images`).field('_csrf', csrfFrom(page.text)).field('alt', 'La salle informatique').attach('image', TINY_PNG, 'salle.png').expect(303);
      const mail = await dane.get(`${BASE}/${id}/apercu-courriel`).expect(200);
      expect(mail.text).to.contain('La LINE de décembre').and.contain('Au sommaire').and.contain('Les rendez-vous');
      expect(mail.text).to.contain('href="https://visio.example.org/rentree"');
      expect(mail.text).to.match(/<img src="http:\/\/[^"]+\/files\/[^"]+\/salle\.png" alt="La salle informatique"/);
      expect(mail.text).to.contain('Se désabonner');
      expect(mail.headers['content-security-policy']).to.contain("default-src 'none'");
      const web = await dane.get(`${BASE}/${id}/apercu`).expect(200);
      expect(web.text).to.contain('Aperçu de la page web').and.contain('<h2>Ressources</h2>').and.contain('href="/training/catalogue"');
      // The image is readable without a session, as in a mail client.
      const src = /<img src="http:\/\/[^/]+(\/files\/[^"]+)"/.exec(mail.text)![1]!;
      await t.agent().get(src).expect(200).expect('Content-Type', 'image/png');
      // Not in the public archive before it is sent.
      const slug = (await t.maillon.core.db.selectFrom('newsletter_issues').select('slug').where('id', '=', id).executeTakeFirstOrThrow()).slug;
      await t.agent().get(`/newsletter/numeros/${slug}`).expect(404);
    });

    it('sends a test to the DANE member herself', async () => {
      const id = await writeIssue(dane, 'Numéro d’essai', BODY);
      const page = await dane.get(`${BASE}/${id}`).expect(200);
      await dane.post(`${BASE}/${id}/test`).type('form').send({ _csrf: csrfFrom(page.text) }).expect(303);
      await t.maillon.core.jobs.drain();
      await smtp.waitFor(1);
      const test = smtp.messages.find((m) => m.subject === '[Essai] Numéro d’essai')!;
      expect(recipient(test)).to.match(/^claire\.dubois/);
      expect(test.html).to.contain('Les rendez-vous');
      expect(await deliveries(t, id)).to.have.length(0);
    });

    it('gives text-only readers a plain-text part that reads well: blocks on their lines, links and images spelled out', async () => {
      const page = await dane.get(BASE).expect(200);
      const created = await dane.post(BASE).type('form').send({ _csrf: csrfFrom(page.text), title: 'La LINE de février' }).expect(303);
      const id = Number(/\/(\d+)$/.exec(created.headers.location!)![1]);
      const body = [
        '## Agenda',
        '',
        'Le 1er décembre, [webinaire RGPD](https://visio.example.org/rgpd).',
        '',
        '## Ressources',
        '',
        '- la fiche [Droit à l’image](/training/catalogue) ;',
        '- le guide https://eduscol.example.org/guide',
        '',
        '![La salle informatique](/files/abc/salle.png)',
      ].join('\n');
      const edit = await dane.get(`${BASE}/${id}`).expect(200);
      await dane.post(`${BASE}/${id}/test`).type('form').send({ _csrf: csrfFrom(edit.text), title: 'La LINE de février', summary: '', body }).expect(303);
      await t.maillon.core.jobs.drain();
      await smtp.waitFor(1);
      const text = smtp.messages.find((m) => m.subject === '[Essai] La LINE de février')!.text!.replace(/\r\n/g, '\n');
      // No chapeau: the title, one blank line, then the table of contents; never a run of blank lines.
      expect(text).to.match(/^La LINE de février\n\nAu sommaire\n\n? \* Agenda\n \* Ressources\n/);
      expect(text).not.to.match(/\n\s*\n\s*\n/);
      expect(text).to.contain('\nAgenda\n\nLe 1er décembre, webinaire RGPD (https://visio.example.org/rgpd).\n\nRessources\n\n');
      expect(text).to.match(/\n \* la fiche Droit à l’image \(http:\/\/[^)\s]+\/training\/catalogue\) ;\n \* le guide https:\/\/eduscol\.example\.org\/guide\n/);
      expect(text).to.contain('\n[Image : La salle informatique]\n');
      expect(text).to.match(/\nLire ce numéro en ligne \(http:\/\/[^)\s]+\/newsletter\/numeros\/\d+-la-line-de-fevrier\)/);
    });

    it('sends the test and the issue as typed on screen, saving it first, from one editor form', async () => {
      const id = await writeIssue(dane, 'Numéro à retoucher', BODY);
      const page = await dane.get(`${BASE}/${id}`).expect(200);
      // The test and the send buttons submit the editor form itself (formaction), keeping CSRF.
      expect(page.text).to.match(/<form method="post" action="\/newsletter\/redaction\/\d+" id="line-form"/);
      expect(page.text).to.match(/<button type="submit" form="line-form" formaction="\/newsletter\/redaction\/\d+\/test"/);
      expect(page.text).to.match(/form="line-form" formaction="\/newsletter\/redaction\/\d+\/envoi" name="when" value="now"[^>]*data-confirm="Envoyer ce numéro à/);
      const typed = `${BODY}\n\n## Dernière minute\n\nLa salle 12 est réservée.`;
      const test = await dane.post(`${BASE}/${id}/test`).type('form').send({ _csrf: csrfFrom(page.text), title: 'Numéro retouché', summary: 'Chapeau retouché', body: typed }).expect(303);
      await t.maillon.core.jobs.drain();
      await smtp.waitFor(1);
      const mail = smtp.messages.find((m) => m.subject === '[Essai] Numéro retouché')!;
      expect(mail, 'the test carries the typed title').to.exist;
      expect(mail.html).to.contain('Dernière minute').and.contain('La salle 12 est réservée.');
      const after = await dane.get(test.headers.location!).expect(200);
      expect(after.text).to.contain('Numéro enregistré.').and.contain('La salle 12 est réservée.');

      smtp.messages.splice(0);
      await dane.post(`${BASE}/${id}/envoi`).type('form').send({ _csrf: csrfFrom(after.text), title: 'Numéro retouché', summary: 'Chapeau retouché', body: `${typed}\n\nÀ jeudi !`, when: 'now' }).expect(303);
      await t.maillon.core.jobs.drain();
      const sent = smtp.messages.filter((m) => m.subject === 'Numéro retouché');
      expect(sent.length).to.be.greaterThan(0);
      expect(sent[0]!.html).to.contain('À jeudi !');
      // A sent issue can still be tested as it was sent, and no longer changed.
      const done = await dane.get(`${BASE}/${id}`).expect(200);
      await dane.post(`${BASE}/${id}/test`).type('form').send({ _csrf: csrfFrom(done.text) }).expect(303);
      await dane.post(`${BASE}/${id}/test`).type('form').send({ _csrf: csrfFrom(done.text), title: 'Autre titre', body: BODY }).expect(409);
    });

    it('sends to every RUPN and subscriber once, with one-click unsubscribe headers, and archives it with RSS', async () => {
      const enseignante = await t.loginAs('enseignante');
      // A teacher subscribes from the subscription page; the DANE member herself is no RUPN.
      const sub = await enseignante.get('/newsletter/abonnement').expect(200);
      expect(sub.text).to.contain('Vous ne recevez pas la LINE');
      await enseignante.post('/newsletter/abonnement').type('form').send({ _csrf: csrfFrom(sub.text) }).expect(303);
      await sql`insert into users (email, given_name, family_name, academy_code)
        select e, 'In', f, (select academy_code from users where email like 'claire.dubois%') from (values ('inconnu@ac-poitiers.example', 'Connu'), ('pas une adresse', 'Formée')) as v (e, f)`.execute(t.maillon.core.db);
      await sql`insert into user_roles (user_id, role) select id, 'rupn' from users where family_name in ('Connu', 'Formée')`.execute(t.maillon.core.db);

      const id = await writeIssue(dane, 'La LINE de janvier', BODY);
      await sendNow(dane, id).then((r) => expect(r.status).to.equal(303));
      await t.maillon.core.jobs.drain();
      const rows = await deliveries(t, id);
      const sent = rows.filter((r) => r.state === 'sent');
      expect(smtp.messages.filter((m) => m.subject === 'La LINE de janvier')).to.have.length(sent.length);
      expect(sent.map((r) => r.email)).to.include('sophie.martin@ac-poitiers.example').and.include('karim.benali@ac-poitiers.example');
      expect(rows.map((r) => r.email)).not.to.include('claire.dubois@ac-poitiers.example');
      expect(rows.find((r) => r.email === 'inconnu@ac-poitiers.example')).to.include({ state: 'bounced' });
      expect(rows.find((r) => r.email === 'inconnu@ac-poitiers.example')!.last_error).to.contain('550');
      const bad = rows.find((r) => r.email === 'pas une adresse')!;
      expect(bad.state).to.equal('failed');
      expect(bad.last_error).to.contain('Adresse électronique non valide');
      const received = new Set(smtp.messages.map(recipient));
      expect(received.size).to.equal(smtp.messages.length);

      const karim = smtp.messages.find((m) => recipient(m) === 'karim.benali@ac-poitiers.example')!;
      expect(header(karim, 'list-unsubscribe')).to.match(/^<http:\/\/[^>]+\/unsubscribe\/[^>]+>$/);
      expect(header(karim, 'list-unsubscribe-post')).to.equal('List-Unsubscribe=One-Click');
      expect(header(karim, 'message-id')).to.match(new RegExp(`^<line-${id}-\\d+@`));
      expect(karim.html).to.contain('href="https://visio.example.org/rentree"').and.contain('/newsletter/numeros/');
      expect(karim.text).to.contain('Lire ce numéro en ligne');

      const status = await dane.get(`${BASE}/${id}/progression`).expect(200);
      expect(status.body).to.include({ state: 'done', issueState: 'sent', total: rows.length, done: rows.length });
      const admin = await dane.get(`${BASE}/${id}`).expect(200);
      expect(admin.text).to.contain('Refusé (adresse inconnue)').and.contain('inconnu@ac-poitiers.example');

      const archive = await t.agent().get('/newsletter').expect(200);
      expect(archive.text).to.contain('La LINE de janvier');
      const rss = await t.agent().get('/newsletter/rss.xml').expect(200).expect('Content-Type', /application\/rss\+xml/);
      expect(rss.text).to.match(/<item><title>La LINE de janvier<\/title><link>http:\/\/[^<]+\/newsletter\/numeros\/\d+-la-line-de-janvier<\/link>/);
      const slug = /numeros\/([^"<]+)/.exec(rss.text)![1]!;
      const web = await t.agent().get(`/newsletter/numeros/${slug}`).expect(200);
      expect(web.text).to.contain('<h2>Les rendez-vous</h2>');
    });

    it('stops sending to whoever unsubscribed in one click, and sends again after a resubscribe from the site', async () => {
      const first = await writeIssue(dane, 'Numéro A', BODY);
      await sendNow(dane, first);
      await t.maillon.core.jobs.drain();
      const mail = smtp.messages.find((m) => recipient(m) === 'karim.benali@ac-poitiers.example' && m.subject === 'Numéro A')!;
      const link = new URL(/^<([^>]+)>$/.exec(header(mail, 'list-unsubscribe')!)![1]!);
      // The one-click POST of a mail client: no session, no CSRF token.
      await t.agent().post(link.pathname).type('form').send('List-Unsubscribe=One-Click').expect((r) => expect(r.status).to.be.oneOf([200, 303]));
      const karim = await t.loginAs('rupn');
      const profile = await karim.get('/profile').expect(200);
      expect(profile.text).to.contain('Vous vous êtes désabonné·e de la LINE');

      smtp.messages.splice(0);
      const second = await writeIssue(dane, 'Numéro B', BODY);
      await sendNow(dane, second);
      await t.maillon.core.jobs.drain();
      expect(smtp.messages.map(recipient)).not.to.include('karim.benali@ac-poitiers.example');
      expect(smtp.messages.length).to.be.greaterThan(0);

      const sub = await karim.get('/newsletter/abonnement').expect(200);
      expect(sub.text).to.contain('Me réabonner à la LINE');
      await karim.post('/newsletter/abonnement').type('form').send({ _csrf: csrfFrom(sub.text), next: '/profile' }).expect(303).expect('Location', '/profile');
      smtp.messages.splice(0);
      const third = await writeIssue(dane, 'Numéro C', BODY);
      await sendNow(dane, third);
      await t.maillon.core.jobs.drain();
      expect(smtp.messages.filter((m) => recipient(m) === 'karim.benali@ac-poitiers.example')).to.have.length(1);
    });

    it('schedules an issue in Paris time, and a cancelled schedule sends nothing', async () => {
      const id = await writeIssue(dane, 'Numéro programmé', BODY);
      const page = await dane.get(`${BASE}/${id}`).expect(200);
      const now = new Date();
      const year = now.getUTCFullYear() + (now.getUTCMonth() > 0 || now.getUTCDate() >= 14 ? 1 : 0);
      await dane.post(`${BASE}/${id}/envoi`).type('form').send({ _csrf: csrfFrom(page.text), when: 'later', day: `${year}-01-15`, time: '09:30' }).expect(303);
      const job = await t.maillon.core.db.selectFrom('jobs').select(['run_at', 'state']).where('kind', '=', 'newsletter:send').where('payload', '@>', sql<string>`${JSON.stringify({ issueId: id })}::jsonb`).executeTakeFirstOrThrow();
      // 09:30 in Paris in winter is 08:30 UTC.
      expect(new Date(job.run_at).toISOString()).to.equal(`${year}-01-15T08:30:00.000Z`);
      const scheduled = await dane.get(`${BASE}/${id}`).expect(200);
      expect(scheduled.text).to.contain('Programmé');
      await dane.post(`${BASE}/${id}/annulation`).type('form').send({ _csrf: csrfFrom(scheduled.text) }).expect(303);
      await fastForward(t);
      await t.maillon.core.jobs.drain();
      expect(smtp.messages.filter((m) => m.subject === 'Numéro programmé')).to.have.length(0);
      expect(await deliveries(t, id)).to.have.length(0);
    });

    it("shows a scheduled issue's schedule, to change or cancel, and no sending panel before sending starts", async () => {
      const id = await writeIssue(dane, 'Numéro de décembre', BODY);
      const page = await dane.get(`${BASE}/${id}`).expect(200);
      const year = new Date().getUTCFullYear() + (new Date().getUTCMonth() === 11 ? 1 : 0);
      await dane.post(`${BASE}/${id}/envoi`).type('form').send({ _csrf: csrfFrom(page.text), when: 'later', day: `${year}-12-01`, time: '09:00' }).expect(303);
      const scheduled = await dane.get(`${BASE}/${id}`).expect(200);
      expect(scheduled.text).to.contain(`envoi prévu le 1er décembre ${year} à 09:00`);
      // Nothing has left yet: no empty progress bar, table or reload hint.
      expect(scheduled.text).not.to.contain("Avancement de l'envoi").and.not.to.contain('Destinataires par état').and.not.to.contain('Sans JavaScript');
      expect(scheduled.text).to.contain('Envoi programmé');
      // The date and time fields show the schedule, to change it.
      expect(scheduled.text).to.match(new RegExp(`<input type="date" id="day" name="day" form="line-form" value="${year}-12-01"`));
      expect(scheduled.text).to.match(/<input type="time" id="time" name="time" form="line-form" value="09:00"/);
      expect(scheduled.text).to.contain('Modifier la programmation').and.contain('Annuler la programmation');
      await dane.post(`${BASE}/${id}/envoi`).type('form').send({ _csrf: csrfFrom(scheduled.text), when: 'later', day: `${year}-12-02`, time: '10:15' }).expect(303);
      const moved = await dane.get(`${BASE}/${id}`).expect(200);
      expect(moved.text).to.contain(`envoi prévu le 2 décembre ${year} à 10:15`).and.match(/name="time" form="line-form" value="10:15"/);

      // Once sent, the panel shows how it went.
      await sendNow(dane, id).then((r) => expect(r.status).to.equal(303));
      await t.maillon.core.jobs.drain();
      const sent = await dane.get(`${BASE}/${id}`).expect(200);
      expect(sent.text).to.contain("Avancement de l'envoi").and.contain('Destinataires par état');
    });

    it('previews the mail and the web page of what is typed on screen, saving it first', async () => {
      const id = await writeIssue(dane, 'Numéro en cours', BODY);
      const page = await dane.get(`${BASE}/${id}`).expect(200);
      // The previews are buttons of the editor form: they carry what is typed, and its CSRF token.
      expect(page.text).to.match(/<button type="submit" form="line-form" formaction="\/newsletter\/redaction\/\d+\/apercu-courriel"/);
      const typed = `${BODY}\n\nTapé, pas encore enregistré.`;
      const mail = await dane.post(`${BASE}/${id}/apercu-courriel`).type('form').send({ _csrf: csrfFrom(page.text), title: 'Numéro retapé', summary: '', body: typed }).expect(303);
      const shown = await dane.get(mail.headers.location!).expect(200);
      expect(shown.text).to.contain('Numéro retapé').and.contain('Tapé, pas encore enregistré.');
      const web = await dane.post(`${BASE}/${id}/apercu`).type('form').send({ _csrf: csrfFrom(page.text), title: 'Numéro retapé', summary: '', body: `${typed} Encore.` }).expect(303);
      expect((await dane.get(web.headers.location!).expect(200)).text).to.contain('Tapé, pas encore enregistré. Encore.');
      await dane.post(`${BASE}/${id}/apercu-courriel`).type('form').send({ title: 'Sans jeton', body: BODY }).expect(403);
    });
  });

  it('retries a recipient the server refuses for now a bounded number of times, keeping the reason', async () => {
    const smtp = await sink({ tempfail: (a) => a.startsWith('plus-tard') });
    const t = await app({ SMTP_URL: smtp.url, PLUGIN_NEWSLETTER_MAX_ATTEMPTS: '3', PLUGIN_NEWSLETTER_RETRY_SECONDS: '0.05' });
    await addRupns(t, 1, 'plus-tard');
    const dane = await t.loginAs('dane');
    const id = await writeIssue(dane, 'Numéro têtu', BODY);
    await sendNow(dane, id);
    await t.maillon.core.jobs.drain();
    const rows = await deliveries(t, id);
    const stubborn = rows.find((r) => r.email === 'plus-tard-1@ac-poitiers.example')!;
    expect(stubborn).to.include({ state: 'failed', attempts: 3 });
    expect(stubborn.last_error).to.contain('451').and.contain('après 3 essais');
    expect(rows.filter((r) => r.state === 'sent')).to.have.length(rows.length - 1);
    expect(smtp.messages.map(recipient)).not.to.include('plus-tard-1@ac-poitiers.example');
  });

  it('keeps everyone pending while the SMTP server is unreachable, then sends each once when it is back', async () => {
    const port = await freePort();
    const t = await app({ SMTP_URL: `smtp://127.0.0.1:${port}` });
    await addRupns(t, 20);
    const dane = await t.loginAs('dane');
    const id = await writeIssue(dane, 'Numéro patient', BODY);
    await sendNow(dane, id);
    await t.maillon.core.jobs.drain();
    const page = await dane.get(`${BASE}/${id}`).expect(200);
    expect(page.text).to.contain('Serveur d&#39;envoi injoignable');
    const waiting = await deliveries(t, id);
    expect(waiting.length).to.be.greaterThan(20);
    expect(waiting.every((r) => r.state === 'pending' && r.attempts === 0)).to.equal(true);

    const smtp = await sink({ port });
    await fastForward(t);
    await t.maillon.core.jobs.drain();
    expect(smtp.count).to.equal(waiting.length);
    expect(new Set(smtp.messages.map(recipient)).size).to.equal(waiting.length);
    expect((await deliveries(t, id)).every((r) => r.state === 'sent')).to.equal(true);
  });

  it('resumes after the server stops mid-send without sending anyone the issue twice', async () => {
    const smtp = await sink();
    const t = await app({ SMTP_URL: smtp.url, JOBS_RUNNER: 'true', JOBS_POLL_MS: '50', PLUGIN_NEWSLETTER_RATE_PER_SECOND: '60', PLUGIN_NEWSLETTER_BATCH_SIZE: '20' });
    await addRupns(t, 600);
    const dane = await t.loginAs('dane');
    const id = await writeIssue(dane, 'Numéro interrompu', BODY);
    await sendNow(dane, id);
    await smtp.waitFor(30);
    // Stop the whole app mid-send (its job is aborted after the grace period), then start again on the same database.
    await t.maillon.close();
    const before = await deliveries(t, id);
    const sentBefore = before.filter((r) => r.state === 'sent').length;
    expect(sentBefore).to.be.greaterThan(0).and.lessThan(before.length);
    // Nothing claimed is left behind; at most the messages on their way (16 at once) await an answer.
    expect(before.filter((r) => r.state === 'claimed')).to.have.length(0);
    expect(before.filter((r) => r.state === 'sending').length).to.be.at.most(16);

    const again = await createMaillon(t.config, { database: t.testDb.database });
    try {
      await fastForward(t);
      await again.core.jobs.drain();
    } finally {
      await again.close();
    }
    const after = await deliveries(t, id);
    const uncertain = after.filter((r) => r.state === 'failed');
    expect(uncertain.every((r) => r.last_error!.includes('peut-être reçu'))).to.equal(true);
    expect(after.filter((r) => r.state === 'sent')).to.have.length(after.length - uncertain.length);
    const perRecipient = new Map<string, number>();
    for (const m of smtp.messages) perRecipient.set(recipient(m), (perRecipient.get(recipient(m)) ?? 0) + 1);
    // Nobody twice; everyone marked sent received it.
    expect([...perRecipient.values()].every((n) => n === 1)).to.equal(true);
    for (const r of after.filter((r) => r.state === 'sent')) expect(perRecipient.get(r.email), r.email).to.equal(1);
    expect(smtp.count).to.be.at.least(after.length - uncertain.length).and.at.most(after.length);
  });

  it('survives a worker killed mid-send (SIGKILL): resumed elsewhere, nobody receives the issue twice', async function () {
    const server = requirePostgresServer(this);
    const smtp = await sink();
    const t = await startTestApp({ pluginDirs: PLUGINS, postgresServer: server, env: { JOBS_RUNNER: 'false', PLUGIN_NEWSLETTER_RATE_PER_SECOND: '0', SMTP_URL: smtp.url } });
    apps.push(t);
    await addRupns(t, 400);
    const dane = await t.loginAs('dane');
    const id = await writeIssue(dane, 'Numéro du crash', BODY);
    const worker = fork(path.join(import.meta.dirname, 'sendWorker.ts'), [t.testDb.url!, smtp.url], { execArgv: ['--import', 'tsx'] });
    try {
      await new Promise((resolve) => worker.once('message', resolve));
      await sendNow(dane, id);
      await smtp.waitFor(60, 30_000);
    } finally {
      worker.kill('SIGKILL');
      await new Promise((resolve) => (worker.exitCode !== null || worker.signalCode ? resolve(null) : worker.once('exit', resolve)));
    }
    const killed = await deliveries(t, id);
    expect(killed.filter((r) => r.state === 'sent').length).to.be.lessThan(killed.length);
    // The worker's lease runs out (here at once); this process takes the job over.
    await t.maillon.core.db.updateTable('jobs').set({ locked_until: new Date(Date.now() - 1000) }).where('state', '=', 'running').execute();
    await t.maillon.core.jobs.drain();
    await fastForward(t);
    await t.maillon.core.jobs.drain();
    const after = await deliveries(t, id);
    const perRecipient = new Map<string, number>();
    for (const m of smtp.messages) perRecipient.set(recipient(m), (perRecipient.get(recipient(m)) ?? 0) + 1);
    expect([...perRecipient.entries()].filter(([, n]) => n > 1)).to.deep.equal([]);
    const uncertain = after.filter((r) => r.state === 'failed');
    expect(uncertain.length).to.be.at.most(16);
    expect(uncertain.every((r) => r.last_error!.includes('peut-être reçu'))).to.equal(true);
    expect(after.filter((r) => r.state === 'sent')).to.have.length(after.length - uncertain.length);
    for (const r of after.filter((r) => r.state === 'sent')) expect(perRecipient.get(r.email), r.email).to.equal(1);
    const issue = await t.maillon.core.db.selectFrom('newsletter_issues').select('state').where('id', '=', id).executeTakeFirstOrThrow();
    expect(issue.state).to.equal('sent');
  });

  it('without SMTP_URL keeps every issue mail in the admin outbox', async () => {
    const t = await app({});
    const dane = await t.loginAs('dane');
    const id = await writeIssue(dane, 'Numéro conservé', BODY);
    const page = await dane.get(`${BASE}/${id}`).expect(200);
    expect(page.text).to.contain("Aucun serveur d'envoi n'est configuré");
    await sendNow(dane, id);
    await t.maillon.core.jobs.drain();
    const rows = await deliveries(t, id);
    expect(rows.length).to.be.greaterThan(0);
    expect(rows.every((r) => r.state === 'kept')).to.equal(true);
    const kept = await t.maillon.core.db.selectFrom('mail_outbox').select(['to_address', 'state']).where('subject', '=', 'Numéro conservé').execute();
    expect(kept).to.have.length(rows.length);
    expect(kept.every((k) => k.state === 'kept')).to.equal(true);
  });

  it('shows two past issues in the demo archive', async () => {
    const t = await app({});
    const archive = await t.agent().get('/newsletter').expect(200);
    expect(archive.text.match(/<li class="card">/g)).to.have.length(2);
    expect(archive.text).to.contain('La LINE de novembre');
  });
});
