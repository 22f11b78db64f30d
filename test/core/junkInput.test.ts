import path from 'node:path';
import { expect } from 'chai';
import type supertest from 'supertest';
import { TINY_PNG } from '../support/factories.js';
import { ROOT, csrfFrom, startTestApp, type TestApp } from '../support/testApp.js';

/**
 * Every route the plugins and the core declare, asked with junk by a visitor, a RUPN, a chef
 * d'établissement, a DANE member and an admin: ids that are not numbers or name nothing, over-long segments, bad percent-encoding,
 * query strings and form fields of the wrong shape (arrays, nested objects, impossible dates).
 * None of it may reach the error handler as a bug: a 5xx here is a crash a person would see.
 */
describe('core: junk input on every route', function () {
  this.timeout(300_000);
  let t: TestApp;

  before(async () => {
    t = await startTestApp({ contentDir: path.join(ROOT, 'content'), env: { JOBS_RUNNER: 'false' } });
  });
  after(() => t.close());

  const SEGMENTS = ['1', '999999', 'abc', '%E9%', '%00', '-1', 'x'.repeat(300)];
  const QUERY = '?page=-1&q=%00%27%22%E9&tout=1&etat=zzz&categorie[]=1&auteur[x]=y&du=2020-99-99&au=abc&before=abc&around=-5&extrait[]=a';
  const BODIES: Record<string, unknown>[] = [
    {},
    {
      title: ['un', 'deux'],
      body: { x: '1' },
      id: 'abc',
      when: 'later',
      day: '2026-13-45',
      time: '99:99',
      page: '-3',
      category: 'abc',
      state: 'zzz',
      role: ['admin', 'dane'],
      roles: 'nope',
      answers: { '1': ['a', 'b'], x: { y: 'z' } },
      version: 'NaN',
      uai: '<script>',
      email: 'pas-une-adresse',
      capacity: '-10',
      starts_at: 'demain',
      q: 'x'.repeat(5000),
      summary: 'un chapeau\u0000 coupé',
      name: 'Groupe\u0000',
      reason: 'signalé\u0000',
    },
  ];

  // Routes that end the session would leave the rest of the sweep unauthenticated.
  const endsSession = (p: string) => /deconnexion|logout|\/auth\//.test(p);

  async function sweep(client: supertest.Agent, who: string): Promise<string[]> {
    // A visitor's token comes from a public form (the development login page).
    const token = csrfFrom((await client.get(who === 'visitor' ? '/auth/dev' : '/profile').expect(200)).text);
    const failures: string[] = [];
    const routes = t.maillon.core.registry.routes.filter((r) => !endsSession(r.path) && (r.method === 'GET' || r.method === 'POST'));
    expect(routes.length).to.be.greaterThan(100);
    for (const route of routes) {
      const params = route.path.match(/:\w+/g) ?? [];
      const paths = params.length ? SEGMENTS.map((s) => route.path.replace(/:\w+/g, s)) : [route.path];
      for (const p of paths) {
        if (route.method === 'GET') {
          for (const url of [p, p + QUERY]) {
            const res = await client.get(url).set('Accept', 'text/html');
            if (res.status >= 500) failures.push(`${who} GET ${url} → ${res.status}`);
          }
        } else {
          for (const body of BODIES) {
            const res = await client.post(p).type('form').set('X-CSRF-Token', token).send({ _csrf: token, ...body });
            if (res.status >= 500) failures.push(`${who} POST ${p} ${JSON.stringify(body).slice(0, 60)} → ${res.status}`);
          }
          const json = await client.post(p).set('X-CSRF-Token', token).set('Content-Type', 'application/json').send('{"title": [1, {"a": null}], "body": 5');
          if (json.status >= 500) failures.push(`${who} POST ${p} (JSON tronqué) → ${json.status}`);
          // Multipart, as the upload forms send: text fields with a NUL, a file that is no image.
          const multipart = await client
            .post(p)
            .set('X-CSRF-Token', token)
            .field('_csrf', token)
            .field('alt', 'x\u0000y')
            .field('title', 'z\u0000')
            .attach('image', Buffer.from([0x00, 0x01, 0xff]), 'image.png')
            .attach('document', Buffer.from('\u0000'), 'notes.pdf');
          if (multipart.status >= 500) failures.push(`${who} POST ${p} (multipart) → ${multipart.status}`);
        }
      }
    }
    return failures;
  }

  it('refuses a path holding %00 and drops the character from query strings and forms', async () => {
    const rupn = await t.loginAs('rupn');
    const refused = await rupn.get('/forums/c/depar%00tement-86').set('Accept', 'text/html').expect(400);
    expect(refused.text).to.contain('Cette adresse contient un caractère invalide.');
    const found = await rupn.get('/mission/annuaire?q=Ben%00ali').set('Accept', 'text/html').expect(200);
    expect(found.text).to.contain('Karim Benali');
    const form = await rupn.get('/forums/c/departement-86/nouveau').expect(200);
    const created = await rupn
      .post('/forums/c/departement-86/nouveau')
      .type('form')
      .send({ _csrf: csrfFrom(form.text), title: 'Un titre\u0000 collé', body: 'Un texte copié\u0000 depuis un PDF.' })
      .expect(303);
    const topic = await rupn.get(created.headers.location!).expect(200);
    expect(topic.text).to.contain('Un titre collé');
    expect(topic.text).to.contain('Un texte copié depuis un PDF.');
    // A multipart form, read by its route's own parser: its text fields lose the character too.
    const dane = await t.loginAs('dane');
    const list = await dane.get('/newsletter/redaction').expect(200);
    const issue = await dane.post('/newsletter/redaction').type('form').send({ _csrf: csrfFrom(list.text), title: 'La LINE collée' }).expect(303);
    await dane
      .post(`${issue.headers.location!}/images`)
      .field('_csrf', csrfFrom(list.text))
      .field('alt', 'La salle\u0000 informatique')
      .attach('image', TINY_PNG, 'salle.png')
      .expect(303);
    const editor = await dane.get(issue.headers.location!).expect(200);
    expect(editor.text).to.match(/!\[La salle informatique\]\(\/files\/[^)]+\/salle\.png\)/);
  });

  const PEOPLE: Record<string, string> = { visitor: 'a visitor', rupn: 'a RUPN', chef: "a chef d'établissement", dane: 'a DANE member', admin: 'an admin' };
  for (const [who, label] of Object.entries(PEOPLE)) {
    it(`answers junk from ${label} without a server error`, async () => {
      const failures = await sweep(who === 'visitor' ? t.agent() : await t.loginAs(who), who);
      expect(failures, failures.join('\n')).to.deep.equal([]);
    });
  }
});
