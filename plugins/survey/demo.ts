import type { PluginContext } from '../../server/plugins/context.js';
import type { AnswerValue, Question, QuestionKind } from './questions.js';
import { audienceQuery, loadQuestions, loadSurvey, newSecret, responseSaver } from './surveys.js';
import { addDays, dayOf, endOfDay, startOfDay } from './dates.js';

/**
 * Demo content, once, when the platform seeded its demo accounts: last year's survey, closed,
 * answered by the demo RUPNs of Poitiers, and this year's, open. The questions take the themes
 * of the DANE's yearly analysis (informing colleagues, exchanges, training, services used).
 */

interface DemoQuestion {
  kind: QuestionKind;
  label: string;
  required?: boolean;
  options?: string[];
  scaleMax?: number;
  statement?: string;
  /** Index (0-based) of the earlier question and the value that shows this one. */
  showIf?: [number, number];
}

const QUESTIONS: DemoQuestion[] = [
  { kind: 'yesno', label: 'Arrivez-vous à faire circuler les informations utiles auprès de vos collègues ?', required: true, statement: 'disent y parvenir' },
  { kind: 'multiple', label: 'Par quels moyens les faites-vous circuler ?', options: ['Courriel', "Réunions d'équipe", "Messagerie de l'ENT", 'Affichage en salle des professeurs', 'Messagerie instantanée'], showIf: [0, 1] },
  { kind: 'yesno', label: "Avez-vous organisé ou facilité des temps d'échange entre collègues sur le numérique ?", statement: 'disent avoir organisé des échanges' },
  { kind: 'yesno', label: "Avez-vous proposé des formations ou des initiations dans l'établissement ?", required: true, statement: 'en ont proposé' },
  { kind: 'multiple', label: 'Sur quels sujets portaient-elles ?', options: ["Prise en main de l'ENT", 'Classe virtuelle', 'Pix', 'Une pratique pédagogique'], showIf: [3, 1] },
  { kind: 'scale', label: 'Vos collègues vous associent-ils à leurs projets ?', options: ['Jamais', 'Très souvent'], scaleMax: 5, statement: 'se disent souvent associés' },
  { kind: 'single', label: 'Quel service en ligne utilisez-vous le plus avec les élèves ?', options: ['Pix', 'Éduthèque', 'Lumni', 'Apps Education'] },
  { kind: 'text', label: 'Sur quels sujets aimeriez-vous être formé·e cette année ?' },
];

/** Plausible answers for the n-th demo respondent (a fixed pattern, not random). */
function demoValues(questions: Question[], n: number) {
  const pick = [
    [1, [0, 1], 1, 1, [0, 2], 4, 0, 'La classe virtuelle et les outils de quiz.'],
    [1, [0, 2], 0, 1, [1], 3, 2, ''],
    [0, [], 1, 0, [], 2, 0, "L'intelligence artificielle en classe."],
    [1, [0], 1, 1, [2, 3], 5, 1, 'Les données personnelles et le RGPD.'],
    [1, [1, 3], 1, 0, [], 4, 0, ''],
    [1, [0, 4], 0, 1, [0], 3, 3, 'Pix pour les élèves de sixième.'],
  ][n % 6]!;
  return questions.flatMap((q, i): AnswerValue[] => {
    const v = pick[i];
    if (q.kind === 'text') return v ? [{ questionId: q.id, value: null, text: String(v) }] : [];
    if (q.showIf && pick[questions.findIndex((x) => x.id === q.showIf!.questionId)] !== q.showIf.value) return [];
    return (Array.isArray(v) ? v : [v]).map((value) => ({ questionId: q.id, value: Number(value), text: null }));
  });
}

async function createSurvey(ctx: PluginContext<unknown>, values: { title: string; intro: string; anonymous: boolean; opensOn: string; closesOn: string }): Promise<number> {
  return ctx.db.transaction().execute(async (trx) => {
    const { id } = await trx
      .insertInto('survey_surveys')
      .values({ title: values.title, intro: values.intro, academy_code: 'poitiers', anonymous: values.anonymous, opens_at: startOfDay(values.opensOn), closes_at: endOfDay(values.closesOn), secret: newSecret() })
      .returning('id')
      .executeTakeFirstOrThrow();
    const ids: number[] = [];
    for (const [i, q] of QUESTIONS.entries()) {
      const row = await trx
        .insertInto('survey_questions')
        .values({
          survey_id: id,
          position: i + 1,
          kind: q.kind,
          label: q.label,
          required: q.required ?? false,
          options: JSON.stringify(q.options ?? []),
          scale_max: q.scaleMax ?? null,
          statement: q.statement ?? '',
          show_if_question: q.showIf ? ids[q.showIf[0]]! : null,
          show_if_value: q.showIf ? q.showIf[1] : null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      ids.push(row.id);
    }
    return id;
  });
}

export async function seedDemoSurveys(ctx: PluginContext<unknown>): Promise<void> {
  const state = await ctx.db.selectFrom('app_state').select('key').where('key', 'in', ['demo:seeded', 'bilan:demo']).execute();
  if (!state.some((s) => s.key === 'demo:seeded') || state.some((s) => s.key === 'bilan:demo')) return;
  const today = dayOf(new Date());
  const closedId = await createSurvey(ctx, {
    title: "Bilan de l'année écoulée",
    intro: "Merci d'avoir pris quelques minutes pour raconter votre année de référent : vos réponses nourrissent le plan de formation de la DANE.",
    anonymous: false,
    opensOn: addDays(today, -120),
    closesOn: addDays(today, -90),
  });
  await createSurvey(ctx, {
    title: 'Bilan annuel des RUPN',
    intro: 'Comment se passe votre mission cette année ? **Vos réponses sont anonymes** : la DANE sait seulement que vous avez répondu.',
    anonymous: true,
    opensOn: today,
    closesOn: addDays(today, 30),
  });
  const closed = (await loadSurvey(ctx.db, closedId))!;
  const questions = await loadQuestions(ctx.db, closedId);
  const people = await audienceQuery(ctx.db, 'poitiers').select(['u.id', 'u.department_code']).orderBy('u.id').execute();
  // All but one answered last year.
  for (const [n, p] of people.slice(0, Math.max(1, people.length - 1)).entries()) {
    await ctx.db.transaction().execute((trx) => responseSaver(trx, closed, { id: p.id, departmentCode: p.department_code }, demoValues(questions, n)));
  }
  // They answered during last year's window, not today.
  const answeredOn = addDays(today, -110);
  await ctx.db.updateTable('survey_responses').set({ submitted_on: answeredOn }).where('survey_id', '=', closedId).execute();
  await ctx.db.updateTable('survey_participations').set({ answered_on: answeredOn }).where('survey_id', '=', closedId).execute();
  await ctx.db.insertInto('app_state').values({ key: 'bilan:demo', value: JSON.stringify({ at: new Date().toISOString() }) }).onConflict((oc) => oc.column('key').doNothing()).execute();
}
