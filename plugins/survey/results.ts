import { sql } from 'kysely';
import type { DB } from '../../server/db/schema.js';
import { CSV_BOM, csvLine } from '../../server/web/csv.js';
import { audienceQuery, loadQuestions, type Survey } from './surveys.js';
import { valueLabel, valuesOf, type Question } from './questions.js';

/**
 * The report of a survey. Every figure is a GROUP BY in SQL (a handful of queries whatever the
 * number of answers); JavaScript only shapes the few hundred counts into tables and sentences.
 */

/** Below this many respondents, an anonymous survey's département figures are withheld. */
export const MIN_GROUP = 3;

export interface Bar {
  value: number;
  label: string;
  count: number;
  percent: number;
}

export interface DepartmentRow {
  code: string;
  name: string;
  respondents: number;
  /** Percent per value, in the order of the bars; null when withheld. */
  percents: number[] | null;
}

export interface QuestionResult {
  question: Question;
  /** People who answered this question (a multiple choice counts a person once). */
  respondents: number;
  bars: Bar[];
  sentence: string | null;
  mean: number | null;
  departments: DepartmentRow[];
  texts: { text: string; department: string | null }[];
  textCount: number;
}

export interface Report {
  computedAt: Date;
  audience: number;
  responses: number;
  rate: number;
  byDepartment: { code: string; name: string; audience: number; responses: number; rate: number }[];
  questions: QuestionResult[];
}

const TEXTS_SHOWN = 100;

const percent = (part: number, whole: number) => (whole ? Math.round((100 * part) / whole) : 0);

export async function buildReport(db: DB, survey: Survey): Promise<Report> {
  const [questions, tallies, audience, responses, texts] = await Promise.all([
    loadQuestions(db, survey.id),
    // The running totals kept by every save: a few rows per question and département.
    db.selectFrom('survey_tallies').select(['question_id', 'department_code', 'value', 'n']).where('survey_id', '=', survey.id).where('n', '>', 0).execute(),
    audienceQuery(db, survey.academyCode)
      .select(['u.department_code', (e) => e.fn.countAll<number>().as('n')])
      .groupBy('u.department_code')
      .execute(),
    db
      .selectFrom('survey_responses')
      .select(['department_code', (e) => e.fn.countAll<number>().as('n')])
      .where('survey_id', '=', survey.id)
      .groupBy('department_code')
      .execute(),
    // The first free texts of each question in respondent-key order (random, never the order of
    // answering), read from a partial index.
    sql<{ question_id: number; text: string; department_code: string | null }>`
      select q.id as question_id, t.text, t.department_code
      from survey_questions q
      cross join lateral (
        select a.text, r.department_code
        from survey_answers a
        join survey_responses r on r.survey_id = a.survey_id and r.respondent_key = a.respondent_key
        where a.survey_id = q.survey_id and a.question_id = q.id and a.text is not null
        order by a.respondent_key
        limit ${TEXTS_SHOWN}
      ) t
      where q.survey_id = ${survey.id} and q.kind = 'text'`.execute(db),
  ]);
  const count = new Map<string, number>();
  const answered = new Map<number, number>();
  const deptCount = new Map<string, number>();
  const deptAnswered = new Map<string, number>();
  for (const t of tallies) {
    const n = Number(t.n);
    if (t.value === -1) {
      answered.set(t.question_id, (answered.get(t.question_id) ?? 0) + n);
      deptAnswered.set(`${t.question_id}:${t.department_code}`, n);
    } else {
      count.set(`${t.question_id}:${t.value}`, (count.get(`${t.question_id}:${t.value}`) ?? 0) + n);
      deptCount.set(`${t.question_id}:${t.department_code}:${t.value}`, n);
    }
  }
  const departments = await db.selectFrom('departments').select(['code', 'name']).where('academy_code', '=', survey.academyCode).orderBy('code').execute();
  const deptName = new Map(departments.map((d) => [d.code, d.name]));
  const textsOf = new Map<number, { text: string; department: string | null }[]>();
  for (const t of texts.rows) {
    const list = textsOf.get(t.question_id) ?? [];
    // Anonymous: a free text says nothing of where it comes from (a département may hold few people).
    list.push({ text: t.text, department: survey.anonymous ? null : t.department_code ? (deptName.get(t.department_code) ?? t.department_code) : null });
    textsOf.set(t.question_id, list);
  }

  const audienceBy = new Map(audience.map((a) => [a.department_code, Number(a.n)]));
  const responsesBy = new Map(responses.map((r) => [r.department_code, Number(r.n)]));
  const totalResponses = [...responsesBy.values()].reduce((a, b) => a + b, 0);
  // Someone who answered and has since left the audience still counts among the people asked.
  const totalAudience = Math.max([...audienceBy.values()].reduce((a, b) => a + b, 0), totalResponses);

  return {
    computedAt: new Date(),
    audience: totalAudience,
    responses: totalResponses,
    rate: percent(totalResponses, totalAudience),
    byDepartment: departments.map((d) => {
      const n = responsesBy.get(d.code) ?? 0;
      const of = Math.max(audienceBy.get(d.code) ?? 0, n);
      return { code: d.code, name: d.name, audience: of, responses: n, rate: percent(n, of) };
    }),
    questions: questions.map((q) => {
      const total = answered.get(q.id) ?? 0;
      const bars = valuesOf(q).map((v) => {
        const n = count.get(`${q.id}:${v.value}`) ?? 0;
        return { value: v.value, label: v.label, count: n, percent: percent(n, total) };
      });
      const mean = q.kind === 'scale' && total ? bars.reduce((s, b) => s + b.value * b.count, 0) / total : null;
      return {
        question: q,
        respondents: total,
        bars,
        mean,
        sentence: sentenceOf(q, bars, total, mean),
        departments:
          q.kind === 'text'
            ? []
            : departments.map((d) => {
                const n = deptAnswered.get(`${q.id}:${d.code}`) ?? 0;
                const withheld = n === 0 || (survey.anonymous && n < MIN_GROUP);
                return { code: d.code, name: d.name, respondents: n, percents: withheld ? null : bars.map((b) => percent(deptCount.get(`${q.id}:${d.code}:${b.value}`) ?? 0, n)) };
              }),
        texts: textsOf.get(q.id) ?? [],
        textCount: q.kind === 'text' ? total : 0,
      };
    }),
  };
}

