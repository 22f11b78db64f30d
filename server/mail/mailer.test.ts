import path from 'node:path';
import { expect } from 'chai';
import supertest from 'supertest';
import { FIXTURES, csrfFrom, startTestApp, type TestApp } from '../../test/support/testApp.js';
import { freePort, startSmtpSink, type SmtpSink } from '../../test/support/smtpSink.js';
import type { ParsedMail } from 'mailparser';
import { createMaillon } from '../app.js';

const SHOWCASE = path.join(FIXTURES, 'plugins', 'showcase');
const apps: TestApp[] = [];
async function app(env: Record<string, string> = {}): Promise<TestApp> {
  const t = await startTestApp({ pluginDirs: [SHOWCASE], env: { JOBS_RUNNER: 'false', MAIL_RATE_PER_SECOND: '0', ...env } });
  apps.push(t);
  return t;
}
const outbox = (t: TestApp) => t.maillon.core.db.selectFrom('mail_outbox').selectAll().orderBy('id').execute();
/** Time passes: the backoff of every waiting job is over. */
const fastForward = (t: TestApp) => t.maillon.core.db.updateTable('jobs').set({ run_at: new Date() }).where('state', '=', 'queued').execute();
/** A header as it travelled, unfolded. */
const header = (mail: ParsedMail, name: string) =>
  mail.headerLines.find((h) => h.key === name)!.line.slice(name.length + 1).replace(/\r?\n\s+/g, ' ').trim();
const letter = (to: string) => ({ to, subject: 'Bienvenue dans la lettre', markdown: 'Bonjour, voici **la lettre**.', list: 'showcase:letter' });

