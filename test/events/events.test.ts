import path from 'node:path';
import { expect } from 'chai';
import type supertest from 'supertest';
import { ROOT, csrfFrom, startTestApp, type TestApp } from '../support/testApp.js';
import { startSmtpSink, type SmtpSink } from '../support/smtpSink.js';
import { buildUser } from '../support/factories.js';
import { uaiWithKey } from '../../server/demo/demoData.js';
import { toParisLocal } from '../../plugins/events/time.js';
import { createEvent, eventFields, parisIn, postEvent, postFrom, userIdOf } from './helpers.js';

const PLUGINS = [path.join(ROOT, 'plugins', 'home'), path.join(ROOT, 'plugins', 'events')];
const HENRI_IV = uaiWithKey('0860019');
const HOUR = 3600_000;

describe('events: creation, audience, registration, waiting list, reminders', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let admin: supertest.Agent;
  let claire: supertest.Agent; // DANE coordinator for the Vienne (86)
  let pauline: supertest.Agent; // RUPN, Collège Henri IV (86)

  before(async function () {
    // Starting the platform can take a while on a loaded machine.
    this.timeout(180_000);
    sink = await startSmtpSink();
    t = await startTestApp({ pluginDirs: PLUGINS, env: { SMTP_URL: sink.url, JOBS_RUNNER: 'false', MAIL_RATE_PER_SECOND: '0' } });
    admin = await t.loginAs('admin');
    claire = await t.loginAs('dane');
    pauline = await t.loginAs('nouvelle-rupn');
  });
  after(async () => {
    await t?.close();
    await sink?.close();
  });

  const db = () => t.maillon.core.db;
  const eventCount = async () => Number((await db().selectFrom('events').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
  const drain = () => t.maillon.core.jobs.drain();
  const emailOf = async (key: string) => (await t.maillon.core.users.byIdentity('demo', key))!.email;
  const mailsTo = (email: string) => sink.messages.filter((m) => (m.to && !Array.isArray(m.to) ? m.to.text : '') === email);

  describe('creating an event', () => {
    it('stores times entered in Paris time as instants, across the change to summer time', async () => {
      // 28 March 2027 is the last Sunday of March: 10:00 is already summer time (UTC+2).
      const id = await createEvent(admin, { startsAt: '2027-03-28T10:00', endsAt: '2027-03-28T11:30', audienceKind: 'academie', audienceAcademy: 'poitiers', audienceDepartment: '' });
      const row = await db().selectFrom('events').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      expect(row.starts_at.toISOString()).to.equal('2027-03-28T08:00:00.000Z');
      expect(row.ends_at.toISOString()).to.equal('2027-03-28T09:30:00.000Z');
      const winter = await createEvent(admin, { startsAt: '2027-01-15T14:00', endsAt: '2027-01-15T15:00' });
      const w = await db().selectFrom('events').select('starts_at').where('id', '=', winter).executeTakeFirstOrThrow();
      expect(w.starts_at.toISOString()).to.equal('2027-01-15T13:00:00.000Z');
      const page = await admin.get(`/events/${id}`).expect(200);
      expect(page.text).to.contain('dimanche 28 mars 2027, 10:00 – 11:30');
      expect(page.text).to.contain('<strong>GAR</strong>');
      expect(page.text).to.contain('Académie de Poitiers');
    });

    it('refuses a start in the past, an end before the start and a time that does not exist, keeping what was typed (422)', async () => {
      const before = await eventCount();
      let res = await postEvent(claire, eventFields({ title: 'Atelier passé', startsAt: parisIn(-2), endsAt: parisIn(-1) }));
      expect(res.status).to.equal(422);
      expect(res.text).to.contain('La date de début est passée : choisissez une date à venir.');
      expect(res.text).to.contain('value="Atelier passé"');
      expect(res.text).to.contain('aria-invalid="true" aria-describedby="startsAt-erreur"');
      res = await postEvent(claire, eventFields({ startsAt: parisIn(50), endsAt: parisIn(49) }));
      expect(res.status).to.equal(422);
      expect(res.text).to.contain('La fin doit être après le début.');
      res = await postEvent(claire, eventFields({ startsAt: '2027-03-28T02:30', endsAt: '2027-03-28T04:00' }));
      expect(res.status).to.equal(422);
      expect(res.text).to.contain("Cette heure n&#39;existe pas à Paris ce jour-là");
      res = await postEvent(claire, eventFields({ startsAt: 'demain', visioUrl: 'javascript:alert(1)' }));
      expect(res.status).to.equal(422);
      expect(res.text).to.contain('Une adresse complète commençant par https://.');
      res = await postEvent(claire, eventFields({ capacity: '-3' }));
      expect(res.status).to.equal(422);
      expect(res.text).to.contain('Un nombre entier de 1 à 100 000');
      expect(await eventCount()).to.equal(before);
    });

    it('lets a coordinator organise for her département only, a RUPN only a café numérique in her establishment', async () => {
      await createEvent(claire, { title: 'Atelier de la Vienne' });
      let res = await postEvent(claire, eventFields({ audienceDepartment: '17' }));
      expect(res.status).to.equal(403);
      expect(res.text).to.contain('Vous organisez des événements pour le département Vienne (86) et ses établissements.');

      const cafe = await createEvent(pauline, { title: 'Café numérique : Pix', kind: 'cafe', audienceKind: 'etablissement', audienceUai: HENRI_IV, audienceDepartment: '', visioKind: '', visioUrl: '', place: 'CDI' });
      expect((await pauline.get(`/events/${cafe}`).expect(200)).text).to.contain('Collège Henri IV');
      res = await postEvent(pauline, eventFields({ kind: 'webinaire', audienceKind: 'etablissement', audienceUai: HENRI_IV }));
      expect(res.status).to.equal(403);
      expect(res.text).to.contain('Un ou une RUPN organise uniquement des cafés numériques.');
      res = await postEvent(pauline, eventFields({ kind: 'cafe', audienceKind: 'etablissement', audienceUai: uaiWithKey('0860133') }));
      expect(res.status).to.equal(403);

      const teacher = await t.loginAs('enseignante');
      await teacher.get('/events/nouveau').expect(403);
    });
  });

  describe('audience', () => {
    it('shows an event to the people it is meant for only', async () => {
      const id = await createEvent(claire, { title: 'Regroupement RUPN de la Vienne', audienceRole: 'rupn', place: 'Poitiers', visioKind: '', visioUrl: '' });
      expect((await pauline.get('/events').expect(200)).text).to.contain('Regroupement RUPN de la Vienne');
      const dashboard = await pauline.get('/').expect(200);
      expect(dashboard.text).to.contain('Prochains événements');
      expect(dashboard.text).to.contain(`href="/events/${id}">Regroupement RUPN de la Vienne</a>`);
      const karim = await t.loginAs('rupn'); // Charente-Maritime
      expect((await karim.get('/events').expect(200)).text).not.to.contain('Regroupement RUPN de la Vienne');
      await karim.get(`/events/${id}`).expect(404);
      const chef = await t.loginAs('chef');
      await chef.get(`/events/${id}`).expect(404);
      await pauline.get('/events/abc').expect(404);
      await pauline.get('/events/999999').expect(404);
    });
  });

  describe('registration and waiting list', () => {
    it('confirms by mail, puts the next person on the waiting list and moves her up with a notification', async () => {
      const id = await createEvent(claire, { title: 'Atelier ENT à une place', capacity: '1', visioKind: '', visioUrl: '', place: 'Canopé Poitiers' });
      let res = await postFrom(pauline, `/events/${id}`, `/events/${id}/inscription`);
      expect(res.status).to.equal(303);
      expect((await pauline.get(`/events/${id}`).expect(200)).text).to.contain('Vous êtes inscrit·e.');
      const elodie = await t.loginAs('rupn-poitiers');
      const page = await elodie.get(`/events/${id}`).expect(200);
      expect(page.text).to.contain("M&#39;inscrire sur la liste d&#39;attente");
      // A full event says so, on its page and in the list, rather than « 0 place restante ».
      expect(page.text).to.contain('<dt>Places</dt><dd>Complet (1 place)</dd>').and.not.contain('0 place restante');
      const card = (await elodie.get('/events').expect(200)).text.split('Atelier ENT à une place</a>')[1]!.split('</li>')[0]!;
      expect(card).to.match(/<p>\s*Complet\s*<\/p>/);
      res = await elodie.post(`/events/${id}/inscription`).type('form').send({ _csrf: csrfFrom(page.text) });
      expect(res.status).to.equal(303);
      expect((await elodie.get(`/events/${id}`).expect(200)).text).to.contain("liste d'attente (position 1)").and.contain('Complet (1 place), 1 personne en attente');

      await drain();
      await sink.waitFor(2);
      const mail = sink.messages.find((m) => m.subject === 'Inscription confirmée : Atelier ENT à une place')!;
      expect(mailsTo(await emailOf('nouvelle-rupn'))).to.include(mail);
      expect(mail.html).to.contain(`${t.url}/events/${id}/evenement.ics`);
      // The seat comes with its calendar entry, the same as the page's .ics.
      expect(mail.attachments.map((a) => [a.filename, a.contentType])).to.deep.equal([[`evenement-${id}.ics`, 'text/calendar']]);
      const ics = mail.attachments[0]!.content.toString('utf8');
      expect(ics).to.match(new RegExp(`UID:event-${id}@`)).and.contain('SUMMARY:Atelier ENT à une place').and.contain('LOCATION:Canopé Poitiers').and.contain('METHOD:PUBLISH');
      const waiting = sink.messages.find((m) => m.subject === "Liste d'attente : Atelier ENT à une place")!;
      expect(waiting.attachments).to.deep.equal([]);

      // Pauline leaves: Élodie moves up at once, and is told.
      const before = sink.count;
      res = await postFrom(pauline, `/events/${id}`, `/events/${id}/desinscription`);
      expect(res.status).to.equal(303);
      const rows = await db().selectFrom('event_registrations').select(['user_id', 'state']).where('event_id', '=', id).execute();
      expect(rows).to.deep.equal([{ user_id: await userIdOf(t, 'rupn-poitiers'), state: 'registered' }]);
      expect((await elodie.get(`/events/${id}`).expect(200)).text).to.contain('Vous êtes inscrit·e.');
      const note = await db().selectFrom('notifications').selectAll().where('user_id', '=', await userIdOf(t, 'rupn-poitiers')).where('kind', '=', 'events:promoted').executeTakeFirstOrThrow();
      expect(note.title).to.contain("Une place s'est libérée");
      expect(note.url).to.equal(`/events/${id}`);
      await drain();
      await sink.waitFor(before + 1);
      const promoted = sink.messages.find((m) => m.subject?.startsWith("Une place s'est libérée"))!;
      // Her seat comes with its calendar entry, as a confirmation would.
      expect(promoted.attachments.map((a) => a.filename)).to.deep.equal([`evenement-${id}.ics`]);
      expect(promoted.attachments[0]!.content.toString('utf8')).to.match(new RegExp(`UID:event-${id}@`));
    });

    it('keeps the calendars of those with a seat in step: a move and a cancellation come with the updated .ics', async () => {
      const fields = { title: 'Atelier Pix déplacé', capacity: '1', visioKind: '', visioUrl: '', place: 'Canopé Niort', startsAt: '2027-05-12T09:00', endsAt: '2027-05-12T12:00' };
      const id = await createEvent(claire, fields);
      await postFrom(pauline, `/events/${id}`, `/events/${id}/inscription`).then((r) => expect(r.status).to.equal(303));
      const nicolas = await t.loginAs('rupn-chatellerault');
      await postFrom(nicolas, `/events/${id}`, `/events/${id}/inscription`).then((r) => expect(r.status).to.equal(303));
      const ics = (subject: string, key: Promise<string>) =>
        key.then((email) => mailsTo(email).find((m) => m.subject === subject)).then((m) => m && m.attachments.map((a) => a.content.toString('utf8')));

      await drain();
      const moved = eventFields({ ...fields, startsAt: '2027-05-12T14:00', endsAt: '2027-05-12T17:00' });
      let before = sink.count;
      await postEvent(claire, moved, `/events/${id}/modifier`).then((r) => expect(r.status).to.equal(303));
      await drain();
      await sink.waitFor(before + 2);
      const moveSubject = "Changement d'horaire : « Atelier Pix déplacé »";
      const seat = (await ics(moveSubject, emailOf('nouvelle-rupn')))!;
      expect(seat).to.have.length(1);
      expect(seat[0]).to.contain('SEQUENCE:1').and.contain('DTSTART;TZID=Europe/Paris:20270512T140000').and.contain('STATUS:CONFIRMED');
      // On the waiting list, Nicolas is told, without an entry for a seat he does not have.
      expect(await ics(moveSubject, emailOf('rupn-chatellerault'))).to.deep.equal([]);

      // Cancelling asks first, saying who will be told; so does leaving.
      const organiserPage = await claire.get(`/events/${id}`).expect(200);
      expect(organiserPage.text).to.contain(`action="/events/${id}/annuler" data-confirm="Annuler l'événement ? 2 personnes inscrites ou en attente seront prévenues. Cette action est définitive."`);
      expect((await pauline.get(`/events/${id}`).expect(200)).text).to.contain('data-confirm="Vous désinscrire de cet événement ?');
      expect((await nicolas.get(`/events/${id}`).expect(200)).text).to.contain('data-confirm="Quitter la liste d&#39;attente de cet événement ?"');

      before = sink.count;
      const note = "Nous le reprogrammons en juin :\nune nouvelle invitation suivra.";
      await postFrom(claire, `/events/${id}`, `/events/${id}/annuler`, { message: note }).then((r) => expect(r.status).to.equal(303));
      await drain();
      await sink.waitFor(before + 2);
      const cancelSubject = 'Événement annulé : « Atelier Pix déplacé »';
      const cancelled = (await ics(cancelSubject, emailOf('nouvelle-rupn')))!;
      expect(cancelled[0]).to.contain('SEQUENCE:2').and.contain('STATUS:CANCELLED').and.match(new RegExp(`UID:event-${id}@`));
      // The organiser's words reach everyone told, waiting list included.
      for (const key of ['nouvelle-rupn', 'rupn-chatellerault']) {
        const mail = mailsTo(await emailOf(key)).find((m) => m.subject === cancelSubject)!;
        expect(mail.text).to.contain("Message de l'organisation").and.contain('Nous le reprogrammons en juin').and.contain('une nouvelle invitation suivra.');
      }
      // The page says so too: the message in the banner, her seat gone with the event, no calendar link nor seat count.
      const hers = (await pauline.get(`/events/${id}`).expect(200)).text;
      expect(hers).to.contain("Message de l'organisation").and.contain('Nous le reprogrammons en juin');
      expect(hers).to.contain("Vous étiez inscrit·e : votre inscription tombe avec l'annulation.");
      expect(hers).not.to.contain('Vous êtes inscrit·e');
      expect(hers).not.to.contain('evenement.ics');
      expect(hers).not.to.contain('<dt>Places</dt>');
      expect((await nicolas.get(`/events/${id}`).expect(200)).text).to.contain('Vous étiez sur la liste d&#39;attente : votre inscription tombe');
      // Nor is a replay offered for an event that will not take place.
      expect((await claire.get(`/events/${id}`).expect(200)).text).not.to.contain(`action="/events/${id}/apres"`);
    });

    it('never gives more seats than the capacity when people register at the same time', async () => {
      const id = await createEvent(claire, { title: 'Webinaire à deux places', capacity: '2' });
      const people = await Promise.all(Array.from({ length: 6 }, () => buildUser(t.maillon.core, { roles: ['rupn'], departmentCode: '86' })));
      const clients = await Promise.all(people.map((p) => t.loginAs(p.key)));
      const tokens = await Promise.all(clients.map(async (c) => csrfFrom((await c.get(`/events/${id}`).expect(200)).text)));
      const results = await Promise.all(clients.map((c, i) => c.post(`/events/${id}/inscription`).type('form').send({ _csrf: tokens[i] })));
      expect(results.map((r) => r.status)).to.deep.equal([303, 303, 303, 303, 303, 303]);
      const states = await db().selectFrom('event_registrations').select('state').where('event_id', '=', id).execute();
      expect(states.filter((s) => s.state === 'registered')).to.have.length(2);
      expect(states.filter((s) => s.state === 'waiting')).to.have.length(4);
    });

    it('refuses a capacity below the registrations (422) and keeps the event as it was; a larger one moves people up', async () => {
      const id = await createEvent(claire, { title: 'Atelier à agrandir', capacity: '2' });
      for (const key of ['nouvelle-rupn', 'rupn-poitiers', 'rupn-chatellerault']) await postFrom(await t.loginAs(key), `/events/${id}`, `/events/${id}/inscription`);
      const fields = eventFields({ title: 'Atelier à agrandir', capacity: '1' });
      const row = await db().selectFrom('events').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      fields.startsAt = toParisLocal(row.starts_at);
      fields.endsAt = toParisLocal(row.ends_at);
      let res = await postEvent(claire, fields, `/events/${id}/modifier`);
      expect(res.status).to.equal(422);
      expect(res.text).to.contain('Le nombre de places (1) est inférieur au nombre de personnes déjà inscrites (2).');
      expect(res.text).to.contain('value="1"');
      expect((await db().selectFrom('events').select('capacity').where('id', '=', id).executeTakeFirstOrThrow()).capacity).to.equal(2);
      res = await postEvent(claire, { ...fields, capacity: '3' }, `/events/${id}/modifier`);
      expect(res.status).to.equal(303);
      const states = await db().selectFrom('event_registrations').select('state').where('event_id', '=', id).execute();
      expect(states.every((s) => s.state === 'registered')).to.equal(true);
    });

    it('closes registration outside its window', async () => {
      const id = await createEvent(claire, { title: 'Inscriptions pas encore ouvertes', opensAt: parisIn(24), closesAt: parisIn(30) });
      const page = await pauline.get(`/events/${id}`).expect(200);
      expect(page.text).to.contain('Les inscriptions ne sont pas encore ouvertes.');
      const res = await pauline.post(`/events/${id}/inscription`).type('form').send({ _csrf: csrfFrom(page.text) });
      expect(res.status).to.equal(409);
      expect(res.text).to.contain('Les inscriptions ne sont pas encore ouvertes.');
    });
  });

  describe('reminders and the visio link', () => {
    it('sends the day-before and the one-hour reminders once per registration, however often the job runs', async () => {
      const id = await createEvent(claire, { title: 'Webinaire rappelé', startsAt: parisIn(30), endsAt: parisIn(31) });
      await postFrom(pauline, `/events/${id}`, `/events/${id}/inscription`);
      await drain();
      const reminders = () => sink.messages.filter((m) => m.subject?.endsWith(': Webinaire rappelé') && /^(Demain|Dans une heure)/.test(m.subject));
      const runReminders = async () => {
        await t.maillon.core.jobs.enqueue('events:reminders', {});
        await drain();
      };
      await runReminders();
      expect(reminders()).to.have.length(0);
      // A day later: the event starts in 10 hours.
      await db().updateTable('events').set({ starts_at: new Date(Date.now() + 10 * HOUR), ends_at: new Date(Date.now() + 11 * HOUR) }).where('id', '=', id).execute();
      await runReminders();
      await runReminders();
      await sink.waitFor(sink.count); // delivered synchronously by drain
      expect(reminders().map((m) => m.subject)).to.deep.equal(['Demain : Webinaire rappelé']);
      // Forty minutes before the start.
      await db().updateTable('events').set({ starts_at: new Date(Date.now() + 0.66 * HOUR), ends_at: new Date(Date.now() + 2 * HOUR) }).where('id', '=', id).execute();
      await runReminders();
      await runReminders();
      expect(reminders().map((m) => m.subject)).to.deep.equal(['Demain : Webinaire rappelé', 'Dans une heure : Webinaire rappelé']);
      const outbox = await db().selectFrom('mail_outbox').select('subject').where('subject', 'in', ['Demain : Webinaire rappelé', 'Dans une heure : Webinaire rappelé']).execute();
      expect(outbox).to.have.length(2);
    });

    it('shows the visio link only to registered people, from shortly before the start', async () => {
      const id = await createEvent(claire, { title: 'Classe virtuelle', visioKind: 'classe-virtuelle', visioUrl: 'https://cv.example.org/salle-42', startsAt: parisIn(3), endsAt: parisIn(4) });
      await postFrom(pauline, `/events/${id}`, `/events/${id}/inscription`);
      let page = await pauline.get(`/events/${id}`).expect(200);
      expect(page.text).not.to.contain('https://cv.example.org/salle-42');
      expect(page.text).to.contain("Le lien de la visioconférence s'affichera ici à partir du");
      await db().updateTable('events').set({ starts_at: new Date(Date.now() + 10 * 60_000) }).where('id', '=', id).execute();
      page = await pauline.get(`/events/${id}`).expect(200);
      expect(page.text).to.contain('href="https://cv.example.org/salle-42"');
      const other = await t.loginAs('rupn-chatellerault');
      expect((await other.get(`/events/${id}`).expect(200)).text).not.to.contain('cv.example.org');
      expect((await pauline.get(`/events/${id}/evenement.ics`).expect(200)).text).not.to.contain('cv.example.org');
    });
  });

  describe('after the event', () => {
    it('adds the replay and a document, tells the registrants, and exports attendance as CSV', async () => {
      const id = await createEvent(claire, { title: 'Webinaire terminé', startsAt: parisIn(2), endsAt: parisIn(3) });
      await postFrom(pauline, `/events/${id}`, `/events/${id}/inscription`);
      const elodie = await t.loginAs('rupn-poitiers');
      await postFrom(elodie, `/events/${id}`, `/events/${id}/inscription`);
      // The event took place.
      await db().updateTable('events').set({ starts_at: new Date(Date.now() - 2 * HOUR), ends_at: new Date(Date.now() - HOUR) }).where('id', '=', id).execute();

      const page = await claire.get(`/events/${id}`).expect(200);
      expect(page.text).to.contain(`action="/events/${id}/apres"`);
      const res = await claire
        .post(`/events/${id}/apres`)
        .field('_csrf', csrfFrom(page.text))
        .field('replayUrl', 'https://tube.example.org/w/replay-42')
        .field('documentTitle', 'Diaporama')
        .attach('document', Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n'), 'diaporama.pdf');
      expect(res.status, res.text.slice(0, 500)).to.equal(303);
      const seen = await pauline.get(`/events/${id}`).expect(200);
      expect(seen.text).to.contain('href="https://tube.example.org/w/replay-42"');
      const link = /href="(\/files\/[^"]+)">Diaporama/.exec(seen.text)![1]!;
      await pauline.get(link).expect(200);
      const karim = await t.loginAs('rupn');
      expect([403, 404]).to.include((await karim.get(link)).status);
      const notes = await db().selectFrom('notifications').select(['user_id', 'title']).where('kind', '=', 'events:update').where('url', '=', `/events/${id}`).execute();
      expect(notes).to.have.length(2);
      expect(notes[0]!.title).to.contain('le replay et le document « Diaporama »');

      // Attendance: Pauline came, Élodie did not.
      const attendance = await claire.get(`/events/${id}/presences`).expect(200);
      const paulineId = await userIdOf(t, 'nouvelle-rupn');
      await claire.post(`/events/${id}/presences`).type('form').send({ _csrf: csrfFrom(attendance.text), present: [String(paulineId)] }).expect(303);
      const csv = await claire.get(`/events/${id}/presences.csv`).expect(200);
      expect(csv.headers['content-type']).to.equal('text/csv; charset=utf-8');
      expect(csv.headers['content-disposition']).to.contain(`participants-evenement-${id}.csv`);
      const text = csv.text;
      expect(text.charCodeAt(0)).to.equal(0xfeff);
      const lines = text.slice(1).trim().split('\r\n');
      expect(lines[0]).to.equal('Nom;Prénom;Adresse électronique;Établissement;Inscription;Inscrit le;Présence');
      expect(lines.find((l) => l.startsWith('Girard;Pauline'))).to.match(/;Collège Henri IV;inscrit;\d{4}-\d{2}-\d{2};présent$/);
      expect(lines.find((l) => l.startsWith('Moreau;Élodie'))).to.match(/;absent$/);

      // Only organisers see the list.
      await pauline.get(`/events/${id}/presences.csv`).expect(403);
      await elodie.get(`/events/${id}/presences`).expect(403);
      // A replay link that is not https is refused.
      const again = await claire.get(`/events/${id}`).expect(200);
      const bad = await claire.post(`/events/${id}/apres`).field('_csrf', csrfFrom(again.text)).field('replayUrl', 'ftp://x');
      expect(bad.status).to.equal(422);
    });
  });
});
