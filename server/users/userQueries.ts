import { sql } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import type { DB, Tx } from '../db/schema.js';
import { isRole, type Role } from '../auth/roles.js';
import type { SessionUser, UserEstablishment } from '../auth/sessionUser.js';

export function displayName(givenName: string, familyName: string, email = ''): string {
  return `${givenName} ${familyName}`.trim() || email;
}

/** One round trip: the user with roles, places and establishments. Inactive users are not returned. */
export async function loadSessionUser(db: DB | Tx, id: number): Promise<SessionUser | null> {
  const row = await db
    .selectFrom('users as u')
    .leftJoin('departments as d', 'd.code', 'u.department_code')
    .leftJoin('academies as a', 'a.code', 'u.academy_code')
    .select((eb) => [
      'u.id',
      'u.email',
      'u.given_name',
      'u.family_name',
      'u.academy_code',
      'u.department_code',
      'd.name as department_name',
      'a.name as academy_name',
      sql<string[]>`coalesce((select json_agg(r.role order by r.role) from user_roles r where r.user_id = u.id), '[]'::json)`.as(
        'roles',
      ),
      jsonArrayFrom(
        eb
          .selectFrom('user_establishments as ue')
          .innerJoin('establishments as e', 'e.uai', 'ue.uai')
          .select([
            'e.uai',
            'e.name',
            'e.city',
            'e.department_code as departmentCode',
            'ue.function',
            'ue.is_primary as isPrimary',
          ])
          .whereRef('ue.user_id', '=', 'u.id')
          .orderBy('ue.is_primary', 'desc')
          .orderBy('e.name'),
      ).as('establishments'),
    ])
    .where('u.id', '=', id)
    .where('u.status', '=', 'active')
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    email: row.email,
    givenName: row.given_name,
    familyName: row.family_name,
    displayName: displayName(row.given_name, row.family_name, row.email),
    roles: (row.roles as string[]).filter(isRole),
    academy: row.academy_code && row.academy_name ? { code: row.academy_code, name: row.academy_name } : null,
    department:
      row.department_code && row.department_name ? { code: row.department_code, name: row.department_name } : null,
    establishments: row.establishments as UserEstablishment[],
  };
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
  if (q) {
    const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) =>
      eb.or([
        sql<boolean>`unaccent(lower(u.given_name || ' ' || u.family_name)) like unaccent(lower(${pattern}))`,
        sql<boolean>`unaccent(lower(u.family_name || ' ' || u.given_name)) like unaccent(lower(${pattern}))`,
        eb(sql`lower(u.email)`, 'like', pattern.toLowerCase()),
      ]),
    );
  }
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
