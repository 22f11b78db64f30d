import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type supertest from 'supertest';
import { ROOT, csrfFrom, startTestApp, type TestApp } from '../support/testApp.js';
import { writePack } from '../support/packs.js';
import { buildUser } from '../support/factories.js';
import { MISSION_RIGHT_ANSWERS, missionPack, rgpdPack } from '../support/trainingPacks.js';

const PLUGINS = [path.join(ROOT, 'plugins', 'home'), path.join(ROOT, 'plugins', 'training')];
const MISSIONS = '/training/modules/rupn-mission/missions';
const DESIGNATION = '/training/modules/rupn-mission/designation';
const DONNEES = '/training/modules/rgpd/donnees';

describe('training: path, lessons, quizzes, badges', () => {
  let t: TestApp;
  let contentDir: string;
  let pauline: supertest.Agent;

  before(async () => {
    contentDir = await fs.mkdtemp(path.join(os.tmpdir(), 'maillon-training-'));
    await writePack(missionPack(), path.join(contentDir, 'rupn-mission'));
    await writePack(rgpdPack(), path.join(contentDir, 'rgpd'));
    await fs.cp(path.join(ROOT, 'content', 'premiers-pas'), path.join(contentDir, 'premiers-pas'), { recursive: true });
    t = await startTestApp({ contentDir, pluginDirs: PLUGINS });
    pauline = await t.loginAs('nouvelle-rupn');
  });
  after(async () => {
    await t.close();
    await fs.rm(contentDir, { recursive: true, force: true });
  });

  const db = () => t.maillon.core.db;
  async function submitQuiz(client: supertest.Agent, moduleUrl: string, answers: Record<string, string | string[]>) {
    const page = await client.get(`${moduleUrl}/quiz`).expect(200);
    const res = await client.post(`${moduleUrl}/quiz`).type('form').send({ _csrf: csrfFrom(page.text), ...answers });
    return res;
  }
  const userId = async (key: string) => (await t.maillon.core.users.byIdentity('demo', key))!.id;

  it('seeds « Entrée dans la fonction de RUPN » from the packs named in the settings, in their order', async () => {
    const rows = await db()
      .selectFrom('training_path_modules as pm')
      .innerJoin('training_paths as p', 'p.id', 'pm.path_id')
      .select(['p.title', 'pm.pack_id', 'pm.module_id', 'pm.optional'])
      .where('p.is_default', '=', true)
      .orderBy('pm.position')
      .execute();
    expect(rows.map((r) => `${r.pack_id}/${r.module_id}`)).to.deep.equal(['rupn-mission/missions', 'rupn-mission/designation', 'rgpd/donnees']);
    expect(rows[0]!.title).to.equal('Entrée dans la fonction de RUPN');
  });

  it('enrols the new RUPN when her account is created, and shows « Mon parcours » on the dashboard', async () => {
    const enrolment = await db().selectFrom('training_enrolments').selectAll().where('user_id', '=', await userId('nouvelle-rupn')).executeTakeFirstOrThrow();
    expect(enrolment.required_count).to.equal(3);
    expect(enrolment.started_at).to.equal(null);
    const home = await pauline.get('/').expect(200);
    expect(home.text).to.contain('data-widget="my-path"');
    expect(home.text).to.contain('Entrée dans la fonction de RUPN');
    expect(home.text).to.match(/<progress id="progress-\d+-w" max="3" value="0">/);
    expect(home.text).to.contain(`href="${MISSIONS}">Commencer`);
    // The dashboard lists the modules she can open now, numbered by their place in the path;
    // the locked one (it needs the first) is left to « Mon parcours ».
    const widget = home.text.slice(home.text.indexOf('data-widget="my-path"'));
    expect(widget).to.match(new RegExp(`<li class="step step--todo" value="1">[^]*?href="${MISSIONS}"`));
    expect(widget).to.match(new RegExp(`<li class="step step--todo" value="3">[^]*?href="${DONNEES}"`));
    expect(widget).not.to.contain(DESIGNATION);
    expect(widget).to.contain('Encore un autre module à terminer');
    const full = await pauline.get('/training/mon-parcours').expect(200);
    expect(full.text).to.match(new RegExp(`<li class="step step--locked" value="2">[^]*?href="${DESIGNATION}"`));
    // A module's page is in the Formation section, though no entry of its bar leads there.
    const module = (await pauline.get(MISSIONS).expect(200)).text;
    expect(module).to.contain('<a href="/training/mon-parcours" aria-current="true">Formation</a>');
    const sectionBar = /<nav class="section-nav" aria-label="Formation">([^]*?)<\/nav>/.exec(module)?.[1];
    expect(sectionBar).to.contain('href="/training/catalogue"');
    expect(sectionBar).not.to.contain('aria-current');
    // Someone who is not a RUPN and follows no path sees no such block.
    const teacher = await t.loginAs('enseignante');
    expect((await teacher.get('/').expect(200)).text).not.to.contain('data-widget="my-path"');
  });

  it('gives a module one breadcrumb: from « Mon parcours » for a module of her path, from the catalogue otherwise', async () => {
    const crumbs = (html: string) => /<nav aria-label="Fil d'Ariane" class="breadcrumb">([^]*?)<\/nav>/.exec(html)![1]!;
    expect(crumbs((await pauline.get(MISSIONS).expect(200)).text)).to.equal('<a href="/training/mon-parcours">Mon parcours</a> › <span aria-current="page">Les missions du RUPN</span>');
    expect(crumbs((await pauline.get(`${MISSIONS}/lecons/accompagner`).expect(200)).text)).to.equal(`<a href="/training/mon-parcours">Mon parcours</a> › <a href="${MISSIONS}">Les missions du RUPN</a> › <span aria-current="page">Accompagner</span>`);
    const teacher = await t.loginAs('enseignante');
    expect(crumbs((await teacher.get(MISSIONS).expect(200)).text)).to.equal('<a href="/training/catalogue">Catalogue des modules</a> › <span aria-current="page">Les missions du RUPN</span>');
    expect(crumbs((await teacher.get(`${MISSIONS}/lecons/accompagner`).expect(200)).text)).to.equal(`<a href="/training/catalogue">Catalogue des modules</a> › <a href="${MISSIONS}">Les missions du RUPN</a> › <span aria-current="page">Accompagner</span>`);
  });

  it('renders lessons through the one Markdown renderer, with pack images, tables, links and resources', async () => {
    const res = await pauline.get(`${MISSIONS}/lecons/accompagner`).expect(200);
    expect(res.text).to.contain('<strong>accompagne</strong>');
    expect(res.text).to.match(/<table>[\s\S]*<th>Mission<\/th>/);
    expect(res.text).to.contain('src="/packs/rupn-mission/assets/schema.svg"');
    expect(res.text).to.contain('aria-current="page">Accompagner</a>');
    expect(res.text).to.contain(`href="${MISSIONS}/lecons/administrer" rel="next"`);
    const last = await pauline.get(`${MISSIONS}/lecons/administrer`).expect(200);
    expect(last.text).to.contain('href="/packs/rupn-mission/assets/fiche.txt"');
    expect(last.text).to.contain('Passer au quiz');
    expect(last.text).to.contain('href="https://eduscol.education.fr/"');
    await pauline.get('/packs/rupn-mission/assets/schema.svg').expect(200);
    await pauline.get(`${MISSIONS}/lecons/inconnue`).expect(404);
    await pauline.get('/training/modules/rupn-mission/inconnu').expect(404);
  });

  it('resumes at the first lesson not seen of the module under way, then at its quiz, never in a finished module', async () => {
    const newcomer = await buildUser(t.maillon.core, { roles: ['rupn'] });
    const client = await t.loginAs(newcomer.key);
    const mine = async () => (await client.get('/training/mon-parcours').expect(200)).text;
    await client.get(`${MISSIONS}/lecons/accompagner`).expect(200);
    let page = await mine();
    expect(page).to.contain(`href="${MISSIONS}/lecons/administrer">Reprendre`);
    expect(page).to.contain('Leçon suivante : « Administrer », Les missions du RUPN');
    await client.get(`${MISSIONS}/lecons/administrer`).expect(200);
    page = await mine();
    expect(page).to.contain(`href="${MISSIONS}/quiz">Reprendre`);
    expect(page).to.contain('Il vous reste le quiz du module « Les missions du RUPN »');
    // Module finished, nothing else under way: « Continuer » opens the next module, not a lesson already done.
    expect((await submitQuiz(client, MISSIONS, MISSION_RIGHT_ANSWERS)).status).to.equal(303);
    page = await mine();
    expect(page).to.contain(`href="${DESIGNATION}">Continuer`);
    expect(page).not.to.contain('/lecons/administrer">');
    await client.get(`${DONNEES}/lecons/definition`).expect(200);
    page = await mine();
    expect(page).to.contain(`href="${DONNEES}/quiz">Reprendre`);
    expect(page).to.contain(`Module suivant à terminer : <a href="${DESIGNATION}">La désignation</a>`);

    // Pauline, who saw lessons of two modules, is summarised where she stands.
    await pauline.get(`${MISSIONS}/lecons/accompagner`).expect(200);
    await pauline.get(`${DONNEES}/lecons/definition`).expect(200);
    expect((await pauline.get('/training/mon-parcours').expect(200)).text).to.contain(`href="${DONNEES}/quiz">Reprendre`);
    const enrolment = await db().selectFrom('training_enrolments').selectAll().where('user_id', '=', await userId('nouvelle-rupn')).executeTakeFirstOrThrow();
    expect(enrolment.started_at).not.to.equal(null);
    expect(enrolment.current_module_id).to.equal('missions');
  });

  it('keeps a module locked until its prerequisite is completed, and says what unlocks it', async () => {
    const page = await pauline.get(DESIGNATION).expect(200);
    expect(page.text).to.contain('Module verrouillé');
    expect(page.text).to.contain("Ce module s&#39;ouvrira quand vous aurez terminé le module « Les missions du RUPN ».");
    expect(page.text).to.contain(`href="${MISSIONS}">Les missions du RUPN</a>`);
    const lesson = await pauline.get(`${DESIGNATION}/lecons/la-lettre-de-mission`).expect(403);
    expect(lesson.text).to.contain('Les missions du RUPN');
    const path = await pauline.get('/training/mon-parcours').expect(200);
    expect(path.text).to.match(/Verrouillé[\s\S]*La désignation[\s\S]*S'ouvre après : Les missions du RUPN/);
  });

  it('scores a failed attempt with feedback per answer, without giving the right answers away', async () => {
    const res = await submitQuiz(pauline, MISSIONS, { ...MISSION_RIGHT_ANSWERS, 'q-qui': '1', 'q-missions': ['0', '2'], 'q-sigles-0': '1', 'q-sigles-1': '0' });
    expect(res.status).to.equal(303);
    const result = await pauline.get(res.headers.location!).expect(200);
    // 0 + 0 + 1 + 0 + 1 = 2 of 5 questions.
    expect(result.text).to.contain('Score : 40 %');
    expect(result.text).to.contain('il faut 80 % pour réussir');
    expect(result.text).to.contain('Non, c&#39;est une décision de l&#39;établissement.');
    expect(result.text).to.contain('Ce n&#39;est pas une mission de référent.');
    expect(result.text).to.contain('Réponse inexacte');
    expect(result.text).not.to.contain('Réponse attendue');
    const stored = await db().selectFrom('training_quiz_attempts').select(['score', 'passed', 'answers']).where('user_id', '=', await userId('nouvelle-rupn')).execute();
    expect(stored).to.have.length(1);
    expect(stored[0]!.answers.find((a) => a.questionId === 'qui')!.given).to.deep.equal([1]);
    expect(stored[0]!.answers.find((a) => a.questionId === 'dane')!.credit).to.equal(1);
  });

  it('scores an empty submission 0 %, the matching selects left on « Choisir… » unanswered', async () => {
    const newcomer = await buildUser(t.maillon.core, { roles: ['rupn'] });
    const client = await t.loginAs(newcomer.key);
    const res = await submitQuiz(client, MISSIONS, { 'q-sigles-0': '', 'q-sigles-1': '', 'q-dane': '' });
    expect(res.status).to.equal(303);
    const result = await client.get(res.headers.location!).expect(200);
    expect(result.text).to.contain('Score : 0 %');
    expect(result.text).not.to.contain('ENT →');
    expect(result.text.match(/Votre réponse : aucune/g)).to.have.length(5);
  });

  it('passes on the second attempt, keeps the best score, completes the module and unlocks the next', async () => {
    const res = await submitQuiz(pauline, MISSIONS, MISSION_RIGHT_ANSWERS);
    const result = await pauline.get(res.headers.location!).expect(200);
    expect(result.text).to.contain('Score : 100 %');
    expect(result.text).to.contain('quiz réussi');
    expect(result.text).to.contain('Module terminé.');
    const progress = await db().selectFrom('training_module_progress').selectAll().where('user_id', '=', await userId('nouvelle-rupn')).where('module_id', '=', 'missions').executeTakeFirstOrThrow();
    expect(progress).to.include({ attempts: 2, best_score: 100 });
    expect(progress.completed_at).not.to.equal(null);
    expect((await pauline.get(DESIGNATION).expect(200)).text).not.to.contain('Module verrouillé');
    const home = await pauline.get('/').expect(200);
    expect(home.text).to.match(/<progress id="progress-\d+-w" max="3" value="1">/);
  });

  it('refuses an attempt beyond maxAttempts with a 409, and then shows the right answers', async () => {
    const page = await pauline.get(`${MISSIONS}/quiz`).expect(200);
    expect(page.text).to.contain('Vous avez utilisé vos 2 tentatives');
    const res = await pauline.post(`${MISSIONS}/quiz`).type('form').send({ _csrf: csrfFrom(page.text), ...MISSION_RIGHT_ANSWERS });
    expect(res.status).to.equal(409);
    expect(res.text).to.contain('Vous avez déjà utilisé vos 2 tentatives');
    const attempts = await db().selectFrom('training_quiz_attempts').select('id').where('user_id', '=', await userId('nouvelle-rupn')).orderBy('id').execute();
    expect(attempts).to.have.length(2);
    const first = await pauline.get(`${MISSIONS}/quiz/tentatives/${attempts[0]!.id}`).expect(200);
    expect(first.text).to.contain('Réponse attendue');
    expect(first.text).to.contain('Le chef d&#39;établissement');
    // Another learner cannot read these attempts.
    const karim = await t.loginAs('rupn');
    await karim.get(`${MISSIONS}/quiz/tentatives/${attempts[0]!.id}`).expect(404);
  });

  it('completes a module by its own rule (quiz attempted, lessons not required), then the path, and issues the badge', async () => {
    await pauline.get(`${DESIGNATION}/lecons/la-lettre-de-mission`).expect(200);
    const failed = await submitQuiz(pauline, DONNEES, { 'q-nom': 'false' });
    expect((await pauline.get(failed.headers.location!).expect(200)).text).to.contain('Score : 0 %');
    const enrolment = await db().selectFrom('training_enrolments').selectAll().where('user_id', '=', await userId('nouvelle-rupn')).executeTakeFirstOrThrow();
    expect(enrolment.completed_count).to.equal(3);
    expect(enrolment.completed_at).not.to.equal(null);
    const page = await pauline.get('/training/mon-parcours').expect(200);
    expect(page.text).to.contain('Parcours terminé le');
    expect(page.text).to.match(/href="\/training\/badges\/[0-9a-f-]{36}">Voir mon badge/);
    // Nothing left to resume: the attestation, and the path to go over again from its start.
    const badge = await db().selectFrom('training_badges').select('id').where('user_id', '=', await userId('nouvelle-rupn')).executeTakeFirstOrThrow();
    for (const html of [page.text, (await pauline.get('/').expect(200)).text]) {
      expect(html).to.contain(`<a class="button" href="/training/attestations/${badge.id}">Voir mon attestation</a>`);
      expect(html).to.contain(`<a class="button button--secondary" href="${MISSIONS}">Revoir le parcours`);
      expect(html).not.to.contain('>Reprendre');
      expect(html).not.to.contain('>Continuer');
    }
  });

  it('tells the learner her path is finished, in the bell and by e-mail, once, with a link to her badge', async () => {
    const id = await userId('nouvelle-rupn');
    const badge = await db().selectFrom('training_badges').select('id').where('user_id', '=', id).executeTakeFirstOrThrow();
    const title = 'Parcours « Entrée dans la fonction de RUPN » terminé : votre badge est délivré';
    const list = (await pauline.get('/notifications').expect(200)).text;
    expect(list).to.contain(title);
    const stored = await db().selectFrom('notifications').select(['kind', 'url']).where('user_id', '=', id).execute();
    expect(stored).to.deep.equal([{ kind: 'training:badge', url: `/training/badges/${badge.id}` }]);
    const mails = await db().selectFrom('mail_outbox').select(['subject', 'html']).where('user_id', '=', id).execute();
    expect(mails.map((m) => m.subject)).to.deep.equal([title]);
    expect(mails[0]!.html).to.contain(`/training/badges/${badge.id}"`);
    // Further steps on a finished path announce nothing more.
    await pauline.get(`${DESIGNATION}/lecons/la-lettre-de-mission`).expect(200);
    expect(await db().selectFrom('notifications').select('id').where('user_id', '=', id).execute()).to.have.length(1);
  });

  it('publishes an Open Badges 2.0 assertion, badge class, issuer and image at stable public URLs', async () => {
    const badge = await db().selectFrom('training_badges').selectAll().where('user_id', '=', await userId('nouvelle-rupn')).executeTakeFirstOrThrow();
    const anonymous = t.agent();
    const base = t.config.baseUrl;
    const assertion = await anonymous.get(`/training/openbadges/assertions/${badge.id}`).expect(200);
    expect(assertion.headers['content-type']).to.equal('application/ld+json; charset=utf-8');
    expect(assertion.headers['access-control-allow-origin']).to.equal('*');
    const a = JSON.parse(assertion.text);
    expect(a).to.deep.include({ '@context': 'https://w3id.org/openbadges/v2', type: 'Assertion', id: `${base}/training/openbadges/assertions/${badge.id}` });
    expect(a.verification).to.deep.equal({ type: 'hosted' });
    expect(a.recipient.type).to.equal('email');
    expect(a.recipient.hashed).to.equal(true);
    expect(a.recipient.salt).to.be.a('string').with.length.above(8);
    const email = (await t.maillon.core.users.byIdentity('demo', 'nouvelle-rupn'))!.email.toLowerCase();
    expect(a.recipient.identity).to.equal(`sha256$${createHash('sha256').update(email + a.recipient.salt).digest('hex')}`);
    expect(new Date(a.issuedOn).toISOString()).to.equal(a.issuedOn);
    expect(a.badge).to.equal(`${base}/training/openbadges/badges/entree-dans-la-fonction`);

    const badgeClass = JSON.parse((await anonymous.get('/training/openbadges/badges/entree-dans-la-fonction').expect(200).expect('content-type', /ld\+json/)).text);
    expect(badgeClass).to.deep.include({ type: 'BadgeClass', id: a.badge, name: 'Entrée dans la fonction de RUPN', issuer: `${base}/training/openbadges/issuer` });
    expect(badgeClass.image).to.equal(`${base}/training/openbadges/badges/entree-dans-la-fonction/image.svg`);
    expect(badgeClass.criteria.narrative).to.contain('Les missions du RUPN');
    const issuer = JSON.parse((await anonymous.get('/training/openbadges/issuer').expect(200)).text);
    expect(issuer).to.deep.include({ '@context': 'https://w3id.org/openbadges/v2', type: 'Issuer', id: badgeClass.issuer });
    expect(issuer.name).to.be.a('string').and.not.equal('');
    const image = await anonymous.get('/training/openbadges/badges/entree-dans-la-fonction/image.svg').expect(200);
    expect(image.headers['content-type']).to.equal('image/svg+xml; charset=utf-8');
    expect(image.body.toString()).to.contain('<svg');

    const missing = await anonymous.get('/training/openbadges/assertions/00000000-0000-4000-8000-000000000000').expect(404);
    expect(JSON.parse(missing.text).error).to.contain("n'existe pas");
    await anonymous.get('/training/openbadges/assertions/pas-un-uuid').expect(404);
  });

  it('verifies the badge on its public page by fetching the hosted assertion, and shows a revocation', async () => {
    const badge = await db().selectFrom('training_badges').select('id').where('user_id', '=', await userId('nouvelle-rupn')).executeTakeFirstOrThrow();
    const page = await t.agent().get(`/training/badges/${badge.id}`).expect(200);
    expect(page.text).to.contain('Badge vérifié');
    expect(page.text).to.contain('destinataire identique');
    expect(page.text).to.contain('Pauline Girard');
    await db().updateTable('training_badges').set({ revoked_at: new Date(), revocation_reason: 'Délivré par erreur' }).where('id', '=', badge.id).execute();
    const gone = await t.agent().get(`/training/openbadges/assertions/${badge.id}`).expect(410);
    expect(JSON.parse(gone.text)).to.deep.include({ revoked: true, revocationReason: 'Délivré par erreur' });
    expect((await t.agent().get(`/training/badges/${badge.id}`).expect(200)).text).to.contain('Badge révoqué');
    await db().updateTable('training_badges').set({ revoked_at: null, revocation_reason: null }).where('id', '=', badge.id).execute();
  });

  it('prints an attestation for its holder and the DANE, nobody else', async () => {
    const badge = await db().selectFrom('training_badges').select('id').where('user_id', '=', await userId('nouvelle-rupn')).executeTakeFirstOrThrow();
    const mine = await pauline.get(`/training/attestations/${badge.id}`).expect(200);
    expect(mine.text).to.contain('a terminé le parcours de formation');
    expect(mine.text).to.contain('href="/static/plugins/training/print.css" media="print"');
    await (await t.loginAs('rupn')).get(`/training/attestations/${badge.id}`).expect(403);
    await (await t.loginAs('dane')).get(`/training/attestations/${badge.id}`).expect(200);
    await t.agent().get(`/training/attestations/${badge.id}`).expect(303);
  });

  it('lists every module of every pack in the catalogue, filtered by theme and by CRCN competence', async () => {
    const all = await pauline.get('/training/catalogue').expect(200);
    expect(all.text).to.contain('5 modules');
    for (const title of ['Les missions du RUPN', 'Les données personnelles', 'Se repérer dans Maillon']) expect(all.text).to.contain(title);
    const rgpd = await pauline.get('/training/catalogue?theme=rgpd').expect(200);
    expect(rgpd.text).to.contain('1 module sur 5');
    expect(rgpd.text).to.contain('Les données personnelles');
    expect(rgpd.text).not.to.contain('Les missions du RUPN');
    const competence = await pauline.get('/training/catalogue?competence=2.1').expect(200);
    expect(competence.text).to.contain('2 modules sur 5');
    expect(competence.text).to.contain('La désignation');
    expect(competence.text).to.contain('Trouver son réseau');
    const bad = await pauline.get('/training/catalogue?competence=9.9').expect(400);
    expect(bad.text).to.contain('Compétence du CRCN');
    await pauline.get('/training/catalogue?theme=inconnu').expect(400);
  });

  it('keeps learners’ progress on modules that survive a pack update, and drops the removed ones', async () => {
    const files = missionPack('1.1.0');
    files['pack.yaml'] = files['pack.yaml']!.replace('  - modules/02-designation.md\n', '  - modules/03-nouveau.md\n');
    delete files['modules/02-designation.md'];
    files['modules/03-nouveau.md'] = '---\nid: nouveau\ntitle: Un nouveau module\n---\n# Nouveau\n\nTexte.\n';
    await fs.rm(path.join(contentDir, 'rupn-mission'), { recursive: true });
    await writePack(files, path.join(contentDir, 'rupn-mission'));
    const results = await t.maillon.core.packs.loadDirectory(contentDir);
    expect(results.find((r) => r.packId === 'rupn-mission')!.status).to.equal('updated');

    const id = await userId('nouvelle-rupn');
    const kept = await db().selectFrom('training_module_progress').select(['module_id', 'best_score', 'completed_at']).where('user_id', '=', id).orderBy('module_id').execute();
    expect(kept.map((k) => k.module_id)).to.deep.equal(['donnees', 'missions']);
    expect(kept.find((k) => k.module_id === 'missions')!.best_score).to.equal(100);
    expect(await db().selectFrom('training_quiz_attempts').select('id').where('user_id', '=', id).where('module_id', '=', 'missions').execute()).to.have.length(2);
    // The default path follows the pack; the learner's summary is read again.
    const modules = await db().selectFrom('training_path_modules').select('module_id').where('path_id', '=', (await db().selectFrom('training_paths').select('id').where('is_default', '=', true).executeTakeFirstOrThrow()).id).orderBy('position').execute();
    expect(modules.map((m) => m.module_id)).to.deep.equal(['missions', 'nouveau', 'donnees']);
    const enrolment = await db().selectFrom('training_enrolments').selectAll().where('user_id', '=', id).executeTakeFirstOrThrow();
    expect(enrolment).to.include({ required_count: 3, completed_count: 2, current_module_id: 'nouveau' });
    expect(enrolment.completed_at).to.equal(null);
    // The badge already issued stays valid.
    expect(await db().selectFrom('training_badges').select('id').where('user_id', '=', id).execute()).to.have.length(1);
  });
});

describe('training: DANE follow-up, paths and cohorts', () => {
  let t: TestApp;
  let contentDir: string;
  let dane: supertest.Agent;

  before(async () => {
    contentDir = await fs.mkdtemp(path.join(os.tmpdir(), 'maillon-training-'));
    await writePack(missionPack(), path.join(contentDir, 'rupn-mission'));
    await writePack(rgpdPack(), path.join(contentDir, 'rgpd'));
    t = await startTestApp({ contentDir, pluginDirs: PLUGINS });
    dane = await t.loginAs('dane');
  });
  after(async () => {
    await t.close();
    await fs.rm(contentDir, { recursive: true, force: true });
  });

  const db = () => t.maillon.core.db;
  const formOf = async (client: supertest.Agent, url: string) => csrfFrom((await client.get(url).expect(200)).text);

  it('refuses DANE pages to a RUPN with a 403', async () => {
    const rupn = await t.loginAs('nouvelle-rupn');
    for (const url of ['/training/suivi', '/training/suivi/export.csv', '/training/parcours', '/training/parcours/1', '/training/suivi/apprenants/1', '/training/suivi/etablissements/0860019A']) {
      await rupn.get(url).expect(403);
    }
    const token = await formOf(rupn, '/');
    await rupn.post('/training/parcours').type('form').send({ _csrf: token, title: 'Parcours pirate' }).expect(403);
    expect(await db().selectFrom('training_paths').select('id').where('title', '=', 'Parcours pirate').execute()).to.have.length(0);
  });

  it('guides a DANE member who follows no path: « Formation » opens the follow-up, « Mon parcours » leads to her pages and the catalogue', async () => {
    const main = (html: string) => html.slice(html.indexOf('<main'));
    expect((await dane.get('/').expect(200)).text).to.match(/<a href="\/training\/suivi"[^>]*>Formation<\/a>/);
    const mine = main((await dane.get('/training/mon-parcours').expect(200)).text);
    expect(mine).to.contain('Vous ne suivez aucun parcours de formation.');
    expect(mine).to.contain('<a href="/training/suivi">Suivi des parcours</a>');
    expect(mine).to.contain('<a href="/training/parcours">Parcours et cohortes</a>');
    expect(mine).to.contain('<a href="/training/catalogue">Catalogue des modules</a>');
    // A teacher follows no path either: only the catalogue is offered, and « Formation » still opens « Mon parcours ».
    const teacher = await t.loginAs('enseignante');
    const hers = (await teacher.get('/training/mon-parcours').expect(200)).text;
    expect(hers).to.match(/<a href="\/training\/mon-parcours"[^>]*>Formation<\/a>/);
    expect(main(hers)).to.contain('<a href="/training/catalogue">Catalogue des modules</a>');
    expect(main(hers)).not.to.contain('/training/suivi');
    expect(main(hers)).not.to.contain('/training/parcours"');
    // A learner's « Formation » is her path.
    const rupn = await t.loginAs('nouvelle-rupn');
    const learnerHome = (await rupn.get('/').expect(200)).text;
    expect(learnerHome).to.match(/<a href="\/training\/mon-parcours"[^>]*>Formation<\/a>/);
    // The DANE's dashboard sums up the follow-up of her département; a learner's has no such block.
    const desk = (await dane.get('/').expect(200)).text;
    const widget = desk.slice(desk.indexOf('data-widget="follow-up"'));
    expect(widget).to.contain('Suivi des nouveaux RUPN');
    expect(widget).to.contain('Vienne (86)');
    expect(widget).to.match(/<strong>\d+<\/strong> inscri/);
    expect(widget).to.contain('href="/training/suivi?parcours=1&amp;departement=86"');
    expect(learnerHome).not.to.contain('data-widget="follow-up"');
  });

  it('shows who started, completed and where they stand, per département and establishment, with a chart and a table', async () => {
    const pauline = await t.loginAs('nouvelle-rupn');
    const token = csrfFrom((await pauline.get(`${MISSIONS}/quiz`).expect(200)).text);
    await pauline.post(`${MISSIONS}/quiz`).type('form').send({ _csrf: token, ...MISSION_RIGHT_ANSWERS }).expect(303);
    await (await t.loginAs('rupn')).get(`${MISSIONS}/lecons/accompagner`).expect(200);

    const page = await dane.get('/training/suivi?departement=').expect(200);
    // Seven demo RUPNs enrolled at their creation, two started, none completed.
    expect(page.text).to.match(/stat__value">7<\/span> <span class="stat__label">inscrits/);
    expect(page.text).to.match(/stat__value">2<\/span> <span class="stat__label">ont commencé/);
    expect(page.text).to.match(/stat__value">0<\/span> <span class="stat__label">ont terminé/);
    expect(page.text).to.match(/Les missions du RUPN<\/th><td class="num">2<\/td>/);
    expect(page.text).to.match(/86 — Vienne<\/a><\/th><td class="num">3<\/td><td class="num">1<\/td>/);
    expect(page.text).to.match(/Collège Henri IV<\/a>/);
    expect(page.text).to.contain('<svg viewBox');
    expect(page.text).to.contain('Personnes ayant commencé et terminé, par semaine');

    const vienne = await dane.get('/training/suivi?departement=86').expect(200);
    expect(vienne.text).to.match(/stat__value">3<\/span> <span class="stat__label">inscrits/);
    expect(vienne.text).not.to.contain('Lycée Antoine de Saint-Exupéry');
    await dane.get('/training/suivi?departement=xyz').expect(400);
    // A code of the right shape that names no département is refused too, not shown as empty.
    const unknown = await dane.get('/training/suivi?departement=999').expect(400);
    expect(unknown.text).to.contain('code de département inconnu');
    await dane.get('/training/suivi?departement=2A').expect(200);
    await dane.get('/training/suivi?parcours=999').expect(404);
  });

  it('lists départements by code, her académie first, and opens on her own département, « Tous les départements » one choice away', async () => {
    const page = (await dane.get('/training/suivi').expect(200)).text;
    const select = /<select id="departement" name="departement">([^]*?)<\/select>/.exec(page)![1]!;
    const codes = (html: string) => [...html.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1]!);
    const groups = [...select.matchAll(/<optgroup label="([^"]+)">([^]*?)<\/optgroup>/g)];
    expect(groups.map((g) => g[1])).to.deep.equal(['Académie de Poitiers', 'Autres départements']);
    expect(codes(groups[0]![2]!)).to.deep.equal(['16', '17', '79', '86']);
    const others = codes(groups[1]![2]!);
    expect(others.slice(0, 3)).to.deep.equal(['01', '02', '03']);
    expect(others.slice(others.indexOf('19'), others.indexOf('19') + 4)).to.deep.equal(['19', '2A', '2B', '21']);
    expect(others.slice(-5)).to.deep.equal(['971', '972', '973', '974', '976']);
    expect(select).to.contain('<option value="86" selected>86 — Vienne</option>');
    expect(select).to.contain('<option value="">Tous les départements</option>');
    expect(page).to.match(/stat__value">3<\/span> <span class="stat__label">inscrits/);
    expect(page).to.contain('href="/training/suivi/export.csv?parcours=1&amp;departement=86"');
    const all = (await dane.get('/training/suivi?departement=').expect(200)).text;
    expect(all).to.contain('<option value="" selected>Tous les départements</option>');
    expect(all).to.contain('href="/training/suivi/export.csv?parcours=1&amp;departement="');
    const marc = (await (await t.loginAs('coordo-17')).get('/training/suivi').expect(200)).text;
    expect(marc).to.contain('<option value="17" selected>17 — Charente-Maritime</option>');
    // Assigning a cohort starts from her académie, listed first.
    const edit = (await dane.get('/training/parcours/1').expect(200)).text;
    const scope = /<select id="scope" name="scope" required>([^]*?)<\/select>/.exec(edit)![1]!;
    expect(scope).to.match(/^\s*<option value="">Choisir une académie ou un département<\/option>\s*<optgroup label="Académie de Poitiers">\s*<option value="academie:poitiers" selected>Toute l'académie de Poitiers<\/option>/);
    expect(scope).to.contain('<optgroup label="Académie d&#39;Aix-Marseille">');
  });

  it('exports the learners as CSV, one line each, with formulas defused', async () => {
    await db().updateTable('users').set({ family_name: '=HYPERLINK("x")' }).where('given_name', '=', 'Nicolas').execute();
    const res = await dane.get('/training/suivi/export.csv?departement=').expect(200);
    expect(res.headers['content-type']).to.equal('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).to.contain('suivi-entree-dans-la-fonction.csv');
    const lines = res.text.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).to.equal('Nom;Prénom;Adresse électronique;Département;UAI;Établissement;Inscription;Début;Dernière activité;Modules terminés;Modules obligatoires;Module en cours;Parcours terminé le');
    expect(lines).to.have.length(8);
    const pauline = lines.find((l) => l.startsWith('Girard;Pauline;'))!;
    expect(pauline).to.match(/;86;\d{7}[A-Z];Collège Henri IV;\d{4}-\d{2}-\d{2};\d{4}-\d{2}-\d{2};\d{4}-\d{2}-\d{2};0;3;Les missions du RUPN;$/);
    expect(lines.some((l) => l.startsWith(`"'=HYPERLINK(""x"")";Nicolas`))).to.equal(true);
    const filtered = await dane.get('/training/suivi/export.csv?departement=17').expect(200);
    expect(filtered.text.trim().split('\r\n')).to.have.length(3);
  });

  it("shows an establishment's learners and a learner's detail", async () => {
    const pauline = (await t.maillon.core.users.byIdentity('demo', 'nouvelle-rupn'))!;
    const uai = pauline.establishments[0]!.uai;
    const list = await dane.get(`/training/suivi/etablissements/${uai}`).expect(200);
    // The figures agree in number, and the trail goes through the département of the establishment.
    expect(list.text).to.match(/<p>1 inscrit·e, 1 l’a commencé, (0|1) l’a terminé\.<\/p>/);
    const establishment = await db().selectFrom('establishments as e').innerJoin('departments as d', 'd.code', 'e.department_code').select(['e.name', 'd.code', 'd.name as department']).where('e.uai', '=', uai).executeTakeFirstOrThrow();
    expect(list.text).to.match(new RegExp(`<nav aria-label="Fil d'Ariane" class="breadcrumb"><a href="/training/suivi\\?parcours=\\d+&amp;departement=">Suivi des parcours</a> › <a href="/training/suivi\\?parcours=\\d+&amp;departement=${establishment.code}">${establishment.department} \\(${establishment.code}\\)</a> › <span aria-current="page">${establishment.name}</span></nav>`));
    expect(list.text).to.contain(`href="/training/suivi/apprenants/${pauline.id}">Pauline Girard</a>`);
    const detail = await dane.get(`/training/suivi/apprenants/${pauline.id}`).expect(200);
    expect(detail.text).to.contain('Entrée dans la fonction de RUPN');
    expect(detail.text).to.match(/Les missions du RUPN<\/th><td>[^<]+<\/td><td class="num">100 %<\/td><td>réussi<\/td>/);
    expect(detail.text).not.to.contain('>Reprendre');
    await dane.get('/training/suivi/apprenants/999999').expect(404);
    await dane.get('/training/suivi/etablissements/0000000X').expect(404);
  });

  it('defines a path of chosen modules, in order, with an optional one', async () => {
    const token = await formOf(dane, '/training/parcours');
    const created = await dane.post('/training/parcours').type('form').send({ _csrf: token, title: 'Parcours de la Vienne', description: 'Pour les nouveaux RUPN de la Vienne.' }).expect(303);
    const url = created.headers.location!;
    const edit = await dane.get(url).expect(200);
    const res = await dane
      .post(url)
      .type('form')
      .send({
        _csrf: csrfFrom(edit.text),
        title: 'Parcours de la Vienne',
        description: '',
        modules: ['rupn-mission/missions', 'rgpd/donnees'],
        'position-rupn-mission/missions': '2',
        'position-rgpd/donnees': '1',
        optional: 'rupn-mission/missions',
      })
      .expect(303);
    expect(res.headers.location).to.equal(url);
    const id = Number(url.split('/').pop());
    const modules = await db().selectFrom('training_path_modules').select(['module_id', 'optional']).where('path_id', '=', id).orderBy('position').execute();
    expect(modules).to.deep.equal([{ module_id: 'donnees', optional: false }, { module_id: 'missions', optional: true }]);
    const bad = await dane.post(url).type('form').send({ _csrf: csrfFrom(edit.text), title: 'Parcours de la Vienne', modules: 'rgpd/absent' });
    expect(bad.status).to.equal(400);
    expect(bad.text).to.contain('module inconnu');
    const short = await dane.post(url).type('form').send({ _csrf: csrfFrom(edit.text), title: 'x' });
    expect(short.status).to.equal(400);
    expect(short.text).to.contain('« Titre »');
  });

  it('assigns a path to the new RUPNs of a département: those designated this year, and those designated later', async () => {
    const pathId = (await db().selectFrom('training_paths').select('id').where('title', '=', 'Parcours de la Vienne').executeTakeFirstOrThrow()).id;
    const token = await formOf(dane, `/training/parcours/${pathId}`);
    const { schoolYearOf } = await import('../../plugins/training/enrolments.js');
    const year = schoolYearOf();
    await dane.post(`/training/parcours/${pathId}/cohortes`).type('form').send({ _csrf: token, schoolYear: String(year), scope: 'departement:86' }).expect(303);
    // The three demo RUPNs of the Vienne were designated this school year.
    const enrolled = await db().selectFrom('training_enrolments').select('user_id').where('path_id', '=', pathId).execute();
    expect(enrolled).to.have.length(3);
    const again = await dane.post(`/training/parcours/${pathId}/cohortes`).type('form').send({ _csrf: token, schoolYear: String(year), scope: 'departement:86' });
    expect(again.status).to.equal(409);
    const unknown = await dane.post(`/training/parcours/${pathId}/cohortes`).type('form').send({ _csrf: token, schoolYear: String(year), scope: 'departement:999' });
    expect(unknown.status).to.equal(400);

    // Designations that come later (issue 8): a new account, and a role given to an existing one.
    const newcomer = await buildUser(t.maillon.core, { roles: ['rupn'], departmentCode: '86' });
    const paths = async (userId: number) =>
      (await db().selectFrom('training_enrolments as e').innerJoin('training_paths as p', 'p.id', 'e.path_id').select('p.title').where('e.user_id', '=', userId).execute()).map((r) => r.title);
    expect(await paths(newcomer.id)).to.deep.equal(['Parcours de la Vienne']);
    const elsewhere = await buildUser(t.maillon.core, { roles: ['rupn'], departmentCode: '17' });
    expect(await paths(elsewhere.id)).to.deep.equal(['Entrée dans la fonction de RUPN']);
    const teacher = await buildUser(t.maillon.core, { roles: ['enseignant'], departmentCode: '86' });
    expect(await paths(teacher.id)).to.deep.equal([]);
    await t.maillon.core.users.setRoles(teacher.id, ['enseignant', 'rupn'], null);
    expect(await paths(teacher.id)).to.deep.equal(['Parcours de la Vienne']);
  });

  it('refuses to delete the default path or a path with badges, and deletes an unused one', async () => {
    const defaultId = (await db().selectFrom('training_paths').select('id').where('is_default', '=', true).executeTakeFirstOrThrow()).id;
    const token = await formOf(dane, '/training/parcours');
    await dane.post(`/training/parcours/${defaultId}/supprimer`).type('form').send({ _csrf: token }).expect(409);
    const created = await dane.post('/training/parcours').type('form').send({ _csrf: token, title: 'Essai à supprimer' }).expect(303);
    await dane.post(`${created.headers.location}/supprimer`).type('form').send({ _csrf: token }).expect(303);
    expect(await db().selectFrom('training_paths').select('id').where('title', '=', 'Essai à supprimer').execute()).to.have.length(0);
  });
});
