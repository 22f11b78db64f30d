import { sql } from 'kysely';
import type { DB } from '../../server/db/schema.js';

/**
 * The DANE follow-up of a path: every figure reads the per-learner summary kept in
 * training_enrolments (one row per learner), never the lessons and attempts themselves.
 */

export interface FollowUpScope {
  pathId: number;
  departmentCode?: string;
  uai?: string;
}

/** Learners become « sans activité » after this many days without a step. */
export const IDLE_DAYS = 14;

function scoped(db: DB, scope: FollowUpScope) {
  let q = db
    .selectFrom('training_enrolments as e')
    .innerJoin('users as u', 'u.id', 'e.user_id')
    .where('e.path_id', '=', scope.pathId)
    .where('u.status', '=', 'active');
  if (scope.departmentCode) q = q.where('u.department_code', '=', scope.departmentCode);
  if (scope.uai) q = q.where((eb) => eb.exists(eb.selectFrom('user_establishments as x').select('x.uai').whereRef('x.user_id', '=', 'u.id').where('x.uai', '=', scope.uai!)));
  return q;
}
type Scoped = ReturnType<typeof scoped>;

export interface Counts {
  enrolled: number;
  started: number;
  completed: number;
  idle: number;
}

/** Raw expressions over `e`, so they fit any query that joins more tables. */
const countColumns = [
  sql<number>`count(*)::int`.as('enrolled'),
  sql<number>`count(e.started_at)::int`.as('started'),
  sql<number>`count(e.completed_at)::int`.as('completed'),
  sql<number>`(count(*) filter (where e.started_at is not null and e.completed_at is null and e.last_activity_at < now() - make_interval(days => ${IDLE_DAYS})))::int`.as('idle'),
];
const counts = (q: Scoped) => q.select(countColumns);

const toCounts = (r: { enrolled: number; started: number; completed: number; idle: number }): Counts => ({
  enrolled: Number(r.enrolled),
  started: Number(r.started),
  completed: Number(r.completed),
  idle: Number(r.idle),
});

export async function summary(db: DB, scope: FollowUpScope): Promise<Counts> {
  return toCounts(await counts(scoped(db, scope)).executeTakeFirstOrThrow());
}

export async function byDepartment(db: DB, scope: FollowUpScope): Promise<(Counts & { code: string | null; name: string })[]> {
  const rows = await scoped(db, scope)
    .leftJoin('departments as d', 'd.code', 'u.department_code')
    .select(countColumns)
    .select(['u.department_code as code', sql<string>`coalesce(min(d.name), 'Sans département')`.as('name')])
    .groupBy('u.department_code')
    .orderBy('u.department_code')
    .execute();
  return rows.map((r) => ({ ...toCounts(r), code: r.code, name: r.name }));
}

export async function byEstablishment(
  db: DB,
  scope: FollowUpScope,
  page: { limit: number; offset: number },
): Promise<{ total: number; rows: (Counts & { uai: string; name: string; city: string; departmentCode: string })[] }> {
  const base = scoped(db, scope)
    .innerJoin('user_establishments as ue', (j) => j.onRef('ue.user_id', '=', 'u.id').on('ue.is_primary', '=', true))
    .innerJoin('establishments as est', 'est.uai', 'ue.uai');
  const [rows, total] = await Promise.all([
    base
      .select(countColumns)
      .select(['est.uai', 'est.name', 'est.city', 'est.department_code'])
      .groupBy(['est.uai', 'est.name', 'est.city', 'est.department_code'])
      .orderBy('est.department_code')
      .orderBy('est.name')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    base.select(sql<number>`count(distinct est.uai)::int`.as('n')).executeTakeFirstOrThrow(),
  ]);
  return {
    total: Number(total.n),
    rows: rows.map((r) => ({ ...toCounts(r), uai: r.uai, name: r.name, city: r.city, departmentCode: r.department_code })),
  };
}

