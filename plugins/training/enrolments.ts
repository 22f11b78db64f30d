import { sql } from 'kysely';
import type { DB, Tx } from '../../server/db/schema.js';

/**
 * Who follows which path. A new RUPN gets the path of their cohort (school year and
 * département, else académie), or the default path. Each enrolment carries a summary of the
 * learner's progress, refreshed set-wise after every step, that the DANE follow-up reads.
 */

/** The school year a date belongs to, named by the year it starts: designations happen from August. */
export function schoolYearOf(date: Date = new Date()): number {
  return date.getMonth() >= 7 ? date.getFullYear() : date.getFullYear() - 1;
}
export const schoolYearLabel = (year: number) => `${year}-${year + 1}`;

/** The path a RUPN designated at `at` should follow: their département's cohort, their académie's, or the default path. */
export async function pathForNewRupn(db: DB | Tx, userId: number, at: Date): Promise<{ pathId: number; cohortId: number | null } | null> {
  const year = schoolYearOf(at);
  const cohort = await db
    .selectFrom('users as u')
    .innerJoin('training_cohorts as c', (join) =>
      join.on('c.school_year', '=', year).on((eb) => eb.or([eb('c.department_code', '=', eb.ref('u.department_code')), eb('c.academy_code', '=', eb.ref('u.academy_code'))])),
    )
    .select(['c.id', 'c.path_id'])
    .where('u.id', '=', userId)
    // A département's cohort is more precise than its académie's.
    .orderBy(sql`c.department_code is null`)
    .executeTakeFirst();
  if (cohort) return { pathId: cohort.path_id, cohortId: cohort.id };
  const fallback = await db.selectFrom('training_paths').select('id').where('is_default', '=', true).executeTakeFirst();
  return fallback ? { pathId: fallback.id, cohortId: null } : null;
}

/** Enrols a RUPN in the path of their cohort; nothing happens when they already follow it. Returns the path id. */
export async function enrolmentAssigner(trx: Tx, props: { userId: number; at?: Date }): Promise<number | null> {
  const role = await trx.selectFrom('user_roles').select('granted_at').where('user_id', '=', props.userId).where('role', '=', 'rupn').executeTakeFirst();
  if (!role) return null;
  const target = await pathForNewRupn(trx, props.userId, props.at ?? role.granted_at);
  if (!target) return null;
  await trx
    .insertInto('training_enrolments')
    .values({ user_id: props.userId, path_id: target.pathId, cohort_id: target.cohortId })
    .onConflict((oc) => oc.columns(['user_id', 'path_id']).doNothing())
    .execute();
  await refreshEnrolments(trx, { userId: props.userId });
  return target.pathId;
}

/** Enrols the RUPNs already designated in a cohort's school year and place; returns how many were added. */
export async function cohortEnroller(trx: Tx, cohortId: number): Promise<number> {
  const result = await sql<{ user_id: number }>`
    insert into training_enrolments (user_id, path_id, cohort_id)
    select r.user_id, c.path_id, c.id
    from training_cohorts c
    join user_roles r on r.role = 'rupn'
      and r.granted_at >= make_date(c.school_year, 8, 1) and r.granted_at < make_date(c.school_year + 1, 8, 1)
    join users u on u.id = r.user_id and u.status = 'active'
      and (u.department_code = c.department_code or u.academy_code = c.academy_code)
    where c.id = ${cohortId}
    on conflict (user_id, path_id) do nothing
    returning user_id`.execute(trx);
  await refreshEnrolments(trx, { pathId: (await trx.selectFrom('training_cohorts').select('path_id').where('id', '=', cohortId).executeTakeFirstOrThrow()).path_id });
  return result.rows.length;
}

/**
 * Recomputes the progress summary of some enrolments (one learner's, or one path's) from what
 * the learners did: required and completed modules, the module they stand on, first and last
 * activity, and completion (dated by the last required module completed). Then issues the
 * badges of newly completed paths.
 */
export async function refreshEnrolments(db: DB | Tx, scope: { userId?: number; pathId?: number }): Promise<void> {
  const where = sql.join(
    [
      scope.userId !== undefined ? sql`e.user_id = ${scope.userId}` : sql`true`,
      scope.pathId !== undefined ? sql`e.path_id = ${scope.pathId}` : sql`true`,
    ],
    sql` and `,
  );
  await sql`
    update training_enrolments t set
      required_count = s.required_count,
      completed_count = s.completed_count,
      current_pack_id = s.current_pack_id,
      current_module_id = s.current_module_id,
      started_at = s.started_at,
      last_activity_at = s.last_activity_at,
      completed_at = case when s.required_count > 0 and s.completed_count = s.required_count
                          then coalesce(t.completed_at, s.last_completed_at, now()) end
    from (
      select e.user_id, e.path_id,
             coalesce(req.required_count, 0) as required_count,
             coalesce(req.completed_count, 0) as completed_count,
             req.last_completed_at,
             cur.pack_id as current_pack_id, cur.module_id as current_module_id,
             act.started_at, act.last_activity_at
      from training_enrolments e
      left join lateral (
        select count(*)::int as required_count, count(mp.completed_at)::int as completed_count, max(mp.completed_at) as last_completed_at
        from training_path_modules pm
        left join training_module_progress mp on mp.user_id = e.user_id and mp.pack_id = pm.pack_id and mp.module_id = pm.module_id
        where pm.path_id = e.path_id and not pm.optional
      ) req on true
      left join lateral (
        select pm.pack_id, pm.module_id
        from training_path_modules pm
        left join training_module_progress mp on mp.user_id = e.user_id and mp.pack_id = pm.pack_id and mp.module_id = pm.module_id
        where pm.path_id = e.path_id and not pm.optional and mp.completed_at is null
        order by pm.position limit 1
      ) cur on true
      left join lateral (
        select min(mp.started_at) as started_at, max(mp.last_seen_at) as last_activity_at
        from training_path_modules pm
        join training_module_progress mp on mp.user_id = e.user_id and mp.pack_id = pm.pack_id and mp.module_id = pm.module_id
        where pm.path_id = e.path_id
      ) act on true
      where ${where}
    ) s
    where t.user_id = s.user_id and t.path_id = s.path_id`.execute(db);
  await issuePendingBadges(db, scope);
}

/**
 * One Open Badges assertion per completed path and learner, issued on the completion date.
 * The recipient is the learner's e-mail, hashed with a salt of its own (sha256$…).
 */
export async function issuePendingBadges(db: DB | Tx, scope: { userId?: number; pathId?: number }): Promise<void> {
  await sql`
    insert into training_badges (id, user_id, path_id, recipient_salt, recipient_hash, issued_at)
    select gen_random_uuid(), e.user_id, e.path_id, s.salt,
           'sha256$' || encode(sha256(convert_to(lower(trim(u.email)) || s.salt, 'UTF8')), 'hex'),
           e.completed_at
    from training_enrolments e
    join users u on u.id = e.user_id
    cross join lateral (select substr(md5(random()::text || clock_timestamp()::text || e.user_id::text), 1, 16) as salt) s
    where e.completed_at is not null
      and ${scope.userId !== undefined ? sql`e.user_id = ${scope.userId}` : sql`true`}
      and ${scope.pathId !== undefined ? sql`e.path_id = ${scope.pathId}` : sql`true`}
    on conflict (user_id, path_id) do nothing`.execute(db);
}
