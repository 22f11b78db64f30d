import { z } from 'zod';
import { sql } from 'kysely';
import type { GuardedRouter } from '../../server/plugins/router.js';
import type { PluginContext } from '../../server/plugins/context.js';
import type { SurveySettings } from './settings.js';
import type { Tx } from '../../server/db/schema.js';
import { academies } from '../../server/geography/geography.js';
import { badRequest, conflict, notFound } from '../../server/web/errors.js';
import { parseInput } from '../../server/web/validate.js';
import { KIND_LABELS, conditionChoices, valuesOf, type Question, type QuestionKind } from './questions.js';
import { allSurveys, assertQuestionsEditable, loadQuestions, loadSurvey, newSecret, responseCount, stateOf, STATE_LABELS, surveyOr404, type Survey } from './surveys.js';
import { addDays, dayOf, endOfDay, isDay, lastDayOf, startOfDay } from './dates.js';
import { remindNonRespondents } from './reminders.js';
import { forgetReport } from './results.js';

/** The DANE's side: build a questionnaire, open it for a period, remind. */

type Ctx = PluginContext<SurveySettings>;

const surveyFields = z.object({
  title: z.string().trim().min(3, 'au moins 3 caractères').max(200, '200 caractères au plus'),
  intro: z.string().trim().max(5000, '5 000 caractères au plus').default(''),
  academy: z.string().trim().min(1, 'choisissez une académie'),
  opensOn: z.string().trim().refine(isDay, 'une date valide (jj/mm/aaaa)'),
  closesOn: z.string().trim().refine(isDay, 'une date valide (jj/mm/aaaa)'),
  anonymous: z.literal('on').optional(),
});
const surveyLabels = { title: 'Titre', intro: 'Présentation', academy: 'Académie', opensOn: "Date d'ouverture", closesOn: 'Date de clôture', anonymous: 'Anonyme' };

async function readSurveyInput(ctx: Ctx, body: unknown) {
  const input = parseInput(surveyFields, body, surveyLabels);
  const academy = await ctx.db.selectFrom('academies').select('code').where('code', '=', input.academy).executeTakeFirst();
  if (!academy) throw badRequest('« Académie » : académie inconnue.', 'academy');
  if (input.closesOn < input.opensOn) throw badRequest('« Date de clôture » : elle doit suivre la date d\'ouverture.', 'closesOn');
  return { title: input.title, intro: input.intro, academyCode: academy.code, opensAt: startOfDay(input.opensOn), closesAt: endOfDay(input.closesOn), anonymous: input.anonymous === 'on' };
}

const KINDS = Object.keys(KIND_LABELS) as QuestionKind[];
const questionFields = z.object({
  kind: z.enum(KINDS as [QuestionKind, ...QuestionKind[]], 'choisissez un type de question'),
  label: z.string().trim().min(3, 'au moins 3 caractères').max(500, '500 caractères au plus'),
  help: z.string().trim().max(1000, '1 000 caractères au plus').default(''),
  required: z.literal('on').optional(),
  options: z.string().max(5000, '5 000 caractères au plus').default(''),
  scaleMax: z.string().trim().default(''),
  scaleLow: z.string().trim().max(60, '60 caractères au plus').default(''),
  scaleHigh: z.string().trim().max(60, '60 caractères au plus').default(''),
  statement: z.string().trim().max(120, '120 caractères au plus').default(''),
  condition: z.string().trim().max(40).default(''),
});
const questionLabels = { kind: 'Type', label: 'Intitulé', help: 'Aide', options: 'Réponses proposées', scaleMax: "Nombre de points de l'échelle", scaleLow: 'Libellé du plus bas', scaleHigh: 'Libellé du plus haut', statement: 'Formule du rapport', condition: 'Condition' };

