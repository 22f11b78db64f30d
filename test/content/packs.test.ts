import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { readPack, type ParsedPack } from '../../server/content/packReader.js';
import { renderMarkdown } from '../../server/web/markdown.js';
import { ROOT, startTestApp, type TestApp } from '../support/testApp.js';

const CONTENT = path.join(ROOT, 'content');

// The packs of the onboarding path, and the example of the format.
const EXPECTED_PACKS = ['ent-admin', 'gar', 'pix', 'premiers-pas', 'rgpd', 'rupn-mission'];

// premiers-pas is the short example of the pack format (docs/content-packs.md), not a
// training pack: it must be valid, but the size rules of training packs do not apply to it.
const FORMAT_EXAMPLES = new Set(['premiers-pas']);

const QUESTION_TYPES = ['matching', 'multiple', 'short', 'single', 'truefalse'];

/** Every `/packs/<id>/assets/…` address a learner can reach from a pack: resources and lesson links or images. */
function assetUrls(pack: ParsedPack): string[] {
  const urls = new Set<string>();
  for (const m of pack.modules) {
    for (const r of m.resources) if (r.kind === 'file') urls.add(r.href);
    for (const l of m.lessons) for (const match of l.markdown.matchAll(/\]\((\/packs\/[^)\s]+)\)/g)) urls.add(match[1]!);
  }
  return [...urls];
}

describe('content packs shipped in content/', () => {
  const packs = new Map<string, ParsedPack>();
  const problems: string[] = [];

  before(async () => {
    const folders = (await fs.readdir(CONTENT, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.'));
    for (const folder of folders) {
      const result = await readPack(path.join(CONTENT, folder.name));
      if (result.ok) packs.set(result.pack.manifest.id, result.pack);
      else for (const e of result.errors) problems.push(`${folder.name}/${e.file}${e.line ? `:${e.line}` : ''} ${e.field ?? ''} — ${e.message}`);
    }
  });

  const trainingPacks = () => [...packs.values()].filter((p) => !FORMAT_EXAMPLES.has(p.manifest.id));

  it('are all valid for the pack reader', () => {
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });

  it('include the packs of the onboarding path', () => {
    expect([...packs.keys()]).to.include.members(EXPECTED_PACKS);
  });

  it('give every training pack at least three modules, each with a quiz of six questions or more', () => {
    expect(trainingPacks()).to.not.be.empty;
    for (const pack of trainingPacks()) {
      const id = pack.manifest.id;
      expect(pack.modules.length, `${id} : nombre de modules`).to.be.at.least(3);
      for (const m of pack.modules) {
        expect(m.quiz, `${id}/${m.id} : quiz`).to.not.equal(null);
        expect(m.quiz!.questions.length, `${id}/${m.id} : questions du quiz`).to.be.at.least(6);
      }
    }
  });

  it('follow the authoring rules: 2 to 4 lessons and a resource per module, a summary to remember, a table and every question type in each pack', () => {
    for (const pack of trainingPacks()) {
      const id = pack.manifest.id;
      expect(pack.manifest.license, `${id} : licence`).to.equal('CC BY-SA 4.0');
      const types = new Set<string>();
      let tables = 0;
      for (const m of pack.modules) {
        expect(m.lessons.length, `${id}/${m.id} : leçons`).to.be.within(2, 4);
        expect(m.resources.length, `${id}/${m.id} : ressources`).to.be.at.least(1);
        const html = m.lessons.map((l) => renderMarkdown(l.markdown)).join('\n');
        expect(html, `${id}/${m.id} : section « À retenir »`).to.match(/<h2[^>]*>À retenir<\/h2>/);
        tables += (html.match(/<table>/g) ?? []).length;
        for (const q of m.quiz?.questions ?? []) types.add(q.type);
      }
      expect(tables, `${id} : tableaux`).to.be.at.least(1);
      expect([...types].sort(), `${id} : types de questions`).to.deep.equal(QUESTION_TYPES);
    }
  });

  describe('once installed on the platform', () => {
    let t: TestApp;

    before(async () => {
      t = await startTestApp({ pluginDirs: [], contentDir: CONTENT });
    });
    after(async () => {
      await t?.close();
    });

    it('are listed as valid, with their module count, in Administration → Parcours de contenu', async () => {
      const admin = await t.loginAs('admin');
      const page = await admin.get('/admin/packs').expect(200);
      for (const [id, pack] of packs) {
        const row = new RegExp(`<tr id="pack-${id}">([\\s\\S]*?)</tr>`).exec(page.text)?.[1];
        expect(row, `ligne du parcours ${id}`).to.be.a('string');
        expect(row).to.contain(`<td>${pack.manifest.version}</td>`);
        expect(row).to.contain(`<td class="num">${pack.modules.length}</td>`);
        expect(row).to.contain('Valide');
      }
      expect(page.text).to.not.contain('Parcours refusés');
    });

    it('serve every attached file and image to a signed-in learner, and none to a visitor', async () => {
      const learner = await t.loginAs('nouvelle-rupn');
      const visitor = t.agent();
      for (const pack of packs.values()) {
        for (const url of assetUrls(pack)) {
          const res = await learner.get(url);
          expect(res.status, url).to.equal(200);
          expect(res.headers['content-type'], url).to.match(url.endsWith('.svg') ? /^image\/svg\+xml/ : /^(text\/(markdown|plain)|application\/pdf)/);
          const anonymous = await visitor.get(url).redirects(0);
          expect(anonymous.status, `${url} sans connexion`).to.not.equal(200);
        }
      }
    });
  });
});
