import type { Request, Response } from 'express';
import type { GuardedRouter } from '../../server/plugins/router.js';
import type { PluginContext } from '../../server/plugins/context.js';
import type { SurveySettings } from './settings.js';
import { conflict, forbidden, notFound } from '../../server/web/errors.js';
import { academyOf, longDate } from '../../server/web/viewHelpers.js';
import { forgetReport } from './results.js';
import { checkAnswer, fieldName, isShown, KIND_LABELS, TEXT_MAX, valuesOf, type Question } from './questions.js';
import { inAudience, loadQuestions, ownAnswer, responseSaver, stateOf, surveyOr404, surveysFor, type Survey } from './surveys.js';

/** The RUPN's side: the open surveys of their académie, one response each, editable until closing. */

type Ctx = PluginContext<SurveySettings>;

interface FormState {
  given: Map<number, number[]>;
  texts: Map<number, string>;
  errors: Record<string, string>;
}

async function renderForm(ctx: Ctx, req: Request, res: Response, survey: Survey, questions: Question[], form: FormState, submittedOn: string | null, status = 200) {
  const errorList = questions.filter((q) => form.errors[fieldName(q)]).map((q) => ({ field: fieldName(q), label: `Question ${q.position} : ${q.label}`, message: form.errors[fieldName(q)]! }));
  await ctx.views.page(
    req,
    res,
    'answer',
    {
      title: errorList.length ? `Erreur : ${survey.title}` : survey.title,
      survey,
      introHtml: survey.intro ? ctx.markdown.render(survey.intro) : '',
      questions: questions.map((q) => ({ ...q, values: valuesOf(q), name: fieldName(q), shown: isShown(q, form.given), chosen: form.given.get(q.id) ?? [], text: form.texts.get(q.id) ?? '' })),
      errors: form.errors,
      errorList,
      submittedOn,
      KIND_LABELS,
      TEXT_MAX,
    },
    status,
  );
}

async function answerable(ctx: Ctx, req: Request): Promise<Survey> {
  const survey = await surveyOr404(ctx.db, req.params.id);
  if (!inAudience(req.user!, survey)) throw forbidden(`Ce bilan s'adresse aux RUPN de l'${academyOf(survey.academyName)}.`);
  if (stateOf(survey) === 'upcoming') throw notFound("Ce bilan n'est pas encore ouvert.");
  return survey;
}

const closedMessage = (s: Survey) => `Ce bilan est clos depuis le ${longDate(s.closesAt)} : les réponses ne peuvent plus changer.`;

export function answerRoutes(router: GuardedRouter, ctx: Ctx): void {
  router.get('/', 'bilan:answer', async (req, res) => {
    const surveys = (await surveysFor(ctx.db, req.user!)).map((s) => ({ ...s, state: stateOf(s) }));
    await ctx.views.page(req, res, 'list', { title: 'Bilan annuel', surveys });
  });

  router.get('/:id', 'bilan:answer', async (req, res) => {
    const survey = await answerable(ctx, req);
    const [questions, own] = await Promise.all([loadQuestions(ctx.db, survey.id), ownAnswer(ctx.db, survey, req.user!.id)]);
    if (!questions.length) throw conflict("Ce bilan n'a pas encore de questions : revenez un peu plus tard.");
    if (stateOf(survey) === 'closed') {
      throw conflict(`${closedMessage(survey)}${own ? ' Votre réponse a bien été prise en compte.' : ''}`);
    }
    const given = new Map<number, number[]>();
    const texts = new Map<number, string>();
    for (const v of own?.values ?? []) {
      if (v.text !== null) texts.set(v.questionId, v.text);
      else if (v.value !== null) given.set(v.questionId, [...(given.get(v.questionId) ?? []), v.value]);
    }
    await renderForm(ctx, req, res, survey, questions, { given, texts, errors: {} }, own?.submittedOn ?? null);
  });

  router.post('/:id', 'bilan:answer', async (req, res) => {
    const survey = await answerable(ctx, req);
    if (stateOf(survey) === 'closed') throw conflict(closedMessage(survey));
    const questions = await loadQuestions(ctx.db, survey.id);
    // An answer to an empty survey would lock its questions before the DANE has written them.
    if (!questions.length) throw conflict("Ce bilan n'a pas encore de questions : revenez un peu plus tard.");
    const checked = checkAnswer(questions, req.body as Record<string, unknown>);
    if (Object.keys(checked.errors).length) {
      const own = await ownAnswer(ctx.db, survey, req.user!.id);
      return renderForm(ctx, req, res, survey, questions, checked, own?.submittedOn ?? null, 422);
    }
    let first: boolean;
    try {
      first = await ctx.db.transaction().execute((trx) => responseSaver(trx, survey, { id: req.user!.id, departmentCode: req.user!.department?.code ?? null }, checked.values));
    } catch (error) {
      // Two submissions at once (two tabs): the primary key kept one; the other is told.
      if ((error as { code?: string }).code === '23505') throw conflict('Votre réponse vient d’être enregistrée depuis un autre onglet : rechargez la page pour la voir.');
      throw error;
    }
    forgetReport(ctx.db, survey.id);
    ctx.flash(req, 'success', first ? 'Merci ! Votre réponse est enregistrée. Vous pourrez la modifier jusqu’à la clôture du bilan.' : 'Votre réponse est mise à jour.');
    res.redirect(303, '/bilan');
  });
}