// Reports are reused for a few seconds (the page is read much more often than answered); each
// database has its own entries, and a save in this process forgets the survey's at once.
const reports = new WeakMap<DB, Map<number, { until: number; value: Promise<unknown> }>>();

/** What `compute` gives for this survey, kept `seconds` seconds; concurrent requests share one computation. */
export function cachedReport<T>(db: DB, surveyId: number, seconds: number, compute: () => Promise<T>): Promise<T> {
  if (seconds <= 0) return compute();
  let entries = reports.get(db);
  if (!entries) reports.set(db, (entries = new Map()));
  const hit = entries.get(surveyId);
  if (hit && hit.until > Date.now()) return hit.value as Promise<T>;
  const value = compute();
  entries.set(surveyId, { until: Date.now() + seconds * 1000, value });
  // A failed computation is not kept.
  value.catch(() => entries.delete(surveyId));
  return value;
}

export function forgetReport(db: DB, surveyId: number): void {
  reports.get(db)?.delete(surveyId);
}

/**
 * The sentence of the report, as the 2021 analysis puts it: « 73 % disent y parvenir ». For a
 * scale, the share in its upper half; for choices, the most chosen answer.
 */
export function sentenceOf(q: Question, bars: Bar[], total: number, mean: number | null): string | null {
  if (!total) return null;
  const fr = (n: number) => n.toLocaleString('fr-FR', { maximumFractionDigits: 1 });
  switch (q.kind) {
    case 'yesno': {
      const yes = bars.find((b) => b.value === 1)!;
      return `${yes.percent} % ${q.statement || 'répondent oui'}.`;
    }
    case 'scale': {
      const max = q.scaleMax ?? 5;
      const from = Math.floor(max / 2) + 1;
      const share = percent(bars.filter((b) => b.value >= from).reduce((s, b) => s + b.count, 0), total);
      return `${share} % ${q.statement || `choisissent ${from} ou plus sur ${max}`} (moyenne ${fr(mean ?? 0)} sur ${max}).`;
    }
    case 'single':
    case 'multiple': {
      const top = [...bars].sort((a, b) => b.count - a.count)[0];
      if (!top || !top.count) return null;
      return `${top.percent} % ${q.kind === 'multiple' ? 'citent' : 'choisissent'} « ${top.label} »${q.statement ? ` ${q.statement}` : ''}.`;
    }
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Chart geometry: horizontal bars, drawn as SVG by the view (attributes only, the CSP forbids
// style attributes). The same figures are in the table that follows each chart.

export interface BarChart {
  width: number;
  height: number;
  labelWidth: number;
  rows: { y: number; width: number; label: string; text: string }[];
}

export function barChart(bars: Bar[], width = 640): BarChart {
  const labelWidth = 220;
  const plot = width - labelWidth - 70;
  const rowHeight = 30;
  return {
    width,
    height: bars.length * rowHeight + 8,
    labelWidth,
    rows: bars.map((b, i) => ({
      y: 4 + i * rowHeight,
      width: Math.round((plot * b.percent) / 100 * 10) / 10,
      label: b.label.length > 34 ? `${b.label.slice(0, 33)}…` : b.label,
      text: `${b.percent} %`,
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// CSV export: one row per response, semicolons, UTF-8 with a BOM so that a spreadsheet reads
// the accents. Names only when the survey is not anonymous.

export async function* csvLines(db: DB, survey: Survey): AsyncGenerator<string> {
  const questions = await loadQuestions(db, survey.id);
  const named = !survey.anonymous;
  yield `${CSV_BOM}${csvLine([...(named ? ['Nom', 'Courriel'] : []), 'Département', 'Date', ...questions.map((q) => `Q${q.position}. ${q.label}`)])}`;
  let after = '';
  for (;;) {
    // Responses in respondent-key order (random for anonymous ones), 500 at a time, each with its
    // answers gathered by the database into one JSON object: 500 rows cross, not 20,000.
    const batch = await db
      .selectFrom('survey_responses as r')
      .leftJoin('departments as d', 'd.code', 'r.department_code')
      .leftJoin('users as u', (j) => (named ? j.onRef('u.id', '=', 'r.user_id') : j.on(sql<boolean>`false`)))
      .select(['r.respondent_key', 'd.name as department', 'r.submitted_on', 'u.given_name', 'u.family_name', 'u.email'])
      .select(
        sql<Record<string, (string | number)[]> | null>`(
          select json_object_agg(x.question_id, x.vals) from (
            select a.question_id, json_agg(coalesce(a.text, a.value::text) order by a.value) as vals
            from survey_answers a
            where a.survey_id = r.survey_id and a.respondent_key = r.respondent_key
            group by a.question_id
          ) x)`.as('answers'),
      )
      .where('r.survey_id', '=', survey.id)
      .where('r.respondent_key', '>', after)
      .orderBy('r.respondent_key')
      .limit(500)
      .execute();
    if (!batch.length) return;
    after = batch[batch.length - 1]!.respondent_key;
    const cell = (answers: Record<string, (string | number)[]> | null, q: Question) =>
      (answers?.[String(q.id)] ?? []).map((v) => (q.kind === 'text' ? String(v) : valueLabel(q, Number(v)))).join(' | ');
    let chunk = '';
    for (const r of batch) {
      chunk += csvLine([
        ...(named ? [`${r.given_name ?? ''} ${r.family_name ?? ''}`.trim(), r.email ?? ''] : []),
        r.department ?? '',
        // Anonymous: the day would help match a response with a participation; the month does not.
        named ? r.submitted_on : r.submitted_on.slice(0, 7),
        ...questions.map((q) => cell(r.answers, q)),
      ]);
    }
    yield chunk;
  }
}
