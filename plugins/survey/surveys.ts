import { createHmac, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { DB, Tx } from '../../server/db/schema.js';
import type { SessionUser } from '../../server/auth/sessionUser.js';
import { conflict, notFound } from '../../server/web/errors.js';
import type { AnswerValue, Question } from './questions.js';
import './schema.js';

/** Surveys, their questions and audience, and the one response of a person. */

export interface Survey {
  id: number;
  title: string;
  intro: string;
  academyCode: string;
  academyName: string;
  anonymous: boolean;
  opensAt: Date;
  closesAt: Date;
}

export type SurveyState = 'upcoming' | 'open' | 'closed';

export function stateOf(s: Pick<Survey, 'opensAt' | 'closesAt'>, now = new Date()): SurveyState {
  return now < s.opensAt ? 'upcoming' : now >= s.closesAt ? 'closed' : 'open';
}

export const STATE_LABELS: Record<SurveyState, string> = { upcoming: 'À venir', open: 'Ouvert', closed: 'Clos' };

const surveyColumns = ['s.id', 's.title', 's.intro', 's.academy_code', 'a.name as academy_name', 's.anonymous', 's.opens_at', 's.closes_at'] as const;

function toSurvey(r: { id: number; title: string; intro: string; academy_code: string; academy_name: string; anonymous: boolean; opens_at: Date; closes_at: Date }): Survey {
  return { id: r.id, title: r.title, intro: r.intro, academyCode: r.academy_code, academyName: r.academy_name, anonymous: r.anonymous, opensAt: r.opens_at, closesAt: r.closes_at };
}

export async function loadSurvey(db: DB | Tx, id: number): Promise<Survey | null> {
  const row = await db.selectFrom('survey_surveys as s').innerJoin('academies as a', 'a.code', 's.academy_code').select(surveyColumns).where('s.id', '=', id).executeTakeFirst();
  return row ? toSurvey(row) : null;
}

export async function surveyOr404(db: DB | Tx, raw: unknown): Promise<Survey> {
  const id = Number(raw);
  const survey = Number.isInteger(id) && id > 0 && id < 2 ** 31 ? await loadSurvey(db, id) : null;
  if (!survey) throw notFound("Ce bilan n'existe pas.");
  return survey;
}

export async function allSurveys(db: DB) {
  const rows = await db
    .selectFrom('survey_surveys as s')
    .innerJoin('academies as a', 'a.code', 's.academy_code')
    .select(surveyColumns)
    .select((eb) => [
      eb.selectFrom('survey_questions as q').whereRef('q.survey_id', '=', 's.id').select((e) => e.fn.countAll<number>().as('n')).as('question_count'),
      eb.selectFrom('survey_responses as r').whereRef('r.survey_id', '=', 's.id').select((e) => e.fn.countAll<number>().as('n')).as('response_count'),
    ])
    .orderBy('s.opens_at', 'desc')
    .orderBy('s.id', 'desc')
    .execute();
  return rows.map((r) => ({ ...toSurvey(r), questionCount: Number(r.question_count), responseCount: Number(r.response_count) }));
}

export async function loadQuestions(db: DB | Tx, surveyId: number): Promise<Question[]> {
  const rows = await db.selectFrom('survey_questions').selectAll().where('survey_id', '=', surveyId).orderBy('position').orderBy('id').execute();
  return rows.map((r) => ({
    id: r.id,
    position: r.position,
    kind: r.kind,
    label: r.label,
    help: r.help,
    required: r.required,
    options: r.options,
    scaleMax: r.scale_max,
    statement: r.statement,
    showIf: r.show_if_question !== null && r.show_if_value !== null ? { questionId: r.show_if_question, value: r.show_if_value } : null,
  }));
}

export async function responseCount(db: DB | Tx, surveyId: number): Promise<number> {
  const row = await db.selectFrom('survey_responses').select((e) => e.fn.countAll<number>().as('n')).where('survey_id', '=', surveyId).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Questions cannot change once someone has answered: the answers would no longer mean the same. */
export async function assertQuestionsEditable(db: DB | Tx, surveyId: number): Promise<void> {
  if ((await responseCount(db, surveyId)) > 0) {
    throw conflict('Des réponses ont déjà été enregistrées : les questions de ce bilan sont verrouillées pour que les réponses gardent leur sens.');
  }
}

// ---------------------------------------------------------------------------------------------
// Audience: the active RUPNs of the survey's académie.

export function audienceQuery(db: DB | Tx, academyCode: string) {
  return db
    .selectFrom('users as u')
    .innerJoin('user_roles as ur', (j) => j.onRef('ur.user_id', '=', 'u.id').on('ur.role', '=', 'rupn'))
    .where('u.academy_code', '=', academyCode)
    .where('u.status', '=', 'active');
}

export function inAudience(user: SessionUser, survey: Pick<Survey, 'academyCode'>): boolean {
  return user.roles.includes('rupn') && user.academy?.code === survey.academyCode;
}

/** Open and recent surveys a RUPN is asked to answer, with whether they have answered. */
export async function surveysFor(db: DB, user: SessionUser) {
  if (!user.roles.includes('rupn') || !user.academy) return [];
  const rows = await db
    .selectFrom('survey_surveys as s')
    .innerJoin('academies as a', 'a.code', 's.academy_code')
    .leftJoin('survey_participations as p', (j) => j.onRef('p.survey_id', '=', 's.id').on('p.user_id', '=', user.id))
    .select(surveyColumns)
    .select('p.answered_on')
    .where('s.academy_code', '=', user.academy.code)
    .where('s.opens_at', '<=', new Date())
    .where('s.closes_at', '>', sql<Date>`now() - interval '365 days'`)
    .orderBy('s.closes_at', 'desc')
    .execute();
  return rows.map((r) => ({ ...toSurvey(r), answeredOn: r.answered_on }));
}

// ---------------------------------------------------------------------------------------------
// The respondent key: the same person always finds their response again, and nothing stored
// beside an anonymous response says who they are.

export function respondentKey(secret: string, surveyId: number, userId: number): string {
  return createHmac('sha256', secret).update(`${surveyId}:${userId}`).digest('base64url');
}

export const newSecret = () => randomBytes(32).toString('base64url');

async function keyOf(db: DB | Tx, surveyId: number, userId: number): Promise<string> {
  const { secret } = await db.selectFrom('survey_surveys').select('secret').where('id', '=', surveyId).executeTakeFirstOrThrow();
  return respondentKey(secret, surveyId, userId);
}

/** The values a person gave, to fill their form again (null: not answered yet). */
export async function ownAnswer(db: DB, survey: Survey, userId: number): Promise<{ values: AnswerValue[]; submittedOn: string } | null> {
  const key = await keyOf(db, survey.id, userId);
  const response = await db.selectFrom('survey_responses').select('submitted_on').where('survey_id', '=', survey.id).where('respondent_key', '=', key).executeTakeFirst();
  if (!response) return null;
  const rows = await db.selectFrom('survey_answers').select(['question_id', 'value', 'text']).where('survey_id', '=', survey.id).where('respondent_key', '=', key).execute();
  return { values: rows.map((r) => ({ questionId: r.question_id, value: r.value, text: r.text })), submittedOn: response.submitted_on };
}

/**
 * Writes a person's response, replacing the previous one: the response row (keyed by the
 * respondent key, so one per person), its answers, and the participation that says they
 * answered. Returns whether it was the first time.
 */
export async function responseSaver(trx: Tx, survey: Survey, user: { id: number; departmentCode: string | null }, values: AnswerValue[]): Promise<boolean> {
  const key = await keyOf(trx, survey.id, user.id);
  const existing = await trx.selectFrom('survey_responses').select('department_code').where('survey_id', '=', survey.id).where('respondent_key', '=', key).forUpdate().executeTakeFirst();
  const tally = new Map<string, number>();
  const count = (department: string | null, list: { questionId: number; value: number | null }[], sign: 1 | -1) => {
    const add = (questionId: number, value: number) => {
      const k = `${questionId}|${department ?? ''}|${value}`;
      tally.set(k, (tally.get(k) ?? 0) + sign);
    };
    for (const questionId of new Set(list.map((v) => v.questionId))) add(questionId, -1);
    for (const v of list) if (v.value !== null) add(v.questionId, v.value);
  };
  if (existing) {
    const previous = await trx.selectFrom('survey_answers').select(['question_id', 'value']).where('survey_id', '=', survey.id).where('respondent_key', '=', key).execute();
    count(existing.department_code, previous.map((p) => ({ questionId: p.question_id, value: p.value })), -1);
    await trx.deleteFrom('survey_answers').where('survey_id', '=', survey.id).where('respondent_key', '=', key).execute();
    await trx.updateTable('survey_responses').set({ submitted_on: sql<string>`current_date`, department_code: user.departmentCode }).where('survey_id', '=', survey.id).where('respondent_key', '=', key).execute();
  } else {
    await trx
      .insertInto('survey_responses')
      .values({ survey_id: survey.id, respondent_key: key, user_id: survey.anonymous ? null : user.id, department_code: user.departmentCode })
      .execute();
  }
  count(user.departmentCode, values, 1);
  if (values.length) {
    await trx
      .insertInto('survey_answers')
      .values(values.map((v) => ({ survey_id: survey.id, respondent_key: key, question_id: v.questionId, value: v.value, text: v.text })))
      .execute();
  }
  await tallyApplier(trx, survey.id, tally);
  await trx
    .insertInto('survey_participations')
    .values({ survey_id: survey.id, user_id: user.id, answered_on: sql<string>`current_date` })
    .onConflict((oc) => oc.columns(['survey_id', 'user_id']).doUpdateSet({ answered_on: sql<string>`current_date` }))
    .execute();
  return !existing;
}

/** Adds the changes to the running totals, in key order so that concurrent saves lock rows in the same order. */
async function tallyApplier(trx: Tx, surveyId: number, tally: Map<string, number>): Promise<void> {
  const rows = [...tally.entries()]
    .filter(([, n]) => n !== 0)
    .map(([k, n]) => {
      const [questionId, department, value] = k.split('|');
      return { survey_id: surveyId, question_id: Number(questionId), department_code: department!, value: Number(value), n };
    })
    .sort((a, b) => a.question_id - b.question_id || a.department_code.localeCompare(b.department_code) || a.value - b.value);
  if (!rows.length) return;
  await trx
    .insertInto('survey_tallies')
    .values(rows)
    .onConflict((oc) => oc.columns(['survey_id', 'question_id', 'department_code', 'value']).doUpdateSet({ n: sql<number>`survey_tallies.n + excluded.n` }))
    .execute();
}

/** Recomputes the running totals of a survey from its answers (bulk loads, checks). */
export async function tallyRebuilder(trx: Tx, surveyId: number): Promise<void> {
  await trx.deleteFrom('survey_tallies').where('survey_id', '=', surveyId).execute();
  await sql`
    insert into survey_tallies (survey_id, question_id, department_code, value, n)
    select a.survey_id, a.question_id, coalesce(r.department_code, ''), a.value, count(*)
    from survey_answers a
    join survey_responses r on r.survey_id = a.survey_id and r.respondent_key = a.respondent_key
    where a.survey_id = ${surveyId} and a.value is not null
    group by 1, 2, 3, 4
    union all
    select a.survey_id, a.question_id, coalesce(r.department_code, ''), -1, count(distinct a.respondent_key)
    from survey_answers a
    join survey_responses r on r.survey_id = a.survey_id and r.respondent_key = a.respondent_key
    where a.survey_id = ${surveyId}
    group by 1, 2, 3`.execute(trx);
}
