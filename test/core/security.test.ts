import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import supertest from 'supertest';
import { createMaillon } from '../../server/app.js';
import { csrfFrom, startTestApp, type TestApp } from '../support/testApp.js';
import { productionSamlEnv } from '../support/samlIdp.js';

describe('security baseline and bad input', () => {
  let t: TestApp;
  const logLines: string[] = [];
  before(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    t = await startTestApp({ logger: pino({ level: 'info' }, sink) });
  });
  after(() => t.close());

  it('sends a strict Content-Security-Policy and the usual security headers', async () => {
    const res = await t.agent().get('/').expect(200);
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).to.contain("script-src 'self'");
    expect(csp).to.contain("frame-ancestors 'none'");
    expect(csp).to.contain("object-src 'none'");
    expect(csp).not.to.contain('unsafe-inline');
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    expect(res.headers['x-powered-by']).to.equal(undefined);
    expect(res.text, 'no inline script').not.to.match(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('sets an HttpOnly, SameSite session cookie only once a form needs it', async () => {
    const res = await t.agent().get('/auth/dev').expect(200);
    const cookie = (res.headers['set-cookie'] as unknown as string[])[0]!;
    expect(cookie).to.match(/^maillon\.sid=/);
    expect(cookie).to.contain('HttpOnly');
    expect(cookie).to.contain('SameSite=Lax');
  });

  it('answers unknown pages with a French 404, in HTML or JSON', async () => {
    const html = await t.agent().get('/nulle-part').expect(404);
    expect(html.text).to.contain('Page introuvable');
    expect(html.text).to.contain("Cette page n&#39;existe pas");
    const json = await t.agent().get('/nulle-part').set('Accept', 'application/json').expect(404);
    expect(json.body.error).to.include({ status: 404, title: 'Page introuvable' });
  });

  it('refuses a form without its CSRF token', async () => {
    const client = t.agent();
    await client.get('/auth/dev').expect(200);
    const res = await client.post('/auth/dev').type('form').send({ account: 'admin' }).expect(403);
    expect(res.text).to.contain('Le formulaire a expiré');
    const forged = await client.post('/auth/dev').type('form').send({ account: 'admin', _csrf: 'a'.repeat(64) }).expect(403);
    expect(forged.text).to.contain('Le formulaire a expiré');
  });

  it('refuses oversized, malformed and over-long input with clear messages', async () => {
    const client = t.agent();
    const page = await client.get('/auth/dev').expect(200);
    const token = csrfFrom(page.text);
    const big = await client.post('/auth/dev').type('form').send({ _csrf: token, account: 'x'.repeat(2 * 1024 * 1024) }).expect(413);
    expect(big.text).to.contain('trop volumineux');
    const malformed = await client.post('/auth/dev').set('Content-Type', 'application/json').set('Accept', 'application/json').send('{"account": ').expect(400);
    expect(malformed.body.error.message).to.equal('Le contenu envoyé est mal formé.');
    const long = await client.post('/auth/dev').type('form').send({ _csrf: token, account: 'y'.repeat(500) }).expect(400);
    expect(long.text).to.contain('« Compte »');
    const unknown = await client.post('/auth/dev').type('form').send({ _csrf: token, account: 'personne' }).expect(400);
    expect(unknown.text).to.contain("Ce compte de démonstration n&#39;existe pas");
  });

  it('never redirects off-site after login', async () => {
    const client = t.agent();
    const page = await client.get('/auth/dev?next=//evil.example/x').expect(200);
    expect(page.text).to.contain('name="next" value="/"');
    const res = await client.post('/auth/dev').type('form').send({ _csrf: csrfFrom(page.text), account: 'rupn', next: 'https://evil.example' }).expect(303);
    expect(res.headers.location).to.equal('/');
    const login = await client.get('/login?next=%2F%2Fevil.example').expect(303);
    expect(login.headers.location).to.equal('/');
  });

  it('keeps session ids and cookies out of the logs', async () => {
    const client = await t.loginAs('admin');
    const cookie = (await client.get('/').expect(200)).request.cookies;
    const sid = decodeURIComponent(/maillon\.sid=([^;]+)/.exec(cookie)![1]!);
    const logs = logLines.join('');
    expect(logs).to.contain('request completed');
    expect(logs).not.to.contain(sid.slice(4, 30));
    expect(logs).not.to.contain('maillon.sid');
  });
});

describe('login rate limit', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ env: { LOGIN_RATE_LIMIT: '3' } });
  });
  after(() => t.close());

  it('answers the fourth attempt in five minutes with a French 429 and Retry-After', async () => {
    const client = t.agent();
    for (let i = 0; i < 3; i++) {
      const page = await client.get('/auth/dev').expect(200);
      await client.post('/auth/dev').type('form').send({ _csrf: csrfFrom(page.text), account: 'personne' }).expect(400);
    }
    const page = await client.get('/auth/dev').expect(200);
    const res = await client.post('/auth/dev').type('form').send({ _csrf: csrfFrom(page.text), account: 'admin' }).expect(429);
    expect(res.text).to.contain('Trop de tentatives de connexion');
    expect(Number(res.headers['retry-after'])).to.be.greaterThan(0);
  });
});