describe('mail', () => {
  after(async () => {
    for (const t of apps) await t.close();
  });

  describe('without SMTP_URL (the embedded default)', () => {
    let t: TestApp;
    before(async () => {
      t = await app();
    });

    it('keeps every mail in the outbox, readable by an admin, and loses nothing', async () => {
      const dane = await t.loginAs('dane');
      const page = await dane.get('/').expect(200);
      const res = await dane.post('/showcase/letter').set('X-CSRF-Token', csrfFrom(page.text)).send({ to: 'zoe.martin@ac-poitiers.fr', name: 'Zoé' }).expect(200);
      expect(res.body.state).to.equal('queued');
      expect((await outbox(t))[0]).to.include({ state: 'queued', to_address: 'zoe.martin@ac-poitiers.fr' });
      await t.maillon.core.jobs.drain();
      const [kept] = await outbox(t);
      expect(kept).to.include({ state: 'kept', attempts: 1, list: 'showcase:letter' });
      expect(kept!.html).to.contain('<h1>Bienvenue Zoé</h1>');
      expect(kept!.text).to.contain('BIENVENUE ZOÉ');
      expect(kept!.text).to.match(/Se désabonner : http:\/\/localhost:\d+\/unsubscribe\//);

      const admin = await t.loginAs('admin');
      const list = await admin.get('/admin/outbox').expect(200);
      expect(list.text).to.contain("Aucun serveur d'envoi n'est configuré");
      expect(list.text).to.contain('Bienvenue dans la lettre');
      expect(list.text).to.contain('Conservé (sans serveur SMTP)');
      const message = await admin.get(`/admin/outbox/${kept!.id}`).expect(200);
      expect(message.text).to.contain('zoe.martin@ac-poitiers.fr');
      expect(message.text).to.contain('List-Unsubscribe-Post');
      await dane.get('/admin/outbox').expect(403);
      await (await t.loginAs('rupn')).get(`/admin/outbox/${kept!.id}`).expect(403);
    });

    it('refuses a malformed address with a clear 400 and stores nothing', async () => {
      const before = (await outbox(t)).length;
      const dane = await t.loginAs('dane');
      const page = await dane.get('/').expect(200);
      for (const to of ['pas-une-adresse', 'a@b', 'x@exemple.fr\r\nBcc: victime@exemple.fr']) {
        const res = await dane.post('/showcase/letter').set('X-CSRF-Token', csrfFrom(page.text)).set('Accept', 'application/json').send({ to }).expect(400);
        expect(res.body.error.message).to.match(/^L'adresse électronique « [^\r\n]* » n'est pas valide\.$/);
        expect(res.body.error.field).to.equal('to');
      }
      expect(await outbox(t)).to.have.length(before);
    });
  });

  describe('over SMTP', () => {
    let t: TestApp;
    let sink: SmtpSink;
    before(async () => {
      sink = await startSmtpSink({ reject: (address) => address.startsWith('inconnu@') });
      t = await app({ SMTP_URL: sink.url, MAIL_FROM: 'DANE de Poitiers <dane@ac-poitiers.example>' });
    });
    after(() => sink.close());

    it('sends a French HTML and text mail with one-click unsubscribe headers, once', async () => {
      const { id } = await t.maillon.core.mail.send(letter('karim.benali@ac-poitiers.fr'));
      await t.maillon.core.jobs.drain();
      await t.maillon.core.jobs.drain();
      expect(sink.count).to.equal(1);
      const mail = sink.messages[0]!;
      expect(mail.subject).to.equal('Bienvenue dans la lettre');
      expect(mail.from!.value).to.deep.equal([{ name: 'DANE de Poitiers', address: 'dane@ac-poitiers.example' }]);
      expect(mail.html).to.contain('<strong>la lettre</strong>');
      expect(mail.html).to.contain('<html lang="fr">');
      expect(mail.text).to.contain('Bonjour, voici la lettre.');
      const unsubscribe = header(mail, 'list-unsubscribe');
      expect(unsubscribe).to.match(/^<http:\/\/localhost:\d+\/unsubscribe\/[\w-]+\.[\w-]+>$/);
      expect(header(mail, 'list-unsubscribe-post')).to.equal('List-Unsubscribe=One-Click');
      const [row] = (await outbox(t)).filter((m) => m.id === id);
      expect(row).to.include({ state: 'sent', attempts: 1 });
      expect(mail.messageId).to.equal(row!.message_id);
    });

    it('sends the files that go with a message, shows them in the outbox, and refuses a name that could break a header', async () => {
      const ics = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nSUMMARY:Atelier à Niort\r\nEND:VCALENDAR\r\n';
      const attachments = [{ filename: 'evenement-7.ics', contentType: 'text/calendar; method=PUBLISH', content: ics }];
      const { id } = await t.maillon.core.mail.send({ to: 'julien.garnier@ac-poitiers.fr', subject: 'Avec agenda', markdown: 'Le fichier est joint.', attachments });
      await t.maillon.core.jobs.drain();
      const mail = sink.messages.find((m) => m.subject === 'Avec agenda')!;
      expect(mail.text).to.contain('Le fichier est joint.');
      expect(mail.attachments.map((a) => [a.filename, a.contentType, a.content.toString('utf8')])).to.deep.equal([['evenement-7.ics', 'text/calendar', ics]]);
      const admin = await t.loginAs('admin');
      const page = await admin.get(`/admin/outbox/${id}`).expect(200);
      expect(page.text).to.contain('<code>evenement-7.ics</code> (text/calendar; method=PUBLISH,');

      const before = (await outbox(t)).length;
      const refusals = [
        [{ ...attachments[0]!, filename: 'x"\r\nBcc: y@z.fr' }, /^nom de pièce jointe refusé/],
        [{ ...attachments[0]!, contentType: 'text/plain\r\nBcc: y@z.fr' }, /^type de pièce jointe refusé/],
        [{ ...attachments[0]!, content: 'x'.repeat(1_000_001) }, /^pièces jointes de plus de 1 Mo$/],
      ] as const;
      for (const [bad, reason] of refusals) {
        let refused: Error | null = null;
        await t.maillon.core.mail.send({ to: 'julien.garnier@ac-poitiers.fr', subject: 'Refusé', markdown: 'x', attachments: [bad] }).catch((e: Error) => (refused = e));
        expect(refused, bad.filename).to.be.instanceOf(Error);
        expect(refused!.message).to.match(reason);
      }
      expect(await outbox(t)).to.have.length(before);
    });

    it('unsubscribes in one click without a login, and no longer sends to that list', async () => {
      await t.maillon.core.mail.send(letter('lea.petit@ac-poitiers.fr'));
      await t.maillon.core.jobs.drain();
      const mail = sink.messages.find((m) => m.to && 'text' in m.to && m.to.text === 'lea.petit@ac-poitiers.fr')!;
      const link = /<([^>]+)>/.exec(header(mail, 'list-unsubscribe'))![1]!;
      const pathname = new URL(link).pathname;
      const stranger = supertest(t.url);

      // Opening the link (a scanner, a preview) changes nothing: the page asks to confirm.
      const page = await stranger.get(pathname).expect(200);
      expect(page.text).to.contain('Me désabonner');
      expect(await t.maillon.core.mail.isUnsubscribed('lea.petit@ac-poitiers.fr', 'showcase:letter')).to.equal(false);

      // What a mail client sends for List-Unsubscribe-Post, cross-site, without cookies or CSRF token.
      await stranger.post(pathname).type('form').send('List-Unsubscribe=One-Click').expect(200, 'Désabonnement enregistré.');
      expect(await t.maillon.core.mail.isUnsubscribed('Lea.Petit@ac-poitiers.fr', 'showcase:letter')).to.equal(true);
      const after = await stranger.get(pathname).expect(200);
      expect(after.text).to.contain('ne reçoit plus les courriels de la liste « Lettre de la vitrine »');
      const audit = await t.maillon.core.db.selectFrom('audit_log').select('details').where('action', '=', 'mail.unsubscribe').execute();
      expect(audit.map((a) => a.details)).to.deep.include({ list: 'showcase:letter' });

      const count = sink.count;
      expect(await t.maillon.core.mail.send(letter('lea.petit@ac-poitiers.fr'))).to.deep.equal({ id: null, state: 'skipped' });
      await t.maillon.core.jobs.drain();
      expect(sink.count).to.equal(count);
      // Another person on the same list still gets it.
      await t.maillon.core.mail.send(letter('paul.roux@ac-poitiers.fr'));
      await t.maillon.core.jobs.drain();
      expect(sink.count).to.equal(count + 1);
    });

    it('queues a batch in order, skipping those who left the list, and refuses a batch with a malformed address', async () => {
      const mail = t.maillon.core.mail;
      await mail.unsubscribe({ email: 'parti@ac-poitiers.fr', list: 'showcase:letter', userId: null }, null);
      const count = (await outbox(t)).length;
      await mail.sendMany([letter('un@ac-poitiers.fr'), letter('pas une adresse')]).then(
        () => expect.fail('batch accepted'),
        (e: Error) => expect(e.message).to.contain('« pas une adresse »'),
      );
      expect(await outbox(t)).to.have.length(count);
      const addresses = Array.from({ length: 1200 }, (_, i) => `lot${i}@ac-poitiers.fr`);
      addresses.splice(700, 0, 'PARTI@ac-poitiers.fr');
      const results = await mail.sendMany(addresses.map(letter));
      expect(results[700]).to.deep.equal({ id: null, state: 'skipped' });
      const queued = results.filter((r) => r.state === 'queued');
      expect(queued).to.have.length(1200);
      const rows = new Map((await outbox(t)).map((r) => [Number(r.id), r.to_address]));
      results.forEach((r, i) => r.id !== null && expect(rows.get(r.id)).to.equal(addresses[i]));
      const before = sink.count;
      await t.maillon.core.jobs.drain();
      await sink.waitFor(before + 1200);
      expect(sink.count).to.equal(before + 1200);
    });

    it('refuses forged or damaged unsubscribe links with a 400', async () => {
      const tokens = t.maillon.core.mail.tokens;
      const genuine = tokens.sign({ email: 'paul.roux@ac-poitiers.fr', list: 'showcase:letter', userId: null });
      const [body, mac] = genuine.split('.');
      const forgedBody = Buffer.from(JSON.stringify(['victime@ac-poitiers.fr', 'showcase:letter', null])).toString('base64url');
      for (const token of [`${forgedBody}.${mac}`, `${body}.${mac!.slice(0, -2)}xx`, 'nimportequoi', `${genuine}.extra`]) {
        const res = await supertest(t.url).post(`/unsubscribe/${token}`).type('form').send('List-Unsubscribe=One-Click').expect(400);
        expect(res.text).to.contain("Ce lien de désabonnement n&#39;est pas valide");
      }
      expect(await t.maillon.core.mail.isUnsubscribed('victime@ac-poitiers.fr', 'showcase:letter')).to.equal(false);
    });

    it('marks a message refused by the server (550) failed at once with the reason, and an admin can send it again', async () => {
      const { id } = await t.maillon.core.mail.send({ to: 'inconnu@ac-poitiers.fr', subject: 'Essai', text: 'Bonjour' });
      await t.maillon.core.jobs.drain();
      const row = (await outbox(t)).find((m) => m.id === id)!;
      expect(row.state).to.equal('failed');
      expect(row.last_error).to.match(/^550 /);
      const admin = await t.loginAs('admin');
      const page = await admin.get(`/admin/outbox/${id}`).expect(200);
      expect(page.text).to.contain('Renvoyer ce courriel');
      await admin.post(`/admin/outbox/${id}/retry`).type('form').send({ _csrf: csrfFrom(page.text) }).expect(303);
      expect((await outbox(t)).find((m) => m.id === id)!.state).to.equal('queued');
      const job = await t.maillon.core.db.selectFrom('jobs').select(['state']).where('unique_key', '=', `mail:${id}`).executeTakeFirstOrThrow();
      expect(job.state).to.equal('queued');
      await admin.post(`/admin/outbox/${id}/retry`).type('form').send({ _csrf: csrfFrom(page.text) }).expect(409);
    });
  });

  it('keeps mails queued with the reason while the SMTP server is unreachable, then sends each once after a restart', async () => {
    const port = await freePort();
    const t = await app({ SMTP_URL: `smtp://127.0.0.1:${port}` });
    for (const to of ['a.durand@ac-poitiers.fr', 'b.durand@ac-poitiers.fr']) await t.maillon.core.mail.send(letter(to));
    await t.maillon.core.jobs.drain();
    for (const row of await outbox(t)) {
      expect(row).to.include({ state: 'queued', attempts: 1 });
      expect(row.last_error).to.contain('ECONNREFUSED');
    }
    await t.maillon.close();

    // The server comes back, and so does Maillon, on the same database.
    const sink = await startSmtpSink({ port });
    const again = await createMaillon(t.config, { database: t.testDb.database });
    try {
      await fastForward(t);
      await again.core.jobs.drain();
      await fastForward(t);
      await again.core.jobs.drain();
      expect(sink.count).to.equal(2);
      expect(sink.messages.map((m) => (m.to && 'text' in m.to ? m.to.text : '')).sort()).to.deep.equal(['a.durand@ac-poitiers.fr', 'b.durand@ac-poitiers.fr']);
      for (const row of await outbox(t)) expect(row).to.include({ state: 'sent', attempts: 2 });
    } finally {
      await again.close();
      await sink.close();
    }
  });

  it('throttles sending to MAIL_RATE_PER_SECOND', async () => {
    const sink = await startSmtpSink();
    const t = await app({ SMTP_URL: sink.url, MAIL_RATE_PER_SECOND: '2' });
    try {
      for (let i = 0; i < 5; i++) await t.maillon.core.mail.send({ to: `lent${i}@ac-poitiers.fr`, subject: `Message ${i}`, text: 'Bonjour' });
      const started = performance.now();
      await t.maillon.core.jobs.drain();
      // Two per second: the fifth cannot leave before two full seconds have passed.
      expect(performance.now() - started).to.be.at.least(1900);
      expect(sink.count).to.equal(5);
    } finally {
      await sink.close();
    }
  });
});