/** Checks a question form against the earlier questions; `position` is where it stands (new: at the end). */
function readQuestionInput(body: unknown, earlier: Question[]) {
  const input = parseInput(questionFields, body, questionLabels);
  let options: string[] = [];
  let scaleMax: number | null = null;
  if (input.kind === 'single' || input.kind === 'multiple') {
    options = input.options.split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
    if (options.length < 2) throw badRequest('« Réponses proposées » : au moins deux réponses, une par ligne.', 'options');
    if (options.length > 20) throw badRequest('« Réponses proposées » : vingt réponses au plus.', 'options');
    if (options.some((o) => o.length > 200)) throw badRequest('« Réponses proposées » : 200 caractères au plus par réponse.', 'options');
    if (new Set(options.map((o) => o.toLowerCase())).size !== options.length) throw badRequest('« Réponses proposées » : deux réponses identiques.', 'options');
  } else if (input.kind === 'scale') {
    scaleMax = Number(input.scaleMax || '5');
    if (!Number.isInteger(scaleMax) || scaleMax < 2 || scaleMax > 10) throw badRequest("« Nombre de points de l'échelle » : un nombre entier de 2 à 10.", 'scaleMax');
    options = [input.scaleLow, input.scaleHigh];
  }
  let showIf: { questionId: number; value: number } | null = null;
  if (input.condition) {
    const match = /^(\d+):(-?\d+)$/.exec(input.condition);
    const target = match ? earlier.find((q) => q.id === Number(match[1])) : undefined;
    if (!match || !target || target.kind === 'text' || !valuesOf(target).some((v) => v.value === Number(match[2]))) {
      throw badRequest('« Condition » : elle doit porter sur une réponse d\'une question précédente.', 'condition');
    }
    showIf = { questionId: target.id, value: Number(match[2]) };
  }
  return {
    kind: input.kind,
    label: input.label,
    help: input.help,
    required: input.required === 'on',
    options,
    scaleMax,
    statement: input.kind === 'yesno' || input.kind === 'scale' || input.kind === 'single' || input.kind === 'multiple' ? input.statement : '',
    showIf,
  };
}

function questionOr404(questions: Question[], raw: unknown): Question {
  const q = questions.find((x) => String(x.id) === String(raw));
  if (!q) throw notFound("Cette question n'existe pas.");
  return q;
}

/** Positions 1…n in the given order. */
async function renumber(trx: Tx, surveyId: number, ids: number[]): Promise<void> {
  for (const [i, id] of ids.entries()) await trx.updateTable('survey_questions').set({ position: i + 1 }).where('id', '=', id).where('survey_id', '=', surveyId).execute();
}

