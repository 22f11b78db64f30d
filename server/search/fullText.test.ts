import path from 'node:path';
import { expect } from 'chai';
import { sql } from 'kysely';
import type supertest from 'supertest';
import { FIXTURES, startTestApp, type TestApp } from '../../test/support/testApp.js';
import { cleanQuery, headline, headlineToHtml, matches, rank, vectorOf } from './fullText.js';

const SHOWCASE = path.join(FIXTURES, 'plugins', 'showcase');

describe('French full-text search', () => {
  let t: TestApp;
  let client: supertest.Agent;
  before(async () => {
    t = await startTestApp({ pluginDirs: [SHOWCASE], seedDemo: true, env: { JOBS_RUNNER: 'false' } });
    await t.maillon.core.db
      .insertInto('showcase_notes')
      .values([
        { title: 'Former les enseignants à Pix', body: 'Une session pour chaque enseignant du collège, avec le référent numérique.' },
        { title: "L'École et le RGPD", body: 'Le registre des traitements de l’établissement, tenu par le chef d’établissement.' },
        { title: 'Les tablettes en classe', body: 'Recharger, mettre à jour et prêter les tablettes. <script>alert("x")</script> Les élèves apprécient.' },
        { title: 'Tablettes : le chariot', body: 'Un chariot de tablettes pour deux classes.' },
        { title: 'Sans rapport', body: 'Le menu de la cantine.' },
      ])
      .execute();
    client = await t.loginAs('rupn');
  });
  after(() => t?.close());

  const search = async (q: string) => (await client.get('/showcase/notes').query({ q }).expect(200)).body as { id: number; title: string; excerpt: string }[];

  it('finds words whatever their number: « enseignants » finds « enseignant » and the reverse', async () => {
    expect((await search('enseignant')).map((r) => r.title)).to.deep.equal(['Former les enseignants à Pix']);
    expect((await search('enseignants')).map((r) => r.title)).to.deep.equal(['Former les enseignants à Pix']);
  });

  it('forgives accents and case: « ecole » finds « École », « etablissement » finds « établissement »', async () => {
    expect((await search('ecole')).map((r) => r.title)).to.deep.equal(["L'École et le RGPD"]);
    expect((await search('ETABLISSEMENT')).map((r) => r.title)).to.deep.equal(["L'École et le RGPD"]);
  });

  it('ranks titles above bodies and highlights the matched words, escaping everything else', async () => {
    const results = await search('tablette');
    expect(results.map((r) => r.title)).to.deep.equal(['Tablettes : le chariot', 'Les tablettes en classe']);
    const excerpt = results.find((r) => r.title === 'Les tablettes en classe')!.excerpt;
    expect(excerpt).to.contain('<mark>tablettes</mark>');
    expect(excerpt).not.to.contain('<script');
    expect(excerpt.replace(/<\/?mark>/g, '')).not.to.match(/[<>]/);
  });

  it('accepts any input as a web search: phrases, « or », exclusions and junk never raise an error', async () => {
    expect((await search('"chariot de tablettes"')).map((r) => r.title)).to.deep.equal(['Tablettes : le chariot']);
    expect((await search('pix or rgpd')).map((r) => r.title).sort()).to.deep.equal(['Former les enseignants à Pix', "L'École et le RGPD"]);
    expect((await search('tablettes -chariot')).map((r) => r.title)).to.deep.equal(['Les tablettes en classe']);
    for (const junk of ["'&|!(:*", '\\', '))) ((( <->', 'le la les', '\u0000\u0002', 'x'.repeat(5000)]) expect(await search(junk)).to.be.an('array');
    expect(await search('   ')).to.deep.equal([]);
  });

  it('offers helpers for tables without a stored vector, and escapes headlines', async () => {
    const db = t.maillon.core.db;
    const rows = await db
      .selectFrom('users')
      .select(['given_name', headline(sql.ref('family_name'), 'eleve').as('h')])
      .where(matches(vectorOf(sql.ref('given_name'), sql.ref('family_name')), 'elodie'))
      .orderBy(rank(vectorOf(sql.ref('given_name')), 'elodie'), 'desc')
      .execute();
    expect(rows.map((r) => r.given_name)).to.deep.equal(['Élodie']);
    expect(headlineToHtml('a <b> \u0002mot\u0003 & "c"')).to.equal('a &#60;b&#62; <mark>mot</mark> &#38; &#34;c&#34;');
    expect(cleanQuery(['  deux   mots ', 'ignoré'])).to.equal('deux mots');
  });

  it('cuts excerpts of Markdown texts without their marks', async () => {
    const source = "# Mot de passe\n\nUn **élève** a *perdu* son mot_de_passe : voir [la fiche ENT](https://ent.example/a_b), ![schéma](s.png) et `la console`.\n> Un élève cité\n- un point\n5 * 3 élèves, @prenom_nom et _souligné_ <b>gras</b>";
    const excerpt = async (markdown: boolean) =>
      headlineToHtml((await sql<{ h: string }>`select ${headline(sql.val(source), 'élève', { words: 60, markdown })} as h`.execute(t.maillon.core.db)).rows[0]!.h);
    expect(await excerpt(true)).to.equal(
      'Mot de passe Un <mark>élève</mark> a perdu son mot_de_passe : voir la fiche ENT, schéma et la console. Un <mark>élève</mark> cité un point 5 * 3 <mark>élèves</mark>, @prenom_nom et souligné gras',
    );
    // Without the option the source is cut as it is (titles, plain text).
    expect(await excerpt(false)).to.contain('**<mark>élève</mark>**');
    expect(cleanQuery({ not: 'a string' })).to.equal('');
  });
});
