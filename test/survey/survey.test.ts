import path from 'node:path';
import { expect } from 'chai';
import type supertest from 'supertest';
import { ROOT, csrfFrom, startTestApp, type TestApp } from '../support/testApp.js';
import { startSmtpSink, type SmtpSink } from '../support/smtpSink.js';
import { addDays, dayOf } from '../../plugins/survey/dates.js';
import { tallyRebuilder } from '../../plugins/survey/surveys.js';
import { longDate } from '../../server/web/viewHelpers.js';

const PLUGINS = [path.join(ROOT, 'plugins', 'home'), path.join(ROOT, 'plugins', 'survey')];
const today = dayOf(new Date());

describe('bilan annuel: building, answering, anonymity, reminders, report', function () {
  this.timeout(60_000);
  let t: TestApp;
  let sink: SmtpSink;
  let dane: supertest.Agent;
  let karim: supertest.Agent;
  let pauline: supertest.Agent;

  before(async () => {
    sink = await startSmtpSink();
    t = await startTestApp({ pluginDirs: PLUGINS, env: { JOBS_RUNNER: 'false', SMTP_URL: sink.url, MAIL_RATE_PER_SECOND: '0' } });
    dane = await t.loginAs('dane');
    karim = await t.loginAs('rupn');
    pauline = await t.loginAs('nouvelle-rupn');
  });
  after(async () => {
    await t.close();
    await sink.close();
  });

  const db = () => t.maillon.core.db;
  const userId = async (key: string) => (await t.maillon.core.users.byIdentity('demo', key))!.id;

  async function post(client: supertest.Agent, pageUrl: string, url: string, fields: Record<string, string | string[]>) {
    const page = await client.get(pageUrl);
    return client.post(url).type('form').send({ _csrf: csrfFrom(page.text), ...fields });
  }
  async function createSurvey(fields: Record<string, string> = {}): Promise<number> {
    const res = await post(dane, '/bilan/gestion', '/bilan/gestion', { title: 'Bilan de test', academy: 'poitiers', opensOn: today, closesOn: addDays(today, 10), ...fields });
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
    return Number(/\/bilan\/gestion\/(\d+)/.exec(res.headers.location!)![1]);
  }
  async function addQuestion(id: number, fields: Record<string, string>) {
    return post(dane, `/bilan/gestion/${id}`, `/bilan/gestion/${id}/questions`, fields);
  }
  async function questionIds(id: number): Promise<number[]> {
    return (await db().selectFrom('survey_questions').select('id').where('survey_id', '=', id).orderBy('position').execute()).map((q) => q.id);
  }
  async function answer(client: supertest.Agent, id: number, fields: Record<string, string | string[]>) {
    return post(client, `/bilan/${id}`, `/bilan/${id}`, fields);
  }

  /** A survey of four questions: Q2 shown only when Q1 is « Oui », and required then. */
  async function conditionalSurvey(extra: Record<string, string> = {}): Promise<{ id: number; q: number[] }> {
    const id = await createSurvey(extra);
    expect((await addQuestion(id, { kind: 'yesno', label: 'Arrivez-vous à informer vos collègues ?', required: 'on', statement: 'disent y parvenir' })).status).to.equal(303);
    const [q1] = await questionIds(id);
    expect((await addQuestion(id, { kind: 'multiple', label: 'Par quels moyens ?', options: 'Courriel\nRéunions\nENT', required: 'on', condition: `${q1}:1` })).status).to.equal(303);
    expect((await addQuestion(id, { kind: 'scale', label: 'Êtes-vous associé aux projets ?', scaleMax: '5', scaleLow: 'Jamais', scaleHigh: 'Toujours', statement: 'se disent associés' })).status).to.equal(303);
    expect((await addQuestion(id, { kind: 'text', label: 'Vos besoins de formation' })).status).to.equal(303);
    return { id, q: await questionIds(id) };
  }

  describe('builder', () => {
    it('is for the DANE only', async () => {
      await karim.get('/bilan/gestion').expect(403);
      const teacher = await t.loginAs('enseignante');
      await teacher.get('/bilan/gestion').expect(403);
      await teacher.get('/bilan').expect(403);
      const page = await dane.get('/bilan/gestion').expect(200);
      expect(page.text).to.contain('Nouveau bilan');
    });

    it('refuses bad survey settings with a French message and writes nothing', async () => {
      const before = await db().selectFrom('survey_surveys').select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      let res = await post(dane, '/bilan/gestion', '/bilan/gestion', { title: 'B', academy: 'poitiers', opensOn: today, closesOn: today });
      expect(res.status).to.equal(400);
      expect(res.text).to.contain('« Titre » : au moins 3 caractères');
      res = await post(dane, '/bilan/gestion', '/bilan/gestion', { title: 'Bilan', academy: 'poitiers', opensOn: today, closesOn: addDays(today, -1) });
      expect(res.status).to.equal(400);
      expect(res.text).to.contain('« Date de clôture » : elle doit suivre la date d&#39;ouverture.');
      res = await post(dane, '/bilan/gestion', '/bilan/gestion', { title: 'Bilan', academy: 'atlantide', opensOn: today, closesOn: today });
      expect(res.status).to.equal(400);
      expect(res.text).to.contain('« Académie » : académie inconnue.');
      res = await post(dane, '/bilan/gestion', '/bilan/gestion', { title: 'Bilan', academy: 'poitiers', opensOn: '2025-02-30', closesOn: today });
      expect(res.status).to.equal(400);
      const after = await db().selectFrom('survey_surveys').select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(after.n).to.equal(before.n);
    });

    it('builds every kind of question, with required flags and a condition on an earlier answer', async () => {
      const { id, q } = await conditionalSurvey();
      const page = await dane.get(`/bilan/gestion/${id}`).expect(200);
      expect(page.text).to.match(/Arrivez-vous à informer vos collègues \?[\s\S]*Oui \/ non · obligatoire/);
      expect(page.text).to.contain('Choix multiple · obligatoire · affichée seulement si Q1 = Oui');
      expect(page.text).to.contain('Échelle de 1 à 5');
      expect(page.text).to.contain('Texte libre');
      const stored = await db().selectFrom('survey_questions').selectAll().where('id', '=', q[1]!).executeTakeFirstOrThrow();
      expect(stored).to.include({ kind: 'multiple', required: true, show_if_question: q[0], show_if_value: 1, position: 2 });
      expect(stored.options).to.deep.equal(['Courriel', 'Réunions', 'ENT']);
    });

    it('refuses a choice question without two answers, a scale out of 2–10 and a condition on a later or text question', async () => {
      const { id, q } = await conditionalSurvey();
      let res = await addQuestion(id, { kind: 'single', label: 'Un seul choix ?', options: 'Seul' });
      expect(res.status).to.equal(400);
      expect(res.text).to.contain('« Réponses proposées » : au moins deux réponses, une par ligne.');
      res = await addQuestion(id, { kind: 'scale', label: 'Trop de points', scaleMax: '11' });
      expect(res.status).to.equal(400);
      expect(res.text).to.contain('un nombre entier de 2 à 10');
      res = await addQuestion(id, { kind: 'yesno', label: 'Selon un texte', condition: `${q[3]}:1` });
      expect(res.status).to.equal(400);
      expect(res.text).to.contain('« Condition » : elle doit porter sur une réponse d&#39;une question précédente.');
      // Editing Q1 so that it depends on Q3 (a later question) is refused too.
      const edit = await post(dane, `/bilan/gestion/${id}/questions/${q[0]}`, `/bilan/gestion/${id}/questions/${q[0]}`, { kind: 'yesno', label: 'Arrivez-vous à informer ?', condition: `${q[2]}:5` });
      expect(edit.status).to.equal(400);
      res = await addQuestion(id, { kind: 'bizarre', label: 'Type inconnu' });
      expect(res.status).to.equal(400);
      expect(res.text).to.contain('« Type »');
      expect(await questionIds(id)).to.have.length(4);
    });

    it('reorders questions, but never puts a question before the one it depends on', async () => {
      const { id, q } = await conditionalSurvey();
      const refused = await post(dane, `/bilan/gestion/${id}`, `/bilan/gestion/${id}/questions/${q[1]}/deplacer`, { direction: 'up' });
      expect(refused.status).to.equal(409);
      expect(refused.text).to.contain('La question 2 dépend de la question 1');
      expect((await post(dane, `/bilan/gestion/${id}`, `/bilan/gestion/${id}/questions/${q[3]}/deplacer`, { direction: 'up' })).status).to.equal(303);
      expect(await questionIds(id)).to.deep.equal([q[0], q[1], q[3], q[2]]);
      const first = await post(dane, `/bilan/gestion/${id}`, `/bilan/gestion/${id}/questions/${q[0]}/deplacer`, { direction: 'up' });
      expect(first.status).to.equal(400);
      expect(first.text).to.contain('La question est déjà la première.');
      // Deleting Q1 frees Q2 of its condition and renumbers.
      expect((await post(dane, `/bilan/gestion/${id}`, `/bilan/gestion/${id}/questions/${q[0]}/supprimer`, {})).status).to.equal(303);
      const rest = await db().selectFrom('survey_questions').select(['id', 'position', 'show_if_question']).where('survey_id', '=', id).orderBy('position').execute();
      expect(rest.map((r) => [r.id, r.position, r.show_if_question])).to.deep.equal([[q[1], 1, null], [q[3], 2, null], [q[2], 3, null]]);
    });
  });

  describe('answering', () => {
    it('lists the open survey for a RUPN of the académie, and the dashboard invites to answer', async () => {
      const { id } = await conditionalSurvey({ title: 'Bilan ouvert à Poitiers' });
      const list = await karim.get('/bilan').expect(200);
      expect(list.text).to.contain(`href="/bilan/${id}">Bilan ouvert à Poitiers</a>`);
      expect(list.text).to.contain("Vous n'avez pas répondu");
      const home = await karim.get('/').expect(200);
      expect(home.text).to.contain('data-widget="to-answer"');
      expect(home.text).to.contain(`href="/bilan/${id}">Bilan ouvert à Poitiers</a> attend votre réponse`);
    });

    it('refuses people outside the audience and surveys not open yet', async () => {
      const elsewhere = await createSurvey({ academy: 'bordeaux', title: 'Bilan de Bordeaux' });
      const res = await karim.get(`/bilan/${elsewhere}`);
      expect(res.status).to.equal(403);
      expect(res.text).to.contain("Ce bilan s&#39;adresse aux RUPN de l&#39;académie de Bordeaux.");
      const amiens = await createSurvey({ academy: 'amiens', title: "Bilan d'Amiens" });
      expect((await karim.get(`/bilan/${amiens}`)).text).to.contain("Ce bilan s&#39;adresse aux RUPN de l&#39;académie d&#39;Amiens.");
      const later = await createSurvey({ opensOn: addDays(today, 5), closesOn: addDays(today, 10) });
      expect((await karim.get(`/bilan/${later}`)).status).to.equal(404);
      expect((await karim.get('/bilan/999999')).status).to.equal(404);
      // Open but still empty: nobody can answer (it would lock the questions before they exist).
      const empty = await createSurvey();
      const blank = await karim.get(`/bilan/${empty}`);
      expect(blank.status).to.equal(409);
      expect(blank.text).to.contain("Ce bilan n&#39;a pas encore de questions");
      expect((await karim.get('/bilan/abc')).status).to.equal(404);
    });

    it('checks required and conditional answers server side, with French messages, and keeps what was typed', async () => {
      const { id, q } = await conditionalSurvey();
      // Nothing at all: Q1 is required.
      let res = await answer(karim, id, {});
      expect(res.status).to.equal(422);
      expect(res.text).to.contain("Votre réponse n'est pas enregistrée");
      expect(res.text).to.contain(`href="#q${q[0]}-titre">Question 1 : Arrivez-vous à informer vos collègues ?</a> — Réponse obligatoire : choisissez une réponse.`);
      // « Oui » shows Q2, which is then required; the text typed comes back.
      res = await answer(karim, id, { [`q${q[0]}`]: '1', [`q${q[3]}`]: 'Garder ce texte' });
      expect(res.status).to.equal(422);
      expect(res.text).to.contain('Réponse obligatoire : cochez au moins une case.');
      expect(res.text).to.contain('>Garder ce texte</textarea>');
      expect(res.text).to.match(/id="q\d+-1" name="q\d+" value="1" checked/);
      // A value that is not offered.
      res = await answer(karim, id, { [`q${q[0]}`]: '1', [`q${q[1]}`]: ['0', '7'] });
      expect(res.status).to.equal(422);
      expect(res.text).to.contain('Choix inconnu');
      res = await answer(karim, id, { [`q${q[0]}`]: '0', [`q${q[2]}`]: '9' });
      expect(res.status).to.equal(422);
      expect(res.text).to.contain('Choisissez une valeur de 1 à 5.');
      res = await answer(karim, id, { [`q${q[0]}`]: '0', [`q${q[3]}`]: 'x'.repeat(5001) });
      expect(res.status).to.equal(422);
      expect(res.text).to.match(/5\s000 caractères au plus/);
      expect(await db().selectFrom('survey_responses').select('respondent_key').where('survey_id', '=', id).execute()).to.have.length(0);
      // « Non »: Q2 is hidden, so not required, and what the browser sent for it is dropped.
      res = await answer(karim, id, { [`q${q[0]}`]: '0', [`q${q[1]}`]: ['0', '1'], [`q${q[2]}`]: '4' });
      expect(res.status).to.equal(303);
      const stored = await db().selectFrom('survey_answers').select(['question_id', 'value']).where('survey_id', '=', id).orderBy('question_id').execute();
      expect(stored.map((s) => [s.question_id, s.value])).to.deep.equal([[q[0], 0], [q[2], 4]]);
    });

    it('keeps one answer per person, editable until closing, then refuses changes with a 409', async () => {
      const { id, q } = await conditionalSurvey();
      expect((await answer(pauline, id, { [`q${q[0]}`]: '1', [`q${q[1]}`]: ['0', '2'] })).status).to.equal(303);
      let page = await pauline.get(`/bilan/${id}`).expect(200);
      expect(page.text).to.contain('Vous avez répondu le');
      expect(page.text).to.match(new RegExp(`id="q${q[1]}-0" name="q${q[1]}" value="0" checked`));
      expect(page.text).to.contain('Enregistrer mes modifications');
      const again = await answer(pauline, id, { [`q${q[0]}`]: '1', [`q${q[1]}`]: '1', [`q${q[3]}`]: 'Plus de temps' });
      expect(again.status).to.equal(303);
      const flash = await pauline.get('/bilan').expect(200);
      expect(flash.text).to.contain('Votre réponse est mise à jour.');
      expect(flash.text).to.contain('<strong>Vous avez répondu</strong>');
      const responses = await db().selectFrom('survey_responses').selectAll().where('survey_id', '=', id).execute();
      expect(responses).to.have.length(1);
      expect(responses[0]!.user_id).to.equal(await userId('nouvelle-rupn'));
      const values = await db().selectFrom('survey_answers').select(['question_id', 'value', 'text']).where('survey_id', '=', id).orderBy('question_id').execute();
      expect(values.map((v) => [v.question_id, v.value, v.text])).to.deep.equal([[q[0], 1, null], [q[1], 1, null], [q[3], null, 'Plus de temps']]);
      // The database itself refuses a second response for the same person.
      let refused: unknown = null;
      await db()
        .insertInto('survey_responses')
        .values({ survey_id: id, respondent_key: 'autre-cle', user_id: await userId('nouvelle-rupn'), department_code: '86' })
        .execute()
        .catch((e: unknown) => (refused = e));
      expect((refused as { code?: string } | null)?.code).to.equal('23505');
      // Closed: the form is gone and a late post changes nothing.
      const form = await pauline.get(`/bilan/${id}`).expect(200);
      await db().updateTable('survey_surveys').set({ opens_at: new Date(Date.now() - 10 * 86_400_000), closes_at: new Date(Date.now() - 1000) }).where('id', '=', id).execute();
      const late = await pauline.post(`/bilan/${id}`).type('form').send({ _csrf: csrfFrom(form.text), [`q${q[0]}`]: '0' });
      expect(late.status).to.equal(409);
      expect(late.text).to.contain('Ce bilan est clos depuis le');
      page = await pauline.get(`/bilan/${id}`);
      expect(page.status).to.equal(409);
      expect(page.text).to.contain('Votre réponse a bien été prise en compte.');
      expect((await db().selectFrom('survey_answers').select('value').where('question_id', '=', q[0]!).executeTakeFirstOrThrow()).value).to.equal(1);
    });

    it('locks the questions once someone has answered, and says so', async () => {
      const { id, q } = await conditionalSurvey();
      expect((await answer(karim, id, { [`q${q[0]}`]: '0' })).status).to.equal(303);
      const page = await dane.get(`/bilan/gestion/${id}`).expect(200);
      expect(page.text).to.contain('Questions verrouillées : 1 réponse a déjà été enregistrée');
      expect(page.text).not.to.contain('Ajouter la question');
      const csrf = csrfFrom(page.text);
      for (const [url, body] of [
        [`/bilan/gestion/${id}/questions`, { kind: 'yesno', label: 'Trop tard ?' }],
        [`/bilan/gestion/${id}/questions/${q[0]}`, { kind: 'yesno', label: 'Changée ?' }],
        [`/bilan/gestion/${id}/questions/${q[0]}/supprimer`, {}],
        [`/bilan/gestion/${id}/questions/${q[2]}/deplacer`, { direction: 'up' }],
      ] as const) {
        const res = await dane.post(url).type('form').send({ _csrf: csrf, ...body });
        expect(res.status, url).to.equal(409);
        expect(res.text).to.contain('les questions de ce bilan sont verrouillées');
      }
      expect(await questionIds(id)).to.deep.equal(q);
      // Dates can still move (to extend the survey), the anonymity cannot.
      const settings = { title: 'Bilan de test', academy: 'poitiers', opensOn: today, closesOn: addDays(today, 20) };
      expect((await dane.post(`/bilan/gestion/${id}`).type('form').send({ _csrf: csrf, ...settings })).status).to.equal(303);
      const flip = await dane.post(`/bilan/gestion/${id}`).type('form').send({ _csrf: csrf, ...settings, anonymous: 'on' });
      expect(flip.status).to.equal(409);
      expect(flip.text).to.contain('le caractère anonyme du bilan ne peut plus changer');
    });
  });

  describe('anonymity', () => {
    it('stores no user id beside anonymous answers, and no page or export names anyone', async () => {
      const { id, q } = await conditionalSurvey({ anonymous: 'on', title: 'Bilan anonyme' });
      const form = await karim.get(`/bilan/${id}`).expect(200);
      expect(form.text).to.contain('Bilan anonyme.');
      expect((await answer(karim, id, { [`q${q[0]}`]: '1', [`q${q[1]}`]: '2', [`q${q[3]}`]: 'Premier texte libre' })).status).to.equal(303);
      expect((await answer(pauline, id, { [`q${q[0]}`]: '0', [`q${q[3]}`]: 'Second texte libre' })).status).to.equal(303);
      const responses = await db().selectFrom('survey_responses').selectAll().where('survey_id', '=', id).execute();
      expect(responses).to.have.length(2);
      expect(responses.map((r) => r.user_id)).to.deep.equal([null, null]);
      // Participation says who answered, not what.
      const participations = await db().selectFrom('survey_participations').selectAll().where('survey_id', '=', id).execute();
      expect(participations).to.have.length(2);
      expect(Object.keys(participations[0]!).sort()).to.deep.equal(['answered_on', 'reminded_on', 'survey_id', 'user_id']);

      // Each finds their own answer again; nobody else's.
      expect((await karim.get(`/bilan/${id}`).expect(200)).text).to.contain('>Premier texte libre</textarea>');
      expect((await pauline.get(`/bilan/${id}`).expect(200)).text).to.contain('>Second texte libre</textarea>');
      expect((await pauline.get(`/bilan/${id}`).expect(200)).text).not.to.contain('Premier texte libre');

      const results = await dane.get(`/bilan/gestion/${id}/resultats`).expect(200);
      expect(results.text).to.contain('Premier texte libre');
      for (const name of ['Benali', 'Karim', 'Girard', 'Pauline', 'ac-poitiers']) expect(results.text, name).not.to.contain(name);
      expect(results.text).not.to.contain('Qui a répondu');
      // Below three answers, a département's figures are withheld.
      expect(results.text).to.contain('Moins de 3 réponses : non affiché (anonymat)');

      const csv = await dane.get(`/bilan/gestion/${id}/resultats.csv`).expect(200);
      const text = csv.text;
      for (const name of ['Benali', 'Karim', 'Girard', 'Pauline', '@']) expect(text, name).not.to.contain(name);
      const [header, ...rows] = text.replace(/^\uFEFF/, '').trim().split('\r\n');
      expect(header!.split(';').slice(0, 2)).to.deep.equal(['Département', 'Date']);
      expect(rows).to.have.length(2);
      // The month only: the day would help match a response with a participation.
      for (const row of rows) expect(row.split(';')[1]).to.match(/^\d{4}-\d{2}$/);
    });

    it('shows the names of respondents only when the survey is not anonymous', async () => {
      const { id, q } = await conditionalSurvey({ title: 'Bilan nominatif' });
      expect((await answer(karim, id, { [`q${q[0]}`]: '0' })).status).to.equal(303);
      const results = await dane.get(`/bilan/gestion/${id}/resultats`).expect(200);
      expect(results.text).to.contain("RUPN de l'académie de Poitiers");
      expect(results.text).to.contain('Qui a répondu');
      expect(results.text).to.contain('Karim Benali');
      // Someone without a département: no dash after the name.
      await db().updateTable('survey_responses').set({ department_code: null }).where('survey_id', '=', id).execute();
      const bare = await dane.get(`/bilan/gestion/${id}/resultats`).expect(200);
      expect(bare.text).to.contain('<li>Karim Benali</li>');
      const csv = await dane.get(`/bilan/gestion/${id}/resultats.csv`).expect(200);
      expect(csv.text).to.contain('Karim Benali;karim.benali@');
    });
  });

  describe('reminders', () => {
    it('reminds only those who have not answered, by notification and e-mail, never twice the same day', async () => {
      const { id, q } = await conditionalSurvey({ title: 'Bilan à relancer' });
      expect((await answer(karim, id, { [`q${q[0]}`]: '0' })).status).to.equal(303);
      const audience = await db()
        .selectFrom('users as u')
        .innerJoin('user_roles as r', 'r.user_id', 'u.id')
        .select('u.id')
        .where('r.role', '=', 'rupn')
        .where('u.academy_code', '=', 'poitiers')
        .where('u.status', '=', 'active')
        .execute();
      const res = await post(dane, `/bilan/gestion/${id}`, `/bilan/gestion/${id}/relancer`, {});
      expect(res.status).to.equal(303);
      const page = await dane.get(`/bilan/gestion/${id}`).expect(200);
      expect(page.text).to.contain(`${audience.length - 1} personnes relancées.`);
      const notes = await db().selectFrom('notifications').select(['user_id', 'url']).where('kind', '=', 'bilan:reminder').where('url', '=', `/bilan/${id}`).execute();
      expect(notes).to.have.length(audience.length - 1);
      expect(notes.map((n) => n.user_id)).not.to.include(await userId('rupn'));
      await t.maillon.core.jobs.drain();
      await sink.waitFor(audience.length - 1);
      const mail = sink.messages.find((m) => m.subject?.includes('Bilan à relancer'));
      expect(mail?.subject).to.equal('Bilan annuel : « Bilan à relancer » attend votre réponse');
      expect(mail?.text).to.contain(`/bilan/${id}`);
      // The last day the survey is open, not the midnight after it.
      expect(mail?.text).to.contain(`ouvert jusqu'au ${longDate(new Date(`${addDays(today, 10)}T12:00:00Z`), 'UTC')}.`);

      // The button again, and the weekly job, the same day: nobody twice.
      await post(dane, `/bilan/gestion/${id}`, `/bilan/gestion/${id}/relancer`, {});
      expect((await dane.get(`/bilan/gestion/${id}`).expect(200)).text).to.contain("Personne à relancer aujourd&#39;hui");
      await t.maillon.core.jobs.enqueue('bilan:reminders', {}, { uniqueKey: `test:${id}` });
      await t.maillon.core.jobs.drain();
      const after = await db().selectFrom('notifications').select('id').where('kind', '=', 'bilan:reminder').where('url', '=', `/bilan/${id}`).execute();
      expect(after).to.have.length(audience.length - 1);
    });

    it('lets the weekly job remind those of an open survey', async () => {
      const { id } = await conditionalSurvey({ title: 'Bilan du lundi' });
      await t.maillon.core.jobs.enqueue('bilan:reminders', {}, { uniqueKey: `test-weekly:${id}` });
      await t.maillon.core.jobs.drain();
      const notes = await db().selectFrom('notifications').select('user_id').where('url', '=', `/bilan/${id}`).execute();
      expect(notes.length).to.be.greaterThan(0);
      expect(notes.map((n) => n.user_id)).to.include(await userId('rupn'));
    });

    it('refuses to remind for a survey that is not open', async () => {
      const later = await createSurvey({ opensOn: addDays(today, 3), closesOn: addDays(today, 9) });
      const res = await post(dane, `/bilan/gestion/${later}`, `/bilan/gestion/${later}/relancer`, {});
      expect(res.status).to.equal(409);
      expect(res.text).to.contain("Ce bilan n&#39;est pas ouvert");
    });
  });

  describe('report', () => {
    it('gives the response rate, sentences, accessible bar charts, the breakdown per département, free texts and a CSV', async () => {
      const { id, q } = await conditionalSurvey({ title: 'Bilan du rapport' });
      // Three people in the Vienne answer, so that the département shows figures.
      const people = [karim, pauline, await t.loginAs('rupn-poitiers'), await t.loginAs('rupn-chatellerault')];
      const given = [
        { [`q${q[0]}`]: '1', [`q${q[1]}`]: ['0', '1'], [`q${q[2]}`]: '5', [`q${q[3]}`]: '=SOMME(A1;A2) et "guillemets"' },
        { [`q${q[0]}`]: '1', [`q${q[1]}`]: '0', [`q${q[2]}`]: '4' },
        { [`q${q[0]}`]: '1', [`q${q[1]}`]: '2', [`q${q[2]}`]: '2', [`q${q[3]}`]: '<script>alert(1)</script>' },
        { [`q${q[0]}`]: '0', [`q${q[2]}`]: '1' },
      ];
      for (const [i, p] of people.entries()) expect((await answer(p, id, given[i]!)).status).to.equal(303);

      const audience = Number((await db().selectFrom('users as u').innerJoin('user_roles as r', 'r.user_id', 'u.id').select((e) => e.fn.countAll<number>().as('n')).where('r.role', '=', 'rupn').where('u.academy_code', '=', 'poitiers').executeTakeFirstOrThrow()).n);
      const res = await dane.get(`/bilan/gestion/${id}/resultats`).expect(200);
      const html = res.text;
      expect(html).to.contain(`4 réponses sur ${audience} RUPN interrogés, soit ${Math.round((400) / audience)} %.`);
      // 3 of 4 said yes.
      expect(html).to.contain('75 % disent y parvenir.');
      // Scale: 5, 4, 2, 1 → 2 of 4 at 3 or more (upper half of 1–5); mean 3.
      expect(html).to.contain('50 % se disent associés (moyenne 3 sur 5).');
      // Q2 was answered by the three who said yes; « Courriel » by two of them.
      expect(html).to.contain('67 % citent « Courriel »');
      expect(html).to.match(/<svg[^>]*role="img"[^>]*aria-labelledby="graphe-\d+-titre"/);
      expect(html).to.match(/<th scope="row">Courriel<\/th><td class="num">2<\/td><td class="num">67 %<\/td>/);
      expect(html).to.contain('<summary>Par département</summary>');
      expect(html).to.match(/<th scope="row">Vienne<\/th>\s*<td class="num">3<\/td>/);
      expect(html).to.contain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(html).not.to.contain('<script>alert(1)</script>');
      expect(html).to.match(/Vienne \(86\)<\/th><td class="num">\d+<\/td><td class="num">3<\/td>/);

      const csv = await dane.get(`/bilan/gestion/${id}/resultats.csv`).expect(200);
      expect(csv.headers['content-type']).to.equal('text/csv; charset=utf-8');
      expect(csv.headers['content-disposition']).to.contain(`bilan-${id}.csv`);
      expect(csv.text.charCodeAt(0)).to.equal(0xfeff);
      const lines = csv.text.slice(1).trim().split('\r\n');
      expect(lines[0]).to.equal('Nom;Courriel;Département;Date;Q1. Arrivez-vous à informer vos collègues ?;Q2. Par quels moyens ?;Q3. Êtes-vous associé aux projets ?;Q4. Vos besoins de formation');
      expect(lines).to.have.length(5);
      const karimLine = lines.find((l) => l.startsWith('Karim Benali'))!;
      expect(karimLine).to.contain(';Oui;Courriel | Réunions;5;');
      // A formula is neutralised and quotes are doubled.
      expect(karimLine).to.contain(`"'=SOMME(A1;A2) et ""guillemets"""`);
    });

    it('keeps the running totals of the report equal to a fresh count of the answers, through edits', async () => {
      const { id, q } = await conditionalSurvey();
      const tallies = async () =>
        (await db().selectFrom('survey_tallies').select(['question_id', 'department_code', 'value', 'n']).where('survey_id', '=', id).where('n', '>', 0).orderBy('question_id').orderBy('department_code').orderBy('value').execute()).map((t) => `${t.question_id}/${t.department_code}/${t.value}=${t.n}`);
      expect((await answer(karim, id, { [`q${q[0]}`]: '1', [`q${q[1]}`]: ['0', '2'], [`q${q[2]}`]: '3', [`q${q[3]}`]: 'Un texte' })).status).to.equal(303);
      expect((await answer(pauline, id, { [`q${q[0]}`]: '1', [`q${q[1]}`]: '2' })).status).to.equal(303);
      // Karim changes his mind: « Non » drops his Q2 answers.
      expect((await answer(karim, id, { [`q${q[0]}`]: '0', [`q${q[2]}`]: '5' })).status).to.equal(303);
      const kept = await tallies();
      expect(kept).to.include(`${q[1]}/86/2=1`);
      await db().transaction().execute((trx) => tallyRebuilder(trx, id));
      expect(await tallies()).to.deep.equal(kept);
    });

    it('answers 404 for an unknown survey and never crashes on junk ids', async () => {
      for (const url of ['/bilan/gestion/999999', '/bilan/gestion/abc/resultats', '/bilan/gestion/99999999999/resultats.csv']) {
        expect((await dane.get(url)).status, url).to.equal(404);
      }
    });
  });
});
