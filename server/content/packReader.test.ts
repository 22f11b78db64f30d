import { expect } from 'chai';
import fs from 'node:fs/promises';
import { readPack } from './packReader.js';
import { samplePackFiles, writePack } from '../../test/support/packs.js';

async function errorsOf(changes: Record<string, string | null>) {
  const dir = await writePack({ ...samplePackFiles(), ...changes });
  const result = await readPack(dir);
  await fs.rm(dir, { recursive: true, force: true });
  if (result.ok) throw new Error('the pack should have been refused');
  return result.errors;
}

describe('readPack', () => {
  it('reads a valid pack: modules in order, lessons split on # headings, links made absolute', async () => {
    const dir = await writePack(samplePackFiles());
    const result = await readPack(dir);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const [a, b] = result.pack.modules;
    expect(result.pack.manifest.id).to.equal('essai');
    expect(a!.lessons.map((l) => [l.id, l.title])).to.deep.equal([
      ['introduction', 'Introduction'],
      ['premiere-lecon', 'Première leçon'],
      ['deux', 'Deuxième leçon'],
    ]);
    expect(a!.lessons[1]!.markdown).to.contain('](/packs/essai/assets/schema.svg)');
    expect(a!.lessons[1]!.markdown, 'a # inside a code block is not a lesson').to.contain('# pas un titre de leçon');
    expect(a!.resources).to.deep.equal([{ title: 'Fiche', href: '/packs/essai/assets/fiche.txt', kind: 'file', description: undefined }]);
    expect(a!.quiz!.questions).to.have.length(2);
    expect(a!.completion).to.deep.equal({ lessons: 'all', quiz: 'pass' });
    expect(b!.requires).to.deep.equal(['module-a']);
    expect(b!.completion).to.deep.equal({ lessons: 'all', quiz: 'none' });
    expect(result.pack.checksum).to.match(/^[0-9a-f]{64}$/);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('reports bad YAML with its line', async () => {
    const errors = await errorsOf({ 'pack.yaml': 'id: essai\ntitle: [non fermé\nversion: 1.0.0\n' });
    expect(errors[0]!.file).to.equal('pack.yaml');
    expect(errors[0]!.line).to.be.a('number');
    expect(errors[0]!.message).to.match(/YAML invalide/);
  });

  it('reports a missing module file where it is listed', async () => {
    const errors = await errorsOf({ 'modules/b.md': null });
    expect(errors).to.deep.include({ file: 'pack.yaml', line: 7, message: 'fichier introuvable : modules/b.md' });
  });

  it('reports a missing quiz, image or resource file', async () => {
    const errors = await errorsOf({ 'quizzes/a.yaml': null, 'assets/schema.svg': null, 'assets/fiche.txt': null });
    const messages = errors.map((e) => `${e.file}:${e.field ?? ''}:${e.message}`);
    expect(messages.some((m) => m.includes('fichier introuvable : quizzes/a.yaml'))).to.equal(true);
    expect(messages.some((m) => m.includes('schema.svg') && m.includes('fichier introuvable'))).to.equal(true);
    expect(messages.some((m) => m.startsWith('modules/a.md:resources.0.file:fichier introuvable'))).to.equal(true);
  });

  it('reports an unknown field with its line and name', async () => {
    const errors = await errorsOf({ 'pack.yaml': samplePackFiles()['pack.yaml'] + 'colour: bleu\n' });
    expect(errors).to.deep.include({ file: 'pack.yaml', line: 8, field: 'colour', message: 'champ inconnu « colour »' });
  });

  it('reports a duplicate module id', async () => {
    const errors = await errorsOf({ 'modules/b.md': samplePackFiles()['modules/a.md']!.replace('quiz: ../quizzes/a.yaml\n', '') });
    expect(errors.some((e) => e.field === 'id' && e.message.includes('« module-a » déjà utilisé'))).to.equal(true);
  });

  it('refuses a quiz without a correct answer, naming the question', async () => {
    const quiz = samplePackFiles()['quizzes/a.yaml']!.replace('        correct: true\n', '');
    const errors = await errorsOf({ 'quizzes/a.yaml': quiz });
    const error = errors.find((e) => e.file === 'quizzes/a.yaml')!;
    expect(error.field).to.equal('questions.0.choices');
    expect(error.message).to.contain('exactement une bonne réponse');
    expect(error.line).to.equal(7);
  });

  it('refuses unknown requirements, cycles, unknown CRCN competences and files outside assets/', async () => {
    const errors = await errorsOf({
      'modules/a.md': samplePackFiles()['modules/a.md']!.replace('competences: ["4.2"]', 'competences: ["6.1"]\nrequires: [module-b]'),
      'modules/b.md': samplePackFiles()['modules/b.md']!.replace('[module-a]', '[module-a, fantome]').replace('Texte.', '[secret](../quizzes/a.yaml)'),
    });
    const text = errors.map((e) => e.message).join('\n');
    expect(text).to.contain('compétence CRCN inconnue');
    expect(text).to.contain('module requis inconnu : fantome');
    expect(text).to.contain('dossier assets/');
  });

  it('detects prerequisite cycles', async () => {
    const errors = await errorsOf({ 'modules/a.md': samplePackFiles()['modules/a.md']!.replace('competences: ["4.2"]', 'requires: [module-b]') });
    expect(errors.map((e) => e.message).join()).to.contain('prérequis circulaires');
  });
});