export function builderRoutes(router: GuardedRouter, ctx: Ctx): void {
  router.get('/gestion', 'bilan:manage', async (req, res) => {
    const today = dayOf(new Date());
    const surveys = (await allSurveys(ctx.db)).map((s) => ({ ...s, state: stateOf(s) }));
    await ctx.views.page(req, res, 'manage', {
      title: 'Bilans annuels',
      surveys,
      STATE_LABELS,
      academies,
      defaults: { opensOn: today, closesOn: addDays(today, 30), academy: req.user!.academy?.code ?? academies[0]?.code },
      lastDayOf,
    });
  });

  router.post('/gestion', 'bilan:manage', async (req, res) => {
    const input = await readSurveyInput(ctx, req.body);
    const { id } = await ctx.db
      .insertInto('survey_surveys')
      .values({ title: input.title, intro: input.intro, academy_code: input.academyCode, anonymous: input.anonymous, opens_at: input.opensAt, closes_at: input.closesAt, secret: newSecret(), created_by: req.user!.id })
      .returning('id')
      .executeTakeFirstOrThrow();
    await ctx.audit({ action: 'bilan.create', req, targetType: 'survey', targetId: id, details: { title: input.title } });
    ctx.flash(req, 'success', `Bilan « ${input.title} » créé : ajoutez ses questions.`);
    res.redirect(303, `/bilan/gestion/${id}`);
  });

  router.get('/gestion/:id', 'bilan:manage', async (req, res) => {
    const survey = await surveyOr404(ctx.db, req.params.id);
    const [questions, responses] = await Promise.all([loadQuestions(ctx.db, survey.id), responseCount(ctx.db, survey.id)]);
    const byId = new Map(questions.map((q) => [q.id, q]));
    await ctx.views.page(req, res, 'edit', {
      title: `Bilan « ${survey.title} »`,
      survey,
      state: stateOf(survey),
      STATE_LABELS,
      questions: questions.map((q) => ({
        ...q,
        condition: q.showIf && byId.get(q.showIf.questionId) ? `Q${byId.get(q.showIf.questionId)!.position} = ${valuesOf(byId.get(q.showIf.questionId)!).find((v) => v.value === q.showIf!.value)?.label ?? q.showIf.value}` : '',
      })),
      locked: responses > 0,
      responses,
      academies,
      form: { opensOn: dayOf(survey.opensAt), closesOn: lastDayOf(survey.closesAt) },
      KIND_LABELS,
      conditions: conditionChoices(questions, null),
    });
  });

  router.post('/gestion/:id', 'bilan:manage', async (req, res) => {
    const survey = await surveyOr404(ctx.db, req.params.id);
    const input = await readSurveyInput(ctx, req.body);
    const responses = await responseCount(ctx.db, survey.id);
    if (responses > 0 && input.anonymous !== survey.anonymous) {
      throw conflict('Des réponses ont déjà été enregistrées : le caractère anonyme du bilan ne peut plus changer.');
    }
    if (responses > 0 && input.academyCode !== survey.academyCode) throw conflict("Des réponses ont déjà été enregistrées : l'académie interrogée ne peut plus changer.");
    await ctx.db
      .updateTable('survey_surveys')
      .set({ title: input.title, intro: input.intro, academy_code: input.academyCode, anonymous: input.anonymous, opens_at: input.opensAt, closes_at: input.closesAt, updated_at: new Date() })
      .where('id', '=', survey.id)
      .execute();
    await ctx.audit({ action: 'bilan.update', req, targetType: 'survey', targetId: survey.id });
    ctx.flash(req, 'success', 'Bilan enregistré.');
    forgetReport(ctx.db, survey.id);
    res.redirect(303, `/bilan/gestion/${survey.id}`);
  });

  router.post('/gestion/:id/questions', 'bilan:manage', async (req, res) => {
    const survey = await surveyOr404(ctx.db, req.params.id);
    await assertQuestionsEditable(ctx.db, survey.id);
    const questions = await loadQuestions(ctx.db, survey.id);
    if (questions.length >= 100) throw badRequest('Un bilan compte cent questions au plus.');
    const q = readQuestionInput(req.body, questions);
    await ctx.db
      .insertInto('survey_questions')
      .values({
        survey_id: survey.id,
        position: questions.length + 1,
        kind: q.kind,
        label: q.label,
        help: q.help,
        required: q.required,
        options: JSON.stringify(q.options),
        scale_max: q.scaleMax,
        statement: q.statement,
        show_if_question: q.showIf?.questionId ?? null,
        show_if_value: q.showIf?.value ?? null,
      })
      .execute();
    ctx.flash(req, 'success', `Question ${questions.length + 1} ajoutée.`);
    forgetReport(ctx.db, survey.id);
    res.redirect(303, `/bilan/gestion/${survey.id}#questions`);
  });

  router.get('/gestion/:id/questions/:qid', 'bilan:manage', async (req, res) => {
    const survey = await surveyOr404(ctx.db, req.params.id);
    const questions = await loadQuestions(ctx.db, survey.id);
    const question = questionOr404(questions, req.params.qid);
    await ctx.views.page(req, res, 'question-edit', {
      title: `Question ${question.position}`,
      survey,
      question,
      locked: (await responseCount(ctx.db, survey.id)) > 0,
      KIND_LABELS,
      conditions: conditionChoices(questions, question.position),
    });
  });

  router.post('/gestion/:id/questions/:qid', 'bilan:manage', async (req, res) => {
    const survey = await surveyOr404(ctx.db, req.params.id);
    await assertQuestionsEditable(ctx.db, survey.id);
    const questions = await loadQuestions(ctx.db, survey.id);
    const question = questionOr404(questions, req.params.qid);
    const q = readQuestionInput(req.body, questions.filter((x) => x.position < question.position));
    await ctx.db
      .updateTable('survey_questions')
      .set({ kind: q.kind, label: q.label, help: q.help, required: q.required, options: JSON.stringify(q.options), scale_max: q.scaleMax, statement: q.statement, show_if_question: q.showIf?.questionId ?? null, show_if_value: q.showIf?.value ?? null })
      .where('id', '=', question.id)
      .execute();
    // Questions that depended on a value this one no longer offers lose their condition.
    const values = new Set(valuesOf(q).map((v) => v.value));
    const orphans = questions.filter((x) => x.showIf?.questionId === question.id && (q.kind === 'text' || !values.has(x.showIf.value)));
    if (orphans.length) await ctx.db.updateTable('survey_questions').set({ show_if_question: null, show_if_value: null }).where('id', 'in', orphans.map((o) => o.id)).execute();
    ctx.flash(req, 'success', `Question ${question.position} enregistrée.${orphans.length ? ` ${orphans.length} condition(s) qui portai(en)t sur une réponse retirée ont été supprimées.` : ''}`);
    forgetReport(ctx.db, survey.id);
    res.redirect(303, `/bilan/gestion/${survey.id}#questions`);
  });

  router.post('/gestion/:id/questions/:qid/deplacer', 'bilan:manage', async (req, res) => {
    const survey = await surveyOr404(ctx.db, req.params.id);
    await assertQuestionsEditable(ctx.db, survey.id);
    const questions = await loadQuestions(ctx.db, survey.id);
    const question = questionOr404(questions, req.params.qid);
    const direction = (req.body as Record<string, unknown>).direction;
    if (direction !== 'up' && direction !== 'down') throw badRequest('« Direction » : vers le haut ou vers le bas.', 'direction');
    const ids = questions.map((q) => q.id);
    const i = ids.indexOf(question.id);
    const j = direction === 'up' ? i - 1 : i + 1;
    if (j < 0 || j >= ids.length) throw badRequest(direction === 'up' ? 'La question est déjà la première.' : 'La question est déjà la dernière.');
    // A condition must stay on an earlier question.
    const [first, second] = direction === 'up' ? [questions[j]!, question] : [question, questions[j]!];
    if (second.showIf?.questionId === first.id) {
      throw conflict(`La question ${second.position} dépend de la question ${first.position} : elle ne peut pas passer avant elle.`);
    }
    [ids[i], ids[j]] = [ids[j]!, ids[i]!];
    await ctx.db.transaction().execute((trx) => renumber(trx, survey.id, ids));
    forgetReport(ctx.db, survey.id);
    res.redirect(303, `/bilan/gestion/${survey.id}#question-${question.id}`);
  });

  router.post('/gestion/:id/questions/:qid/supprimer', 'bilan:manage', async (req, res) => {
    const survey = await surveyOr404(ctx.db, req.params.id);
    await assertQuestionsEditable(ctx.db, survey.id);
    const questions = await loadQuestions(ctx.db, survey.id);
    const question = questionOr404(questions, req.params.qid);
    const dependents = questions.filter((q) => q.showIf?.questionId === question.id);
    await ctx.db.transaction().execute(async (trx) => {
      // Questions that depended on it are always shown from now on.
      await trx.updateTable('survey_questions').set({ show_if_question: null, show_if_value: null }).where('show_if_question', '=', question.id).execute();
      await trx.deleteFrom('survey_questions').where('id', '=', question.id).execute();
      await renumber(trx, survey.id, questions.filter((q) => q.id !== question.id).map((q) => q.id));
    });
    ctx.flash(req, 'success', `Question supprimée.${dependents.length ? ` ${dependents.length} question(s) qui en dépendai(en)t s'affichent désormais toujours.` : ''}`);
    forgetReport(ctx.db, survey.id);
    res.redirect(303, `/bilan/gestion/${survey.id}#questions`);
  });

  router.post('/gestion/:id/supprimer', 'bilan:manage', async (req, res) => {
    const survey = await surveyOr404(ctx.db, req.params.id);
    await ctx.db.deleteFrom('survey_surveys').where('id', '=', survey.id).execute();
    await ctx.audit({ action: 'bilan.delete', req, targetType: 'survey', targetId: survey.id, details: { title: survey.title } });
    ctx.flash(req, 'success', `Bilan « ${survey.title} » supprimé avec ses réponses.`);
    res.redirect(303, '/bilan/gestion');
  });

  router.post('/gestion/:id/relancer', 'bilan:manage', async (req, res) => {
    const survey = await surveyOr404(ctx.db, req.params.id);
    if (stateOf(survey) !== 'open') throw conflict("Ce bilan n'est pas ouvert : il n'y a personne à relancer.");
    const n = await remindNonRespondents(ctx, survey);
    await ctx.audit({ action: 'bilan.remind', req, targetType: 'survey', targetId: survey.id, details: { reminded: n } });
    ctx.flash(
      req,
      'success',
      n ? `${n} personne${n > 1 ? 's' : ''} relancée${n > 1 ? 's' : ''}.` : "Personne à relancer aujourd'hui : tout le monde a répondu ou a déjà été relancé aujourd'hui.",
    );
    forgetReport(ctx.db, survey.id);
    res.redirect(303, `/bilan/gestion/${survey.id}`);
  });
}

/** Open surveys, for the scheduled reminders. */
export async function openSurveys(ctx: Ctx): Promise<Survey[]> {
  const rows = await ctx.db.selectFrom('survey_surveys').select('id').where('opens_at', '<=', new Date()).where('closes_at', '>', sql<Date>`now()`).execute();
  return (await Promise.all(rows.map((r) => loadSurvey(ctx.db, r.id)))).filter((s): s is Survey => s !== null);
}
