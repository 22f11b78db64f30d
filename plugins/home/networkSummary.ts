import { sql } from 'kysely';
import type { DB } from '../../server/db/schema.js';
import type { SessionUser } from '../../server/auth/sessionUser.js';

export interface Network {
  department: { code: string; name: string } | null;
  rupnCount: number;
  establishmentCount: number;
  /** Other RUPNs of the user's establishments. */
  colleagues: { name: string; establishment: string }[];
  coordinators: { name: string; email: string }[];
}

/** The people around a user: RUPNs of the département, colleagues, DANE coordinators. */
export async function networkOf(db: DB, user: SessionUser): Promise<Network> {
  const department = user.department;
  if (!department) return { department: null, rupnCount: 0, establishmentCount: 0, colleagues: [], coordinators: [] };
  const uais = user.establishments.map((e) => e.uai);
  const [counts, colleagues, coordinators] = await Promise.all([
    db
      .selectFrom('users as u')
      .innerJoin('user_roles as r', (j) => j.onRef('r.user_id', '=', 'u.id').on('r.role', '=', 'rupn'))
      .leftJoin('user_establishments as ue', (j) => j.onRef('ue.user_id', '=', 'u.id').on('ue.is_primary', '=', true))
      .where('u.department_code', '=', department.code)
      .where('u.status', '=', 'active')
      .select([
        sql<number>`count(distinct u.id)`.as('rupns'),
        sql<number>`count(distinct ue.uai)`.as('establishments'),
      ])
      .executeTakeFirstOrThrow(),
    uais.length
      ? db
          .selectFrom('user_establishments as ue')
          .innerJoin('users as u', 'u.id', 'ue.user_id')
          .innerJoin('establishments as e', 'e.uai', 'ue.uai')
          .innerJoin('user_roles as r', (j) => j.onRef('r.user_id', '=', 'u.id').on('r.role', '=', 'rupn'))
          .where('ue.uai', 'in', uais)
          .where('u.id', '!=', user.id)
          .where('u.status', '=', 'active')
          .select(['u.given_name', 'u.family_name', 'e.name as establishment'])
          .orderBy('u.family_name')
          .limit(10)
          .execute()
      : Promise.resolve([]),
    db
      .selectFrom('users as u')
      .innerJoin('user_roles as r', (j) => j.onRef('r.user_id', '=', 'u.id').on('r.role', '=', 'dane'))
      .where('u.department_code', '=', department.code)
      .where('u.status', '=', 'active')
      .where('u.id', '!=', user.id)
      .select(['u.given_name', 'u.family_name', 'u.email'])
      .orderBy('u.family_name')
      .limit(5)
      .execute(),
  ]);
  return {
    department,
    rupnCount: Number(counts.rupns),
    establishmentCount: Number(counts.establishments),
    colleagues: colleagues.map((c) => ({ name: `${c.given_name} ${c.family_name}`, establishment: c.establishment })),
    coordinators: coordinators.map((c) => ({ name: `${c.given_name} ${c.family_name}`, email: c.email })),
  };
}

export interface PlatformFigures {
  activeUsers: number;
  loggedInThisWeek: number;
  newThisWeek: number;
  packs: number;
  modules: number;
}

export async function platformFigures(db: DB): Promise<PlatformFigures> {
  const weekAgo = new Date(Date.now() - 7 * 24 * 3600_000);
  const [users, packs] = await Promise.all([
    db
      .selectFrom('users')
      .where('status', '=', 'active')
      .select([
        sql<number>`count(*)`.as('active'),
        sql<number>`count(*) filter (where last_login_at >= ${weekAgo})`.as('logged_in'),
        sql<number>`count(*) filter (where created_at >= ${weekAgo})`.as('new'),
      ])
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('content_packs')
      .select([sql<number>`count(*)`.as('packs'), sql<number>`(select count(*) from content_modules)`.as('modules')])
      .executeTakeFirstOrThrow(),
  ]);
  return {
    activeUsers: Number(users.active),
    loggedInThisWeek: Number(users.logged_in),
    newThisWeek: Number(users.new),
    packs: Number(packs.packs),
    modules: Number(packs.modules),
  };
}