describe('login rate limit across processes', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ env: { LOGIN_RATE_LIMIT: '3', JOBS_RUNNER: 'false' } });
  });
  after(() => t.close());

  const attempt = async (client: supertest.Agent) => {
    const page = await client.get('/auth/dev').expect(200);
    return (await client.post('/auth/dev').type('form').send({ _csrf: csrfFrom(page.text), account: 'personne' })).status;
  };

  it('counts the attempts made through every process on the database, and forgets them once the window is over', async () => {
    // A second Maillon on the same database, as WEB_CONCURRENCY=2 or a restart would have.
    const other = await createMaillon(t.config, { database: t.testDb.database, env: { LOGIN_RATE_LIMIT: '3', JOBS_RUNNER: 'false' } });
    try {
      const here = t.agent();
      const there = supertest.agent(other.app);
      expect([await attempt(here), await attempt(there), await attempt(here)]).to.deep.equal([400, 400, 400]);
      // Three attempts in all: the fourth is refused wherever it is made.
      expect(await attempt(there)).to.equal(429);
      expect(await attempt(here)).to.equal(429);

      const db = t.maillon.core.db;
      await db.updateTable('rate_limit_hits').set({ reset_at: new Date(Date.now() - 1000) }).where('key', 'like', 'login:%').execute();
      await t.maillon.core.jobs.enqueue('rate-limits:prune', {});
      await t.maillon.core.jobs.drain();
      expect(await db.selectFrom('rate_limit_hits').select('key').where('key', 'like', 'login:%').execute()).to.deep.equal([]);
      expect(await attempt(there)).to.equal(400);
    } finally {
      await other.close();
    }
  });
});

describe('production mode', () => {
  let t: TestApp;
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'maillon-prod-'));
    t = await startTestApp({
      seedDemo: false,
      env: { NODE_ENV: 'production', SESSION_SECRET: 's'.repeat(40), BASE_URL: 'https://maillon.example', ...(await productionSamlEnv(dir)) },
    });
  });
  after(async () => {
    await t.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('has no development login: 404 on its paths, no link on the login page', async () => {
    const get = await t.agent().get('/auth/dev').expect(404);
    expect(get.text).to.contain('Page introuvable');
    await t.agent().post('/auth/dev').type('form').send({ account: 'admin' }).expect(404);
    const login = await t.agent().get('/login').expect(200);
    expect(login.text).not.to.contain('/auth/dev');
    expect(login.text).not.to.contain('démonstration');
    expect(login.text).to.contain('<option value="ac-poitiers"');
  });

  it('sends HSTS', async () => {
    const res = await t.agent().get('/').expect(200);
    expect(res.headers['strict-transport-security']).to.contain('max-age=31536000');
  });
});
