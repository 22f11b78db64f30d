import path from 'node:path';
import { expect } from 'chai';
import ICAL from 'ical.js';
import type supertest from 'supertest';
import { ROOT, startTestApp, type TestApp } from '../support/testApp.js';
import { createEvent, eventFields, postEvent, postFrom } from './helpers.js';

const PLUGINS = [path.join(ROOT, 'plugins', 'events')];

/** Parses an iCalendar text with ical.js, registering its time zones as a calendar application would. */
function parseCalendar(text: string) {
  const root = new ICAL.Component(ICAL.parse(text));
  for (const tz of root.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(tz);
  return {
    root,
    events: root.getAllSubcomponents('vevent').map((c) => {
      const e = new ICAL.Event(c);
      return {
        uid: e.uid,
        summary: e.summary,
        sequence: e.sequence,
        status: String(c.getFirstPropertyValue('status')),
        start: e.startDate.toJSDate(),
        end: e.endDate.toJSDate(),
        tzid: e.startDate.zone?.tzid,
        description: e.description,
        location: e.location,
      };
    }),
  };
}

describe('events: calendars and iCal', () => {
  let t: TestApp;
  let claire: supertest.Agent;
  let pauline: supertest.Agent;

  before(async function () {
    // Starting the platform can take a while on a loaded machine.
    this.timeout(180_000);
    t = await startTestApp({ pluginDirs: PLUGINS, env: { JOBS_RUNNER: 'false' } });
    claire = await t.loginAs('dane');
    pauline = await t.loginAs('nouvelle-rupn');
  });
  after(async () => {
    await t?.close();
    ICAL.TimezoneService.reset();
  });

  it('gives each event an .ics in Europe/Paris that an independent parser reads at the right instants, winter and summer', async () => {
    const winter = await createEvent(claire, { title: 'Webinaire, hiver; « accents »', startsAt: '2027-01-15T14:00', endsAt: '2027-01-15T15:30' });
    const summer = await createEvent(claire, { title: 'Webinaire d’été', startsAt: '2027-06-10T09:00', endsAt: '2027-06-10T10:00' });
    let res = await pauline.get(`/events/${winter}/evenement.ics`).expect(200);
    expect(res.headers['content-type']).to.equal('text/calendar; charset=utf-8');
    expect(res.text).to.contain('BEGIN:VTIMEZONE\r\nTZID:Europe/Paris');
    expect(res.text).to.contain('DTSTART;TZID=Europe/Paris:20270115T140000');
    let cal = parseCalendar(res.text);
    expect(cal.events).to.have.length(1);
    expect(cal.events[0]!.tzid).to.equal('Europe/Paris');
    expect(cal.events[0]!.start.toISOString()).to.equal('2027-01-15T13:00:00.000Z');
    expect(cal.events[0]!.end.toISOString()).to.equal('2027-01-15T14:30:00.000Z');
    expect(cal.events[0]!.summary).to.equal('Webinaire, hiver; « accents »');
    expect(cal.events[0]!.uid).to.match(new RegExp(`^event-${winter}@127\\.0\\.0\\.1$`));
    expect(cal.events[0]!.status).to.equal('CONFIRMED');
    res = await pauline.get(`/events/${summer}/evenement.ics`).expect(200);
    cal = parseCalendar(res.text);
    expect(cal.events[0]!.start.toISOString()).to.equal('2027-06-10T07:00:00.000Z');
    // Lines are folded at 75 octets.
    expect(res.text.split('\r\n').every((l) => Buffer.byteLength(l) <= 75)).to.equal(true);
    const karim = await t.loginAs('rupn');
    await karim.get(`/events/${winter}/evenement.ics`).expect(404);
  });

  it('serves a personal feed by secret token that follows moves (SEQUENCE) and cancellations, and can be regenerated or revoked', async () => {
    const id = await createEvent(claire, { title: 'Regroupement suivi', startsAt: '2027-02-04T09:00', endsAt: '2027-02-04T12:00' });
    await postFrom(pauline, `/events/${id}`, `/events/${id}/inscription`);
    let page = await pauline.get('/events/mon-agenda').expect(200);
    expect(page.text).to.contain("Créer mon adresse d'agenda");
    await postFrom(pauline, '/events/mon-agenda', '/events/mon-agenda/regenerer').then((r) => expect(r.status).to.equal(303));
    page = await pauline.get('/events/mon-agenda').expect(200);
    const feedUrl = /value="(http[^"]+\/events\/flux\/[^"]+\.ics)"/.exec(page.text)![1]!;
    const feedPath = new URL(feedUrl).pathname;

    // No session: the token is the key.
    const anonymous = t.agent();
    let feed = parseCalendar((await anonymous.get(feedPath).expect(200)).text);
    const first = feed.events.find((e) => e.summary === 'Regroupement suivi')!;
    expect(first.sequence).to.equal(0);
    expect(first.start.toISOString()).to.equal('2027-02-04T08:00:00.000Z');

    // The coordinator moves it by an hour: same UID, SEQUENCE 1, new time.
    const fields = eventFields({ title: 'Regroupement suivi', startsAt: '2027-02-04T10:00', endsAt: '2027-02-04T13:00' });
    const res = await postEvent(claire, fields, `/events/${id}/modifier`);
    expect(res.status).to.equal(303);
    feed = parseCalendar((await anonymous.get(feedPath).expect(200)).text);
    const moved = feed.events.find((e) => e.uid === first.uid)!;
    expect(moved.sequence).to.equal(1);
    expect(moved.start.toISOString()).to.equal('2027-02-04T09:00:00.000Z');
    const notified = await t.maillon.core.db.selectFrom('notifications').select('title').where('kind', '=', 'events:update').where('url', '=', `/events/${id}`).execute();
    expect(notified.map((n) => n.title)).to.deep.equal(["Changement d'horaire : « Regroupement suivi »"]);

    // Cancelled: still in the feed, STATUS:CANCELLED, SEQUENCE 2.
    await postFrom(claire, `/events/${id}`, `/events/${id}/annuler`).then((r) => expect(r.status).to.equal(303));
    feed = parseCalendar((await anonymous.get(feedPath).expect(200)).text);
    const cancelled = feed.events.find((e) => e.uid === first.uid)!;
    expect(cancelled.status).to.equal('CANCELLED');
    expect(cancelled.sequence).to.equal(2);
    const cancelledPage = (await claire.get(`/events/${id}`).expect(200)).text;
    // Said once, in the banner; the registration part says what it means for a seat.
    expect(cancelledPage.split('Cet événement est annulé.')).to.have.length(2);
    expect(cancelledPage).to.contain('Pas d&#39;inscription : l&#39;événement est annulé.');

    // A new address: the old one stops working.
    await postFrom(pauline, '/events/mon-agenda', '/events/mon-agenda/regenerer');
    await anonymous.get(feedPath).expect(404);
    page = await pauline.get('/events/mon-agenda').expect(200);
    const newPath = new URL(/value="(http[^"]+\.ics)"/.exec(page.text)![1]!).pathname;
    expect(newPath).not.to.equal(feedPath);
    await anonymous.get(newPath).expect(200);
    await postFrom(pauline, '/events/mon-agenda', '/events/mon-agenda/revoquer');
    await anonymous.get(newPath).expect(404);
    await anonymous.get('/events/flux/nimporte-quoi.ics').expect(404);
    await anonymous.get('/events/flux/%2e%2e.ics').expect(404);
  });

  it('shows the month grid with the events of the month, and the list view', async () => {
    const id = await createEvent(claire, { title: 'Café du mois de mars', startsAt: '2027-03-17T16:30', endsAt: '2027-03-17T17:30' });
    const month = await pauline.get('/events/calendrier?mois=2027-03').expect(200);
    expect(month.text).to.contain('Calendrier — mars 2027');
    expect(month.text).to.match(new RegExp(`<span class="day-number"><span class="month__weekday">mercredi </span>17</span>\\s*<ul>\\s*<li>16:30 <a href="/events/${id}">Café du mois de mars</a>`));
    expect(month.text).to.contain('href="/events/calendrier?mois=2027-04"');
    expect(month.text).to.contain('href="/events/calendrier?mois=2027-02"');
    await pauline.get('/events/calendrier?mois=nawak').expect(200);
    const list = await pauline.get('/events').expect(200);
    expect(list.text).to.contain('Café du mois de mars');
    // A CSRF-less post is refused.
    await pauline.post(`/events/${id}/inscription`).type('form').send({}).expect(403);
  });
});
