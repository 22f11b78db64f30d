import path from 'node:path';
import fs from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import type supertest from 'supertest';
import { FIXTURES, csrfFrom, startTestApp, type TestApp } from '../../test/support/testApp.js';

const SHOWCASE = path.join(FIXTURES, 'plugins', 'showcase');
// A real 1×1 PNG and a minimal PDF: their first bytes are what Maillon trusts.
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c49444154789c63f8cfc0000003010100c9fe92ef0000000049454e44ae426082', 'hex');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');

describe('files', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ pluginDirs: [SHOWCASE], env: { JOBS_RUNNER: 'false', FILES_MAX_MB: '0.05' } });
  });
  after(() => t?.close());

  async function upload(status: number, client: supertest.Agent, buffer: Buffer, name: string, contentType = 'application/octet-stream', withToken = true) {
    const page = await client.get('/');
    const req = client.post('/showcase/upload').set('Accept', 'application/json');
    if (withToken) req.field('_csrf', csrfFrom(page.text));
    return req.attach('file', buffer, { filename: name, contentType }).expect(status);
  }
  const fileCount = async () => Number((await t.maillon.core.db.selectFrom('files').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  it('stores an image recognised by its bytes and serves it inline with the right headers and caching', async () => {
    const rupn = await t.loginAs('rupn');
    const res = await upload(201, rupn, PNG, 'Plan de la salle été.png', 'image/png');
    expect(res.body.mime).to.equal('image/png');
    expect(res.body.url).to.equal(`/files/${res.body.id}/Plan%20de%20la%20salle%20%C3%A9t%C3%A9.png`);
    const sha = createHash('sha256').update(PNG).digest('hex');
    expect(await fs.readFile(path.join(t.config.dataDir, 'files', sha.slice(0, 2), sha))).to.deep.equal(PNG);

    const other = await t.loginAs('enseignante');
    const file = await other.get(res.body.url).buffer(true).expect(200);
    expect(file.headers['content-type']).to.equal('image/png');
    expect(file.headers['x-content-type-options']).to.equal('nosniff');
    expect(file.headers['content-disposition']).to.match(/^inline; filename="Plan de la salle .t.\.png"; filename\*=UTF-8''Plan%20de%20la%20salle%20%C3%A9t%C3%A9\.png$/);
    expect(file.headers['content-security-policy']).to.contain('sandbox');
    expect(file.headers['cache-control']).to.equal('private, max-age=3600');
    expect(Buffer.from(file.body)).to.deep.equal(PNG);
    await other.get(res.body.url).set('If-None-Match', file.headers.etag!).expect(304);
    await t.agent().get(res.body.url).set('Accept', 'application/json').expect(401);
  });

  it('serves documents as downloads, only to those the owning plugin allows', async () => {
    const rupn = await t.loginAs('rupn');
    const res = await upload(201, rupn, PDF, 'compte-rendu.pdf', 'application/pdf');
    const own = await rupn.get(res.body.url).expect(200);
    expect(own.headers['content-type']).to.equal('application/pdf');
    expect(own.headers['content-disposition']).to.equal('attachment; filename=compte-rendu.pdf');
    await (await t.loginAs('enseignante')).get(res.body.url).expect(403);
    await (await t.loginAs('admin')).get(res.body.url).expect(403); // the plugin decides, even for admins
  });

  it('refuses a file whose bytes do not match an accepted format, whatever its name and declared type', async () => {
    const before = await fileCount();
    const rupn = await t.loginAs('rupn');
    const html = Buffer.from('<html><body><script>alert(document.cookie)</script></body></html>');
    const res = await upload(415, rupn, html, 'photo.png', 'image/png');
    expect(res.body.error.message).to.equal("Le fichier « photo.png » n'est pas dans un format accepté (formats acceptés : PNG, JPEG, GIF, WebP, PDF, ODT, ODS, ODP, DOCX, XLSX, PPTX, texte, CSV).");
    await upload(415, rupn, Buffer.from([0x00, 0x01, 0x02, 0xff]), 'notes.txt', 'text/plain');
    const text = await upload(201, rupn, Buffer.from('Ordre du jour : tablettes, ENT.\n'), 'ordre-du-jour.txt', 'text/plain');
    expect(text.body.mime).to.equal('text/plain');
    expect(await fileCount()).to.equal(before + 1);
  });

  it('refuses a file over the size limit with a 413, and an upload without CSRF token with a 403, storing nothing', async () => {
    const before = await fileCount();
    const rupn = await t.loginAs('rupn');
    const big = Buffer.concat([PDF, Buffer.alloc(60 * 1024, 0x20)]);
    const res = await upload(413, rupn, big, 'gros.pdf', 'application/pdf');
    expect(res.body.error.message).to.equal('Le fichier dépasse la taille maximale de 52 Ko.');
    await upload(403, rupn, PNG, 'sans-jeton.png', 'image/png', false);
    await t.agent().post('/showcase/upload').set('Accept', 'application/json').attach('file', PNG, 'anonyme.png').expect(401);
    const junk = await rupn.post('/showcase/upload').set('Accept', 'application/json').set('X-CSRF-Token', csrfFrom((await rupn.get('/')).text)).send({ file: 'x' }).expect(400);
    expect(junk.body.error.message).to.contain('multipart/form-data');
    expect(await fileCount()).to.equal(before);
  });

  it('removes a file, and its bytes once no other file shares them', async () => {
    const rupn = await t.loginAs('rupn');
    const pdf = Buffer.concat([PDF, Buffer.from('% à supprimer\n')]);
    const first = (await upload(201, rupn, pdf, 'a.pdf')).body;
    const second = (await upload(201, rupn, pdf, 'b.pdf')).body;
    const sha = createHash('sha256').update(pdf).digest('hex');
    const blob = path.join(t.config.dataDir, 'files', sha.slice(0, 2), sha);
    const token = csrfFrom((await rupn.get('/')).text);
    await rupn.post(`/showcase/files/${first.id}/delete`).set('X-CSRF-Token', token).expect(200, { removed: true });
    await rupn.get(first.url).expect(404);
    await fs.access(blob); // still used by the second file
    await rupn.post(`/showcase/files/${second.id}/delete`).set('X-CSRF-Token', token).expect(200, { removed: true });
    await fs.access(blob).then(() => expect.fail('bytes left behind'), () => {});
    await rupn.get('/files/pas-un-identifiant').expect(404);
    await rupn.get('/files/AAAAAAAAAAAAAAAAAAAAAAAA/x.png').expect(404);
  });
});
