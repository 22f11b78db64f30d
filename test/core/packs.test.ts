import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { FIXTURES, ROOT, csrfFrom, startTestApp, type TestApp } from '../support/testApp.js';
import { probeProgress, samplePackFiles, writePack } from '../support/packs.js';
import { buildUser } from '../support/factories.js';

const PROBE = path.join(FIXTURES, 'plugins', 'probe');
const HOME = path.join(ROOT, 'plugins', 'home');

describe('content packs: loading, updating, reporting', () => {
  let t: TestApp;
  let contentDir: string;

  before(async () => {
    contentDir = await fs.mkdtemp(path.join(os.tmpdir(), 'maillon-content-'));
    await writePack(samplePackFiles('1.0.0'), path.join(contentDir, 'essai'));
    await writePack({ 'pack.yaml': 'id: casse\ntitle: Cassé\nversion: 1.0.0\nmodules: [modules/absent.md]\n' }, path.join(contentDir, 'casse'));
    await fs.cp(path.join(ROOT, 'content', 'premiers-pas'), path.join(contentDir, 'premiers-pas'), { recursive: true });
    t = await startTestApp({ pluginDirs: [HOME, PROBE], contentDir });
  });
  after(async () => {
    await t.close();
    await fs.rm(contentDir, { recursive: true, force: true });
  });

  const modulesOf = (packId: string) =>
    t.maillon.core.db.selectFrom('content_modules').select(['module_id', 'title', 'position']).where('pack_id', '=', packId).orderBy('position').execute();

  it('loads the valid packs at start-up even when another is broken', async () => {
    expect((await modulesOf('essai')).map((m) => m.module_id)).to.deep.equal(['module-a', 'module-b']);
    expect((await modulesOf('premiers-pas')).map((m) => m.module_id)).to.deep.equal(['se-reperer', 'son-reseau']);
    const reports = await t.maillon.core.packs.orphanReports();
    expect(reports).to.have.length(1);
    expect(reports[0]!.packId).to.equal('casse');
    expect(reports[0]!.errors[0]!.message).to.equal('fichier introuvable : modules/absent.md');
  });

  it('shows packs with version, modules and validation state in the admin area', async () => {
    const admin = await t.loginAs('admin');
    const page = await admin.get('/admin/packs').expect(200);
    expect(page.text).to.match(/Parcours d&#39;essai[\s\S]*1\.0\.0[\s\S]*>2<[\s\S]*Valide/);
    expect(page.text).to.contain('Parcours refusés');
    expect(page.text).to.contain('fichier introuvable : modules/absent.md');
    expect(page.text).to.contain('<code>pack.yaml:4</code>');
  });

  it('changes nothing when the same version is loaded again', async () => {
    const before = await t.maillon.core.db.selectFrom('content_packs').select(['updated_at']).where('id', '=', 'essai').executeTakeFirstOrThrow();
    const results = await t.maillon.core.packs.loadDirectory(contentDir);
    expect(results.find((r) => r.packId === 'essai')!.status).to.equal('unchanged');
    const after = await t.maillon.core.db.selectFrom('content_packs').select(['updated_at']).where('id', '=', 'essai').executeTakeFirstOrThrow();
    expect(after.updated_at.getTime()).to.equal(before.updated_at.getTime());
  });

  it('refuses changed content under the same version and keeps the installed one', async () => {
    await fs.appendFile(path.join(contentDir, 'essai', 'modules', 'b.md'), '\nUn ajout.\n');
    const results = await t.maillon.core.packs.loadDirectory(contentDir);
    const essai = results.find((r) => r.packId === 'essai')!;
    expect(essai.status).to.equal('refused');
    const list = await t.maillon.core.packs.list();
    const summary = list.find((p) => p.id === 'essai')!;
    expect(summary.version).to.equal('1.0.0');
    expect(summary.state).to.equal('invalid');
    expect(summary.errors[0]!.message).to.contain('augmentez la version');
  });

  it('updates to a new version, keeping progress on modules that still exist and dropping removed ones', async () => {
    const learner = await buildUser(t.maillon.core);
    await probeProgress(t.maillon.core.db, learner.id, 'essai', ['module-a', 'module-b']);
    const files = samplePackFiles('1.1.0');
    files['pack.yaml'] = files['pack.yaml']!.replace('  - modules/b.md\n', '  - modules/c.md\n');
    files['modules/a.md'] = files['modules/a.md']!.replace('title: Module A', 'title: Module A, revu');
    files['modules/c.md'] = '---\nid: module-c\ntitle: Module C\n---\n# Leçon\n\nNouveau.\n';
    await fs.rm(path.join(contentDir, 'essai'), { recursive: true });
    await writePack(files, path.join(contentDir, 'essai'));

    const admin = await t.loginAs('admin');
    const page = await admin.get('/admin/packs').expect(200);
    await admin.post('/admin/packs/reload').type('form').send({ _csrf: csrfFrom(page.text) }).expect(303);
    const after = await admin.get('/admin/packs').expect(200);
    expect(after.text).to.contain('1 mis à jour');

    expect((await modulesOf('essai')).map((m) => [m.module_id, m.title])).to.deep.equal([
      ['module-a', 'Module A, revu'],
      ['module-c', 'Module C'],
    ]);
    expect(await probeProgress(t.maillon.core.db, learner.id, 'essai', [])).to.deep.equal(['module-a']);
    const events = await t.maillon.core.db.selectFrom('probe_events').select(['kind', 'detail']).where('kind', '=', 'pack:installed').execute();
    expect(events.map((e) => e.detail)).to.deep.include({ packId: 'essai', version: '1.1.0' });
    const audit = await t.maillon.core.db.selectFrom('audit_log').select('action').where('action', '=', 'packs.reload').execute();
    expect(audit).to.have.length(1);
  });

  it('refuses an older version than the installed one', async () => {
    await fs.rm(path.join(contentDir, 'essai'), { recursive: true });
    await writePack(samplePackFiles('1.0.5'), path.join(contentDir, 'essai'));
    const results = await t.maillon.core.packs.loadDirectory(contentDir);
    const essai = results.find((r) => r.packId === 'essai') as { status: string; errors: { message: string }[] };
    expect(essai.status).to.equal('refused');
    expect(essai.errors[0]!.message).to.contain('plus ancienne que la version installée 1.1.0');
  });

  it('refuses two folders with the same pack id', async () => {
    await fs.cp(path.join(contentDir, 'premiers-pas'), path.join(contentDir, 'zz-copie'), { recursive: true });
    const results = await t.maillon.core.packs.loadDirectory(contentDir);
    const copy = results.find((r) => 'source' in r && r.source.endsWith('zz-copie')) as { status: string; errors: { message: string }[] };
    expect(copy.status).to.equal('invalid');
    expect(copy.errors[0]!.message).to.contain('déjà utilisé');
    await fs.rm(path.join(contentDir, 'zz-copie'), { recursive: true });
  });

  it('serves the files of assets/ to logged-in users, and nothing else of the pack', async () => {
    await t.agent().get('/packs/premiers-pas/assets/memo-premiers-pas.txt').expect(303);
    const client = await t.loginAs('rupn');
    const res = await client.get('/packs/premiers-pas/assets/memo-premiers-pas.txt').expect(200);
    expect(res.text).to.contain('MÉMO');
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    await client.get('/packs/premiers-pas/assets/../quizzes/se-reperer.yaml').expect(404);
    await client.get('/packs/premiers-pas/assets/%2e%2e/quizzes/se-reperer.yaml').expect(404);
    await client.get('/packs/premiers-pas/quizzes/se-reperer.yaml').expect(404);
    await client.get('/packs/inconnu/assets/a.txt').expect(404);
  });

  it('lets only pack managers reload', async () => {
    const rupn = await t.loginAs('rupn');
    const home = await rupn.get('/').expect(200);
    await rupn.post('/admin/packs/reload').type('form').send({ _csrf: csrfFrom(home.text) }).expect(403);
    const dane = await t.loginAs('dane');
    await dane.get('/admin/packs').expect(200);
  });
});
