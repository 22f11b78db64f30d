import { sql, type RawBuilder } from 'kysely';
import type { DB, Tx } from '../db/schema.js';
import { isRole, type Role } from '../auth/roles.js';
import { personMatches } from '../search/fullText.js';
import type { SessionUser, UserEstablishment } from '../auth/sessionUser.js';

export function displayName(givenName: string, familyName: string, email = ''): string {
  return `${givenName} ${familyName}`.trim() || email;
}

/**
 * The user as a request needs it (roles, places, establishments), as one JSON value computed
 * by the database: null for an unknown or inactive account. A SQL fragment rather than a query
 * so that the session store can fetch the session and its user in a single round trip.
 */
export function sessionUserJson(userId: RawBuilder<unknown> | number) {
  const id = typeof userId === 'number' ? sql`${userId}::int` : userId;
  return sql<RawSessionUser | null>`(
    select json_build_object(
      'id', u.id, 'email', u.email, 'givenName', u.given_name, 'familyName', u.family_name,
      'academyCode', u.academy_code, 'academyName', a.name, 'departmentCode', u.department_code, 'departmentName', d.name,
      'roles', coalesce((select json_agg(r.role order by r.role) from user_roles r where r.user_id = u.id), '[]'::json),
      'establishments', coalesce((
        select json_agg(json_build_object(
          'uai', e.uai, 'name', e.name, 'city', e.city, 'departmentCode', e.department_code,
          'function', ue.function, 'isPrimary', ue.is_primary) order by ue.is_primary desc, e.name)
        from user_establishments ue join establishments e on e.uai = ue.uai
        where ue.user_id = u.id), '[]'::json))
    from users u
    left join departments d on d.code = u.department_code
    left join academies a on a.code = u.academy_code
    where u.id = ${id} and u.status = 'active')`;
}

export interface RawSessionUser {
  id: number;
  email: string;
  givenName: string;
  familyName: string;
  academyCode: string | null;
  academyName: string | null;
  departmentCode: string | null;
  departmentName: string | null;
  roles: string[];
  establishments: UserEstablishment[];
}

export function toSessionUser(raw: RawSessionUser): SessionUser {
  return {
    id: raw.id,
    email: raw.email,
    givenName: raw.givenName,
    familyName: raw.familyName,
    displayName: displayName(raw.givenName, raw.familyName, raw.email),
    roles: raw.roles.filter(isRole),
    academy: raw.academyCode && raw.academyName ? { code: raw.academyCode, name: raw.academyName } : null,
    department: raw.departmentCode && raw.departmentName ? { code: raw.departmentCode, name: raw.departmentName } : null,
    establishments: raw.establishments,
  };
}

export async function loadSessionUser(db: DB | Tx, id: number): Promise<SessionUser | null> {
  const { rows } = await sql<{ user: RawSessionUser | null }>`select ${sessionUserJson(id)} as user`.execute(db);
  const raw = rows[0]?.user;
  return raw ? toSessionUser(raw) : null;
}

export interface UserSearch {
  q?: string;
  role?: Role;
  departmentCode?: string;
  page: number;
  perPage: number;
}

export interface UserListItem {
  id: number;
  email: string;
  displayName: string;
  status: string;
  departmentName: string | null;
  roles: Role[];
  lastLoginAt: Date | null;
}

/** Admin search: by name or e-mail, accents and case forgiven. */
export async function searchUsers(db: DB, search: UserSearch): Promise<{ total: number; items: UserListItem[] }> {
  let query = db.selectFrom('users as u').leftJoin('departments as d', 'd.code', 'u.department_code');
  const q = search.q?.trim();
  if (q) query = query.where(personMatches(q));
  if (search.role) {
    const role = search.role;
    query = query.where((eb) =>
      eb.exists(eb.selectFrom('user_roles as r').whereRef('r.user_id', '=', 'u.id').where('r.role', '=', role)),
    );
  }
  if (search.departmentCode) query = query.where('u.department_code', '=', search.departmentCode);
  const [{ total }, rows] = await Promise.all([
    query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
    query
      .select([
        'u.id',
        'u.email',
        'u.given_name',
        'u.family_name',
        'u.status',
        'u.last_login_at',
        'd.name as department_name',
        sql<string[]>`coalesce((select json_agg(r.role order by r.role) from user_roles r where r.user_id = u.id), '[]'::json)`.as(
          'roles',
        ),
      ])
      .orderBy(sql`lower(u.family_name)`)
      .orderBy(sql`lower(u.given_name)`)
      .orderBy('u.id')
      .limit(search.perPage)
      .offset((search.page - 1) * search.perPage)
      .execute(),
  ]);
  return {
    total: Number(total),
    items: rows.map((r) => ({
      id: r.id,
      email: r.email,
      displayName: displayName(r.given_name, r.family_name, r.email),
      status: r.status,
      departmentName: r.department_name,
      roles: (r.roles as string[]).filter(isRole),
      lastLoginAt: r.last_login_at,
    })),
  };
}