export interface StuckRow {
  packId: string;
  moduleId: string;
  title: string;
  position: number;
  optional: boolean;
  /** Started the path, not completed it, and stand on this module. */
  current: number;
  /** Of those, without a step for IDLE_DAYS days. */
  idle: number;
}

/** Where the learners who started but did not finish stand, module by module, in path order. */
export async function stuckByModule(db: DB, scope: FollowUpScope): Promise<StuckRow[]> {
  const stuck = scoped(db, scope)
    .where('e.started_at', 'is not', null)
    .where('e.completed_at', 'is', null)
    .select([
      'e.current_pack_id',
      'e.current_module_id',
      sql<number>`count(*)::int`.as('current'),
      sql<number>`(count(*) filter (where e.last_activity_at < now() - make_interval(days => ${IDLE_DAYS})))::int`.as('idle'),
    ])
    .groupBy(['e.current_pack_id', 'e.current_module_id']);
  const [modules, counts] = await Promise.all([
    db
      .selectFrom('training_path_modules as pm')
      .innerJoin('content_modules as m', (j) => j.onRef('m.pack_id', '=', 'pm.pack_id').onRef('m.module_id', '=', 'pm.module_id'))
      .select(['pm.pack_id', 'pm.module_id', 'pm.position', 'pm.optional', 'm.title'])
      .where('pm.path_id', '=', scope.pathId)
      .orderBy('pm.position')
      .execute(),
    stuck.execute(),
  ]);
  const byKey = new Map(counts.map((c) => [`${c.current_pack_id}/${c.current_module_id}`, c]));
  return modules.map((m) => {
    const c = byKey.get(`${m.pack_id}/${m.module_id}`);
    return { packId: m.pack_id, moduleId: m.module_id, title: m.title, position: m.position, optional: m.optional, current: Number(c?.current ?? 0), idle: Number(c?.idle ?? 0) };
  });
}

export interface TimelinePoint {
  /** Monday of the week, YYYY-MM-DD. */
  week: string;
  started: number;
  completed: number;
  /** Running totals. */
  startedTotal: number;
  completedTotal: number;
}

/** Learners who started and completed the path, week by week (weeks start on Monday, Paris time). */
export async function completionTimeline(db: DB, scope: FollowUpScope): Promise<TimelinePoint[]> {
  const week = (column: 'e.started_at' | 'e.completed_at') => sql<string>`to_char(date_trunc('week', ${sql.ref(column)} at time zone 'Europe/Paris'), 'YYYY-MM-DD')`;
  const [started, completed] = await Promise.all([
    scoped(db, scope).where('e.started_at', 'is not', null).select([week('e.started_at').as('week'), sql<number>`count(*)::int`.as('n')]).groupBy(sql`1`).execute(),
    scoped(db, scope).where('e.completed_at', 'is not', null).select([week('e.completed_at').as('week'), sql<number>`count(*)::int`.as('n')]).groupBy(sql`1`).execute(),
  ]);
  const weeks = [...new Set([...started.map((r) => r.week), ...completed.map((r) => r.week)])].sort();
  if (!weeks.length) return [];
  // Every week between the first and the last, so that quiet weeks show as flat.
  const all: string[] = [];
  for (let d = new Date(`${weeks[0]}T12:00:00Z`); d.toISOString().slice(0, 10) <= weeks[weeks.length - 1]! && all.length < 520; d.setUTCDate(d.getUTCDate() + 7)) {
    all.push(d.toISOString().slice(0, 10));
  }
  const s = new Map(started.map((r) => [r.week, Number(r.n)]));
  const c = new Map(completed.map((r) => [r.week, Number(r.n)]));
  let startedTotal = 0;
  let completedTotal = 0;
  return all.map((w) => {
    startedTotal += s.get(w) ?? 0;
    completedTotal += c.get(w) ?? 0;
    return { week: w, started: s.get(w) ?? 0, completed: c.get(w) ?? 0, startedTotal, completedTotal };
  });
}

