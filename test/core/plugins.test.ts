import path from 'node:path';
import { expect } from 'chai';
import { sql } from 'kysely';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { FIXTURES, ROOT, csrfFrom, startTestApp, type TestApp } from '../support/testApp.js';

const PROBE = path.join(FIXTURES, 'plugins', 'probe');
const BROKEN = path.join(FIXTURES, 'broken-plugins');
const HOME = path.join(ROOT, 'plugins', 'home');

async function tableExists(t: TestApp, name: string): Promise<boolean> {
  const { rows } = await sql<{ exists: boolean }>`select to_regclass(${name}) is not null as exists`.execute(t.maillon.core.db);
  return rows[0]!.exists;
}

describe('plugin host: the probe plugin uses every extension point', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ pluginDirs: [HOME, PROBE], env: { PLUGIN_PROBE_GREETING: 'Salut' } });
  });
  after(() => t.close());

  it('is listed as enabled with its version, and its migrations ran under its own name', async () => {
    const status = t.maillon.core.plugins.statuses().find((p) => p.name === 'probe')!;
    expect(status.state).to.equal('enabled');
    expect(status.version).to.equal('1.2.3');
    expect(status.migrationsApplied).to.deep.equal(['001_probe_events.sql', '002_probe_progress.sql']);
    const rows = await t.maillon.core.db.selectFrom('schema_migrations').select('version').where('scope', '=', 'probe').execute();
    expect(rows.map((r) => r.version)).to.deep.equal([1, 2]);
  });

  it('mounts its routes under its own path, each behind its declared access', async () => {
    const anonymous = t.agent();
    await anonymous.get('/probe/public').expect(200, { ok: true, plugin: 'probe' });
    expect((await anonymous.get('/probe/').expect(303)).headers.location).to.equal('/login?next=%2Fprobe%2F');
    await anonymous.get('/probe/secret').set('Accept', 'application/json').expect(401);
    const rupn = await t.loginAs('rupn');
    await rupn.get('/probe/secret').expect(403);
    const dane = await t.loginAs('dane');
    await dane.get('/probe/secret').expect(200, { secret: 42 });
  });

  it('renders its views in the layout with its strings, settings, nav entry and page furniture', async () => {
    const client = await t.loginAs('nouvelle-rupn');
    const res = await client.get('/probe/').expect(200);
    expect(res.text).to.contain('<h1>Page de la sonde</h1>');
    expect(res.text).to.contain('Bonjour Pauline de la part de la sonde');
    expect(res.text).to.contain('Réglage : Salut');
    expect(res.text).to.match(/<a href="\/probe" aria-current="page">Sonde<\/a>/);
    expect(res.text, 'layout:nav filter').to.contain('Sonde+');
    expect(res.text, 'layout:page notice').to.contain('Avis de la sonde');
    expect(res.text, 'layout:page header item').to.contain('Cloche sonde');
    const home = await client.get('/').expect(200);
    expect(home.text, 'layout:page footer link elsewhere').to.contain('Lien sonde');
  });

  it('adds dashboard widgets, filtered by access and by the dashboard:widgets hook', async () => {
    const rupn = await t.loginAs('rupn');
    const page = (await rupn.get('/').expect(200)).text;
    expect(page).to.contain('Bloc sonde (filtré)');
    expect(page).to.match(/Bonjour Karim Benali, \d+ événements vus/);
    expect(page).not.to.contain('Secret DANE');
    const dane = await t.loginAs('dane');
    expect((await dane.get('/').expect(200)).text).to.contain('Secret DANE');
  });

  it('adds a profile section', async () => {
    const client = await t.loginAs('enseignante');
    const res = await client.get('/profile').expect(200);
    expect(res.text).to.contain('Section sonde');
  });

  it('hears the core actions: user created, logged in, roles changed, logged out, app started', async () => {
    const admin = await t.loginAs('admin');
    const userPage = await admin.get('/admin/users?q=Sophie').expect(200);
    const id = /href="\/admin\/users\/(\d+)"/.exec(userPage.text)![1];
    const form = await admin.get(`/admin/users/${id}`).expect(200);
    await admin.post(`/admin/users/${id}/roles`).type('form').send(`_csrf=${csrfFrom(form.text)}&roles=enseignant&roles=rupn`).expect(303);
    await admin.post('/logout').type('form').send({ _csrf: csrfFrom(form.text) }).expect(303);
    const viewer = await t.loginAs('rupn');
    const events: { kind: string; detail: Record<string, unknown> }[] = (await viewer.get('/probe/events').expect(200)).body;
    const kinds = new Set(events.map((e) => e.kind));
    for (const kind of ['user:created', 'user:loggedIn', 'user:rolesChanged', 'user:loggedOut', 'app:started']) expect(kinds, kind).to.include(kind);
    const change = events.find((e) => e.kind === 'user:rolesChanged')!;
    expect(change.detail).to.deep.equal({ id: Number(id), before: ['enseignant'], after: ['enseignant', 'rupn'] });
  });

  it('fires its own declared hooks, filters running by priority', async () => {
    const client = await t.loginAs('rupn');
    const page = await client.get('/probe/').expect(200);
    const res = await client.post('/probe/ping').send({ _csrf: csrfFrom(page.text) }).expect(200);
    expect(res.body.greeting).to.equal('Salut, Karim !');
    const events = (await client.get('/probe/events').expect(200)).body as { kind: string }[];
    expect(events.some((e) => e.kind === 'probe:pinged')).to.equal(true);
    const audit = await t.maillon.core.db.selectFrom('audit_log').selectAll().where('action', '=', 'probe.ping').execute();
    expect(audit).to.have.length(1);
  });

  it('refuses to let a plugin fire a hook it did not declare', async () => {
    const client = await t.loginAs('rupn');
    const page = await client.get('/probe/').expect(200);
    const res = await client.post('/probe/undeclared').set('Accept', 'application/json').send({ _csrf: csrfFrom(page.text) }).expect(500);
    expect(res.body.error.message).to.contain('erreur inattendue');
    expect(res.text).not.to.contain('sans l');
  });

  it('checks CSRF on its forms', async () => {
    const client = await t.loginAs('rupn');
    const res = await client.post('/probe/ping').set('Accept', 'application/json').send({}).expect(403);
    expect(res.body.error.message).to.contain('Le formulaire a expiré');
  });

  it('serves its static files', async () => {
    const res = await t.agent().get('/static/plugins/probe/probe.txt').expect(200);
    expect(res.text).to.contain('fichier statique de la sonde');
  });

  it('turns a thrown error into a French 500 page with a reference, no stack trace', async () => {
    const client = await t.loginAs('rupn');
    const res = await client.get('/probe/boom').expect(500);
    expect(res.text).to.contain('Erreur du serveur');
    expect(res.text).to.match(/Référence à communiquer à l'assistance : <code>[0-9a-f]{8}<\/code>/);
    expect(res.text).not.to.contain('panne volontaire');
    expect(res.text).not.to.contain('at ');
  });

  it('opens its socket.io namespace to logged-in users only, with the HTTP session', async () => {
    const client = await t.loginAs('rupn');
    const cookie = (await client.get('/probe/').expect(200)).request.cookies;
    const authed = connectSocket(`${t.url}/probe`, { transports: ['websocket'], extraHeaders: { cookie }, forceNew: true });
    const reply = await new Promise<unknown>((resolve, reject) => {
      authed.on('connect_error', reject);
      authed.on('connect', () => authed.emit('echo', 'coucou', resolve));
    });
    expect(reply).to.deep.equal({ message: 'coucou', user: 'Karim Benali' });
    authed.close();

    const anonymous: Socket = connectSocket(`${t.url}/probe`, { transports: ['websocket'], forceNew: true });
    const refusal = await new Promise<Error>((resolve) => anonymous.on('connect_error', resolve));
    expect(refusal.message).to.equal('non connecté');
    anonymous.close();
  });
});

