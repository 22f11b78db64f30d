import path from 'node:path';
import { expect } from 'chai';
import { FIXTURES, csrfFrom, startTestApp, type TestApp } from '../../test/support/testApp.js';

const SHOWCASE = path.join(FIXTURES, 'plugins', 'showcase');

describe('admin pages of the shared services', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ pluginDirs: [SHOWCASE], env: { JOBS_RUNNER: 'false' } });
    t.maillon.core.jobs.define('test', 'test:doomed', async () => {
      throw new Error('Le serveur de la collectivité ne répond pas');
    }, { maxAttempts: 1 });
  });
  after(() => t?.close());

  it('lists jobs by state with the reason of failures; the DANE may look, only an admin may retry', async () => {
    const { id } = await t.maillon.core.jobs.enqueue('test:doomed', { n: 1 });
    await t.maillon.core.jobs.drain();
    const dane = await t.loginAs('dane');
    const page = await dane.get('/admin/jobs').query({ state: 'failed' }).expect(200);
    expect(page.text).to.contain('<code class="job-kind">test:doomed</code>');
    expect(page.text).to.contain('Le serveur de la collectivité ne répond pas');
    expect(page.text).not.to.contain('Relancer');
    await dane.post(`/admin/jobs/${id}/retry`).type('form').send({ _csrf: csrfFrom(page.text) }).expect(403);
    await (await t.loginAs('rupn')).get('/admin/jobs').expect(403);

    const admin = await t.loginAs('admin');
    const adminPage = await admin.get('/admin/jobs').query({ state: 'failed', kind: 'test:doomed' }).expect(200);
    expect(adminPage.text).to.contain(`Relancer<span class="visually-hidden"> la tâche n° ${id}</span>`);
    await admin.post(`/admin/jobs/${id}/retry`).type('form').send({ _csrf: csrfFrom(adminPage.text) }).expect(303);
    const job = await t.maillon.core.db.selectFrom('jobs').select(['state', 'max_attempts']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(job).to.deep.equal({ state: 'queued', max_attempts: 2 });
    await admin.post(`/admin/jobs/${id}/retry`).type('form').send({ _csrf: csrfFrom(adminPage.text) }).expect(409);
    const audit = await t.maillon.core.db.selectFrom('audit_log').select('target_id').where('action', '=', 'jobs.retry').execute();
    expect(audit.map((a) => a.target_id)).to.include(String(id));
    await admin.get('/admin/jobs/abc/retry').expect(404);
    await admin.get('/admin/jobs').query({ state: 'nimportequoi', page: '-3' }).expect(200);
  });

  it('lets a plugin follow the progress of its job, and admins read it as JSON', async () => {
    const dane = await t.loginAs('dane');
    const token = csrfFrom((await dane.get('/').expect(200)).text);
    const { id } = (await dane.post('/showcase/count').set('X-CSRF-Token', token).send({ items: 25 }).expect(200)).body as { id: number };
    expect((await dane.get(`/showcase/jobs/${id}`).expect(200)).body).to.deep.equal({ state: 'queued', progress: null });
    await t.maillon.core.jobs.drain();
    expect((await dane.get(`/showcase/jobs/${id}`).expect(200)).body).to.deep.equal({ state: 'done', progress: { done: 25, total: 25 } });
    const json = await dane.get(`/admin/jobs/${id}/progress`).expect(200);
    expect(json.body).to.deep.equal({ state: 'done', done: 25, total: 25, lastError: null });
    await dane.get('/admin/jobs/999999/progress').set('Accept', 'application/json').expect(404);
  });
});
