import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import yauzl from 'yauzl';
import type supertest from 'supertest';
import { FIXTURES, ROOT, csrfFrom, startTestApp, type TestApp } from '../support/testApp.js';
import { probeProgress, samplePackFiles } from '../support/packs.js';
import { buildUser } from '../support/factories.js';
import { rawZip, streamToBuffer, zipFiles } from '../support/zip.js';

const PROBE = path.join(FIXTURES, 'plugins', 'probe');
const HOME = path.join(ROOT, 'plugins', 'home');

describe('content packs: upload, versions and download', () => {
  let t: TestApp;
  let admin: supertest.Agent;
  let packsDir: string;

  before(async () => {
    t = await startTestApp({ pluginDirs: [HOME, PROBE] });
    admin = await t.loginAs('admin');
    packsDir = path.join(t.config.dataDir, 'packs');
  });
  after(() => t.close());

  async function upload(archive: Buffer, fileName = 'parcours.zip', client = admin) {
    const page = await client.get('/').expect(200);
    return client.post('/admin/packs/upload').field('_csrf', csrfFrom(page.text)).attach('archive', archive, fileName);
  }
  const state = async () => ({
    packs: await t.maillon.core.db.selectFrom('content_packs').select(['id', 'version', 'checksum']).orderBy('id').execute(),
    modules: await t.maillon.core.db.selectFrom('content_modules').select(['pack_id', 'module_id', 'title']).orderBy('pack_id').orderBy('module_id').execute(),
    reports: await t.maillon.core.db.selectFrom('content_pack_reports').select(['source', 'state']).orderBy('source').execute(),
    files: await listFiles(packsDir),
  });

  it('installs a pack sent as a ZIP archive, under DATA_DIR/packs/<id>/<version>/', async () => {
    const res = await upload(await zipFiles(samplePackFiles('1.0.0'), 'essai/'));
    expect(res.status).to.equal(303);
    const page = await admin.get('/admin/packs').expect(200);
    expect(page.text).to.contain('Parcours « essai » 1.0.0 installé.');
    const source = path.join(packsDir, 'essai', '1.0.0');
    expect(await t.maillon.core.packs.sourceOf('essai')).to.equal(source);
    expect(await fs.readFile(path.join(source, 'pack.yaml'), 'utf8')).to.contain('id: essai');
    // Lessons point at the assets, which are served from the uploaded folder.
    const reader = await t.loginAs('rupn');
    expect((await reader.get('/packs/essai/assets/fiche.txt').expect(200)).text).to.equal('fiche');
    const audit = await t.maillon.core.db.selectFrom('audit_log').select('details').where('action', '=', 'packs.upload').execute();
    expect(audit[0]!.details).to.include({ status: 'installed', version: '1.0.0' });
  });

  it('updates to a newer version and keeps progress on the modules that still exist', async () => {
    const learner = await buildUser(t.maillon.core);
    await probeProgress(t.maillon.core.db, learner.id, 'essai', ['module-a', 'module-b']);
    const files = samplePackFiles('1.1.0');
    files['pack.yaml'] = files['pack.yaml']!.replace('  - modules/b.md\n', '');
    files['modules/b.md'] = null as unknown as string;
    files['modules/a.md'] = files['modules/a.md']!.replace('title: Module A', 'title: Module A, revu');
    const res = await upload(await zipFiles(files));
    expect(res.status).to.equal(303);
    const page = await admin.get('/admin/packs').expect(200);
    expect(page.text).to.contain('mis à jour (version précédente : 1.0.0)');
    expect(await probeProgress(t.maillon.core.db, learner.id, 'essai', [])).to.deep.equal(['module-a']);
    expect((await state()).modules.filter((m) => m.pack_id === 'essai').map((m) => m.title)).to.deep.equal(['Module A, revu']);
    // Both versions are kept and listed, each downloadable.
    expect(page.text).to.contain('Télécharger la version 1.1.0 (.zip)');
    expect(page.text).to.contain('Télécharger la version 1.0.0 (.zip)');
  });

  it('rejects a broken pack, shows the report and changes nothing', async () => {
    const before = await state();
    const files = samplePackFiles('2.0.0');
    files['quizzes/a.yaml'] = files['quizzes/a.yaml']!.replace('        correct: true\n', '');
    const res = await upload(await zipFiles(files), 'essai-2.0.0.zip');
    expect(res.status).to.equal(400);
    expect(res.text).to.contain('Archive refusée : essai-2.0.0.zip');
    expect(res.text).to.contain("Rien n'a été installé ni modifié");
    expect(res.text).to.contain('une question à choix unique a exactement une bonne réponse');
    expect(res.text).to.match(/<code>quizzes\/a\.yaml:\d+<\/code> — champ <code>questions\.0\.choices<\/code>/);
    expect(await state()).to.deep.equal(before);
  });

  it('refuses an older or same-numbered changed version with a 409, and an identical one changes nothing', async () => {
    const before = await state();
    const older = await upload(await zipFiles(samplePackFiles('1.0.5')));
    expect(older.status).to.equal(409);
    expect(older.text).to.contain('plus ancienne que la version installée 1.1.0');
    expect(await state()).to.deep.equal(before);

    const archive = await admin.get('/admin/packs/essai/archive').buffer(true).parse(binary).expect(200);
    const again = await upload(archive.body as Buffer);
    expect(again.status).to.equal(303);
    expect((await admin.get('/admin/packs').expect(200)).text).to.contain('déjà installé à l&#39;identique');
    expect(await state()).to.deep.equal(before);
  });

  it('refuses archives that leave the folder, hold links, lie about sizes or are not ZIP files', async () => {
    const before = await state();
    const valid = samplePackFiles('3.0.0');
    const entries = Object.entries(valid).map(([name, text]) => ({ name, data: Buffer.from(text) }));
    const cases: [Buffer, RegExp][] = [
      [rawZip([...entries, { name: '../evil.txt', data: Buffer.from('x') }]), /chemin|path/],
      [rawZip([...entries, { name: '/etc/evil.txt', data: Buffer.from('x') }]), /chemin|path/],
      [rawZip([...entries, { name: 'assets/lien', data: Buffer.from('/etc/passwd'), mode: 0o120777 }]), /liens symboliques/],
      // 40 Mio of zeros declared as 1 kio: the bomb is stopped while it inflates.
      [rawZip([...entries, { name: 'assets/bombe.txt', data: Buffer.alloc(40 * 1024 * 1024), deflate: true, declaredSize: 1024 }]), /archive|fichier/],
      // Honest headers, absurd ratio.
      [rawZip([...entries, { name: 'assets/zeros.bin', data: Buffer.alloc(9 * 1024 * 1024), deflate: true }]), /taux de compression anormal/],
      [Buffer.from('pas une archive du tout'), /n&#39;est pas une archive ZIP/],
    ];
    for (const [archive, message] of cases) {
      const res = await upload(archive);
      expect(res.status, message.source).to.equal(400);
      expect(res.text).to.contain('Archive refusée');
      expect(res.text).to.match(message);
      expect(await state()).to.deep.equal(before);
    }
    await fs.access('/tmp/evil.txt').then(
      () => expect.fail('zip slip wrote outside'),
      () => undefined,
    );
  });

  it('answers 413 for an archive above the size limit, and 400 without a file', async () => {
    const res = await upload(Buffer.alloc(21 * 1024 * 1024, 1), 'gros.zip');
    expect(res.status).to.equal(413);
    expect(res.text).to.contain('dépasse 20 Mio');
    const page = await admin.get('/').expect(200);
    const empty = await admin.post('/admin/packs/upload').field('_csrf', csrfFrom(page.text));
    expect(empty.status).to.equal(400);
    expect(empty.text).to.contain('Archive du parcours');
  });

  it('checks the CSRF token of the upload form, and lets only pack managers upload or download', async () => {
    const noToken = await admin.post('/admin/packs/upload').attach('archive', await zipFiles(samplePackFiles('4.0.0')), 'p.zip');
    expect(noToken.status).to.equal(403);
    const rupn = await t.loginAs('rupn');
    expect((await upload(await zipFiles(samplePackFiles('4.0.0')), 'p.zip', rupn)).status).to.equal(403);
    await rupn.get('/admin/packs/essai/archive').expect(403);
    expect((await state()).packs.find((p) => p.id === 'essai')!.version).to.equal('1.1.0');
  });

  it('downloads a pack back as an archive that holds the same files', async () => {
    const res = await admin.get('/admin/packs/essai/archive?version=1.0.0').buffer(true).parse(binary).expect(200);
    expect(res.headers['content-type']).to.equal('application/zip');
    expect(res.headers['content-disposition']).to.contain('essai-1.0.0.zip');
    const names = await entryNames(res.body as Buffer);
    expect(names).to.deep.equal(Object.keys(samplePackFiles()).sort());
    await admin.get('/admin/packs/essai/archive?version=9.9.9').expect(404);
    await admin.get('/admin/packs/inconnu/archive').expect(404);
  });
});

/** supertest parser that keeps a binary body as a Buffer. */
const binary = ((res: NodeJS.ReadableStream, callback: (err: Error | null, body: Buffer) => void) => {
  streamToBuffer(res).then((b) => callback(null, b), (e: Error) => callback(e, Buffer.alloc(0)));
}) as unknown as Parameters<supertest.Test['parse']>[0];

async function entryNames(archive: Buffer): Promise<string[]> {
  const zip = await yauzl.fromBufferPromise(archive, { lazyEntries: true });
  const names: string[] = [];
  for await (const entry of zip.eachEntry()) names.push(entry.fileName);
  return names.sort();
}

async function listFiles(dir: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
  } catch {
    return [];
  }
}
