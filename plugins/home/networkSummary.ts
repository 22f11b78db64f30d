import { sql } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { DB } from '../../server/db/schema.js';
import type { SessionUser } from '../../server/auth/sessionUser.js';

export interface Network {
  department: { code: string; name: string } | null;
  rupnCount: number;
  establishmentCount: number;
  /** Other RUPNs of the user's establishments. */
  colleagues: { name: string; establishment: string }[];
  coordinators: { id: number; name: string; email: string }[];
}

interface DepartmentFigures {
  rupnCount: number;
  establishmentCount: number;
  coordinators: { id: number; name: string; email: string }[];
}
interface EstablishmentRupn {
  id: number;
  name: string;
  establishment: string;
}

// Every dashboard shows these figures: shared by all users of a département (or an
// establishment) for a minute, so a dashboard costs no extra round trip most of the time.
const departmentCache = new LRUCache<string, DepartmentFigures>({ max: 200, ttl: 60_000 });
const establishmentCache = new LRUCache<string, EstablishmentRupn[]>({ max: 5_000, ttl: 60_000 });

async function departmentFigures(db: DB, code: string): Promise<DepartmentFigures> {
  const cached = departmentCache.get(code);
  if (cached) return cached;
  const { rows } = await sql<{ rupns: number; establishments: number; coordinators: DepartmentFigures['coordinators'] | null }>`
    select
      (select count(*) from users u join user_roles r on r.user_id = u.id and r.role = 'rupn'
        where u.department_code = ${code} and u.status = 'active') as rupns,
      (select count(distinct ue.uai) from users u
        join user_roles r on r.user_id = u.id and r.role = 'rupn'
        join user_establishments ue on ue.user_id = u.id and ue.is_primary
        where u.department_code = ${code} and u.status = 'active') as establishments,
      (select json_agg(json_build_object('id', c.id, 'name', c.given_name || ' ' || c.family_name, 'email', c.email))
        from (select u.id, u.given_name, u.family_name, u.email from users u
              join user_roles r on r.user_id = u.id and r.role = 'dane'
              where u.department_code = ${code} and u.status = 'active'
              order by u.family_name limit 6) c) as coordinators`.execute(db);
  const row = rows[0]!;
  const figures = { rupnCount: Number(row.rupns), establishmentCount: Number(row.establishments), coordinators: row.coordinators ?? [] };
  departmentCache.set(code, figures);
  return figures;
}

async function establishmentRupns(db: DB, uais: string[]): Promise<EstablishmentRupn[]> {
  const key = [...uais].sort().join(',');
  const cached = establishmentCache.get(key);
  if (cached) return cached;
  const rows = await db
    .selectFrom('user_establishments as ue')
    .innerJoin('users as u', 'u.id', 'ue.user_id')
    .innerJoin('establishments as e', 'e.uai', 'ue.uai')
    .innerJoin('user_roles as r', (j) => j.onRef('r.user_id', '=', 'u.id').on('r.role', '=', 'rupn'))
    .where('ue.uai', 'in', uais)
    .where('u.status', '=', 'active')
    .select(['u.id', 'u.given_name', 'u.family_name', 'e.name as establishment'])
    .orderBy('u.family_name')
    .limit(11)
    .execute();
  const list = rows.map((r) => ({ id: r.id, name: `${r.given_name} ${r.family_name}`, establishment: r.establishment }));
  establishmentCache.set(key, list);
  return list;
}

/** The people around a user: RUPNs of the département, colleagues, DANE coordinators. */
export async function networkOf(db: DB, user: SessionUser): Promise<Network> {
  const department = user.department;
  if (!department) return { department: null, rupnCount: 0, establishmentCount: 0, colleagues: [], coordinators: [] };
  const uais = user.establishments.map((e) => e.uai);
  const [figures, rupns] = await Promise.all([
    departmentFigures(db, department.code),
    uais.length ? establishmentRupns(db, uais) : Promise.resolve([]),
  ]);
  return {
    department,
    rupnCount: figures.rupnCount,
    establishmentCount: figures.establishmentCount,
    colleagues: rupns.filter((r) => r.id !== user.id).slice(0, 10),
    coordinators: figures.coordinators.filter((c) => c.id !== user.id).slice(0, 5),
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
