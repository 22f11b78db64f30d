import { sql } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { DB } from '../../server/db/schema.js';
import { CSV_BOM, csvLine } from '../../server/web/csv.js';

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

export interface Counts {
  enrolled: number;
  started: number;
  completed: number;
  idle: number;
}

export interface EstablishmentCounts extends Counts {
  uai: string;
  name: string;
  city: string;
  departmentCode: string;
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

export interface TimelinePoint {
  /** Monday of the week, YYYY-MM-DD. */
  week: string;
  started: number;
  completed: number;
  /** Running totals. */
  startedTotal: number;
  completedTotal: number;
}

export interface FollowUpFigures {
  totals: Counts;
  departments: (Counts & { code: string | null; name: string })[];
  /** Every establishment of the scope, by département then name. */
  establishments: EstablishmentCounts[];
  stuck: StuckRow[];
  timeline: TimelinePoint[];
  computedAt: Date;
}

interface FigureRow {
  kind: 'all' | 'department' | 'establishment' | 'module' | 'started' | 'completed';
  department_code: string | null;
  department_name: string | null;
  uai: string | null;
  est_name: string | null;
  est_city: string | null;
  est_department: string | null;
  current_pack_id: string | null;
  current_module_id: string | null;
  week: string | null;
  enrolled: number;
  started: number;
  completed: number;
  in_progress: number;
  idle: number;
}

/**
 * Every figure of the follow-up page in one pass over the path's learners (one row each in
 * training_enrolments): totals, per département, per establishment, where those in progress
 * stand, and the weeks they started and completed, as grouping sets of the same scan.
 */
export async function followUpFigures(db: DB, scope: FollowUpScope): Promise<FollowUpFigures> {
  const week = (column: string) => sql.raw(`to_char(date_trunc('week', ${column} at time zone 'Europe/Paris'), 'YYYY-MM-DD')`);
  const [figures, modules] = await Promise.all([
    sql<FigureRow>`
      with b as (
        select e.started_at, e.completed_at, e.last_activity_at, e.current_pack_id, e.current_module_id,
               u.department_code, d.name as department_name,
               est.uai, est.name as est_name, est.city as est_city, est.department_code as est_department,
               ${week('e.started_at')} as started_week, ${week('e.completed_at')} as completed_week
        from training_enrolments e
        join users u on u.id = e.user_id and u.status = 'active'
        left join departments d on d.code = u.department_code
        left join user_establishments ue on ue.user_id = e.user_id and ue.is_primary
        left join establishments est on est.uai = ue.uai
        where e.path_id = ${scope.pathId}
          and ${scope.departmentCode ? sql`u.department_code = ${scope.departmentCode}` : sql`true`}
      )
      select
        case when grouping(department_code, department_name) = 0 then 'department'
             when grouping(uai, est_name, est_city, est_department) = 0 then 'establishment'
             when grouping(current_pack_id, current_module_id) = 0 then 'module'
             when grouping(started_week) = 0 then 'started'
             when grouping(completed_week) = 0 then 'completed'
             else 'all' end as kind,
        department_code, department_name, uai, est_name, est_city, est_department,
        current_pack_id, current_module_id, coalesce(started_week, completed_week) as week,
        count(*)::int as enrolled,
        count(started_at)::int as started,
        count(completed_at)::int as completed,
        (count(*) filter (where started_at is not null and completed_at is null))::int as in_progress,
        (count(*) filter (where started_at is not null and completed_at is null
                          and last_activity_at < now() - make_interval(days => ${IDLE_DAYS})))::int as idle
      from b
      group by grouping sets ((), (department_code, department_name), (uai, est_name, est_city, est_department),
                              (current_pack_id, current_module_id), (started_week), (completed_week))`.execute(db),
    db
      .selectFrom('training_path_modules as pm')
      .innerJoin('content_modules as m', (j) => j.onRef('m.pack_id', '=', 'pm.pack_id').onRef('m.module_id', '=', 'pm.module_id'))
      .select(['pm.pack_id', 'pm.module_id', 'pm.position', 'pm.optional', 'm.title'])
      .where('pm.path_id', '=', scope.pathId)
      .orderBy('pm.position')
      .execute(),
  ]);
  const rows = figures.rows;
  const counts = (r: FigureRow | undefined): Counts => ({ enrolled: r?.enrolled ?? 0, started: r?.started ?? 0, completed: r?.completed ?? 0, idle: r?.idle ?? 0 });
  const of = (kind: FigureRow['kind']) => rows.filter((r) => r.kind === kind);
  const byModule = new Map(of('module').map((r) => [`${r.current_pack_id}/${r.current_module_id}`, r]));
  return {
    totals: counts(of('all')[0]),
    departments: of('department')
      .map((r) => ({ ...counts(r), code: r.department_code, name: r.department_name ?? 'Sans département' }))
      .sort((a, b) => (a.code ?? '~').localeCompare(b.code ?? '~')),
    establishments: of('establishment')
      .filter((r) => r.uai)
      .map((r) => ({ ...counts(r), uai: r.uai!, name: r.est_name!, city: r.est_city!, departmentCode: r.est_department! }))
      .sort((a, b) => a.departmentCode.localeCompare(b.departmentCode) || a.name.localeCompare(b.name, 'fr')),
    stuck: modules.map((m) => {
      const c = byModule.get(`${m.pack_id}/${m.module_id}`);
      return { packId: m.pack_id, moduleId: m.module_id, title: m.title, position: m.position, optional: m.optional, current: c?.in_progress ?? 0, idle: c?.idle ?? 0 };
    }),
    timeline: weekly(
      of('started').filter((r) => r.week).map((r) => [r.week!, r.enrolled] as const),
      of('completed').filter((r) => r.week).map((r) => [r.week!, r.enrolled] as const),
    ),
    computedAt: new Date(),
  };
}

/** Running totals week by week, quiet weeks included, from the first week to the last. */
function weekly(started: (readonly [string, number])[], completed: (readonly [string, number])[]): TimelinePoint[] {
  const weeks = [...new Set([...started.map(([w]) => w), ...completed.map(([w]) => w)])].sort();
  if (!weeks.length) return [];
  const all: string[] = [];
  for (let d = new Date(`${weeks[0]}T12:00:00Z`); d.toISOString().slice(0, 10) <= weeks[weeks.length - 1]! && all.length < 520; d.setUTCDate(d.getUTCDate() + 7)) {
    all.push(d.toISOString().slice(0, 10));
  }
  const s = new Map(started);
  const c = new Map(completed);
  let startedTotal = 0;
  let completedTotal = 0;
  return all.map((w) => {
    startedTotal += s.get(w) ?? 0;
    completedTotal += c.get(w) ?? 0;
    return { week: w, started: s.get(w) ?? 0, completed: c.get(w) ?? 0, startedTotal, completedTotal };
  });
}

/** Snapshots per database (tests run several platforms in one process). */
const snapshots = new WeakMap<DB, { cache: LRUCache<string, FollowUpFigures>; pending: Map<string, Promise<FollowUpFigures>> }>();
function snapshotsOf(db: DB) {
  let entry = snapshots.get(db);
  if (!entry) snapshots.set(db, (entry = { cache: new LRUCache({ max: 500 }), pending: new Map() }));
  return entry;
}

/**
 * The figures of a path and département, computed at most once per `seconds`: a DANE page
 * reloaded by several coordinators reads the same snapshot (its time is shown on the page).
 * Requests that arrive together share one computation; once the snapshot is older than
 * `seconds`, it is still served while the next one is computed in the background.
 */
export async function cachedFollowUpFigures(db: DB, scope: FollowUpScope, seconds: number): Promise<FollowUpFigures> {
  if (seconds <= 0) return followUpFigures(db, scope);
  const key = `${scope.pathId}:${scope.departmentCode ?? ''}`;
  const { cache, pending } = snapshotsOf(db);
  const refresh = () => {
    let running = pending.get(key);
    if (!running) {
      running = followUpFigures(db, scope)
        .then((figures) => {
          cache.set(key, figures);
          return figures;
        })
        .finally(() => pending.delete(key));
      pending.set(key, running);
    }
    return running;
  };
  const hit = cache.get(key);
  if (!hit) return refresh();
  if (Date.now() - hit.computedAt.getTime() >= seconds * 1000) refresh().catch(() => cache.delete(key));
  return hit;
}

/** Figures the DANE expects to see changed at once (a path edited) are computed afresh. */
export function forgetFollowUpFigures(db: DB, pathId: number): void {
  const { cache } = snapshotsOf(db);
  for (const key of cache.keys()) if (key.startsWith(`${pathId}:`)) cache.delete(key);
}

export async function summary(db: DB, scope: FollowUpScope): Promise<Counts> {
  const r = await scoped(db, scope)
    .select([
      sql<number>`count(*)::int`.as('enrolled'),
      sql<number>`count(e.started_at)::int`.as('started'),
      sql<number>`count(e.completed_at)::int`.as('completed'),
      sql<number>`(count(*) filter (where e.started_at is not null and e.completed_at is null and e.last_activity_at < now() - make_interval(days => ${IDLE_DAYS})))::int`.as('idle'),
    ])
    .executeTakeFirstOrThrow();
  return { enrolled: Number(r.enrolled), started: Number(r.started), completed: Number(r.completed), idle: Number(r.idle) };
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

export function csvHeader(): string {
  // A BOM so that spreadsheet software reads the accents right.
  return `${CSV_BOM}${csvLine(CSV_HEADER)}`;
}

export function csvRow(r: LearnerRow): string {
  const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : null);
  return csvLine([r.familyName, r.givenName, r.email, r.departmentCode, r.uai, r.establishment, day(r.enrolledAt), day(r.startedAt), day(r.lastActivityAt), r.completedCount, r.requiredCount, r.currentModule, day(r.completedAt)]);
}