describe('plugin host: broken plugins are reported and leave nothing behind', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ pluginDirs: [HOME, BROKEN] });
  });
  after(() => t.close());

  const statusOf = (name: string) => t.maillon.core.plugins.statuses().find((p) => p.name === name || p.dir.endsWith(`/${name}`));

  it('reports an invalid manifest with the cause', () => {
    const status = statusOf('bad-manifest')!;
    expect(status.state).to.equal('failed');
    expect(status.error).to.contain('manifeste invalide');
    expect(status.error).to.contain('nom invalide');
    expect(status.error).to.contain('version invalide');
  });

  it('rolls back a failing migration entirely and mounts nothing', async () => {
    const status = statusOf('bad-migration')!;
    expect(status.state).to.equal('failed');
    expect(status.error).to.contain('002_second.sql');
    expect(status.error).to.contain('table_that_does_not_exist');
    expect(await tableExists(t, 'bad_first'), 'first migration of the same run rolled back').to.equal(false);
    expect(await tableExists(t, 'bad_second')).to.equal(false);
    const applied = await t.maillon.core.db.selectFrom('schema_migrations').select('version').where('scope', '=', 'bad-migration').execute();
    expect(applied).to.deep.equal([]);
    await t.agent().get('/bad-migration/').expect(404);
    expect(t.maillon.core.permissions.isKnown('bad-migration:use')).to.equal(false);
  });

  it('refuses a route that does not declare a valid access', async () => {
    const status = statusOf('bad-route')!;
    expect(status.state).to.equal('failed');
    expect(status.error).to.contain("GET /bad-route/open ne déclare pas d'accès valide");
    await t.agent().get('/bad-route/ok').expect(404);
  });

  it('reports a missing requirement and unreadable strings', () => {
    expect(statusOf('requires-missing')!.error).to.contain('ghost');
    expect(statusOf('bad-lang')!.state).to.equal('failed');
  });

  it('keeps pages working when hooks and widgets throw, and shows the incidents to the admin', async () => {
    const admin = await t.loginAs('admin');
    const home = await admin.get('/').expect(200);
    expect(home.text).to.contain('Bloc en panne');
    expect(home.text).to.contain('Ce bloc est momentanément indisponible.');
    expect(home.text, 'other widgets still there').to.contain('data-widget="welcome"');
    expect(home.text, 'navigation still there').to.contain('href="/home/aide"');
    const status = statusOf('throwing-hooks')!;
    expect(status.state).to.equal('enabled');
    const hooks = status.hookFailures.map((f) => f.hook);
    expect(hooks).to.include.members(['layout:nav', 'dashboard:widgets', 'user:loggedIn', 'widget:broken-widget']);
    expect(status.warnings.join()).to.contain('forums:unknownHook');
    const page = await admin.get('/admin/plugins').expect(200);
    expect(page.text).to.contain('le filtre de navigation casse');
    expect(page.text).to.contain('En erreur');
    const overview = await admin.get('/admin').expect(200);
    expect(overview.text).to.contain('bad-migration');
  });

  it('still loads the healthy plugins', () => {
    expect(statusOf('home')!.state).to.equal('enabled');
  });
});

describe('plugin host: disabled in configuration', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ pluginDirs: [HOME, PROBE], env: { PLUGINS_DISABLED: 'probe' } });
  });
  after(() => t.close());

  it('is listed as disabled and neither mounted nor migrated', async () => {
    const status = t.maillon.core.plugins.statuses().find((p) => p.name === 'probe')!;
    expect(status.state).to.equal('disabled');
    await t.agent().get('/probe/public').expect(404);
    expect(await tableExists(t, 'probe_events')).to.equal(false);
    const admin = await t.loginAs('admin');
    const page = await admin.get('/admin/plugins').expect(200);
    expect(page.text).to.match(/Sonde de test[\s\S]*1\.2\.3[\s\S]*Désactivée/);
  });
});