export interface LearnerRow {
  userId: number;
  givenName: string;
  familyName: string;
  email: string;
  departmentCode: string | null;
  uai: string | null;
  establishment: string | null;
  enrolledAt: Date;
  startedAt: Date | null;
  lastActivityAt: Date | null;
  completedCount: number;
  requiredCount: number;
  currentModule: string | null;
  completedAt: Date | null;
}

function learnerQuery(db: DB, scope: FollowUpScope) {
  return scoped(db, scope)
    .leftJoin('user_establishments as ue', (j) => j.onRef('ue.user_id', '=', 'u.id').on('ue.is_primary', '=', true))
    .leftJoin('establishments as est', 'est.uai', 'ue.uai')
    .leftJoin('content_modules as cm', (j) => j.onRef('cm.pack_id', '=', 'e.current_pack_id').onRef('cm.module_id', '=', 'e.current_module_id'))
    .select([
      'u.id',
      'u.given_name',
      'u.family_name',
      'u.email',
      'u.department_code',
      'ue.uai',
      'est.name as establishment',
      'e.enrolled_at',
      'e.started_at',
      'e.last_activity_at',
      'e.completed_count',
      'e.required_count',
      'cm.title as current_module',
      'e.completed_at',
    ])
    .orderBy('u.department_code')
    .orderBy('est.name')
    .orderBy('u.family_name')
    .orderBy('u.id');
}

type LearnerQueryRow = Awaited<ReturnType<ReturnType<typeof learnerQuery>['execute']>>[number];
const toLearner = (r: LearnerQueryRow): LearnerRow => ({
  userId: r.id,
  givenName: r.given_name,
  familyName: r.family_name,
  email: r.email,
  departmentCode: r.department_code,
  uai: r.uai,
  establishment: r.establishment,
  enrolledAt: r.enrolled_at,
  startedAt: r.started_at,
  lastActivityAt: r.last_activity_at,
  completedCount: r.completed_count,
  requiredCount: r.required_count,
  currentModule: r.completed_at ? null : r.current_module,
  completedAt: r.completed_at,
});

export async function learners(db: DB, scope: FollowUpScope, page: { limit: number; offset: number }): Promise<LearnerRow[]> {
  return (await learnerQuery(db, scope).limit(page.limit).offset(page.offset).execute()).map(toLearner);
}

/** Every learner of the scope, in batches, for the CSV export (never all rows in memory at once). */
export async function* learnerBatches(db: DB, scope: FollowUpScope, size = 2000): AsyncGenerator<LearnerRow[]> {
  for (let offset = 0; ; offset += size) {
    const rows = await learners(db, scope, { limit: size, offset });
    if (rows.length) yield rows;
    if (rows.length < size) return;
  }
}

const CSV_HEADER = ['Nom', 'Prénom', 'Adresse électronique', 'Département', 'UAI', 'Établissement', 'Inscription', 'Début', 'Dernière activité', 'Modules terminés', 'Modules obligatoires', 'Module en cours', 'Parcours terminé le'];

/** One CSV line; cells that a spreadsheet would take for a formula are defused. */
export function csvLine(cells: (string | number | null)[]): string {
  return (
    cells
      .map((cell) => {
        let text = cell === null ? '' : String(cell);
        if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
        return /[;"\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
      })
      .join(';') + '\r\n'
  );
}

export function csvHeader(): string {
  // A BOM so that spreadsheet software reads the accents right.
  return `\uFEFF${csvLine(CSV_HEADER)}`;
}

export function csvRow(r: LearnerRow): string {
  const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : null);
  return csvLine([r.familyName, r.givenName, r.email, r.departmentCode, r.uai, r.establishment, day(r.enrolledAt), day(r.startedAt), day(r.lastActivityAt), r.completedCount, r.requiredCount, r.currentModule, day(r.completedAt)]);
}
