import { sql, type Expression, type SqlBool } from 'kysely';
import type { DB } from '../../server/db/schema.js';
import { heldMissions, MISSION_KEYS, type MissionKey } from './missions.js';
import './schema.js';

/**
 * The network directory: per département, the DANE coordinators and the establishments with
 * their currently designated RUPNs and the missions their letter of the year gives them.
 * A RUPN whose designation ended is simply no longer selected.
 */

export interface DirectoryDepartment {
  code: string;
  name: string;
  coordinators: { id: number; name: string; email: string }[];
  establishments: {
    uai: string;
    name: string;
    city: string;
    referents: { id: number; name: string; email: string; missions: MissionKey[] | null }[];
  }[];
}

const FROM = 'ÀÂÄÉÈÊËÎÏÔÖÙÛÜÇàâäéèêëîïôöùûüçŒœ’';
const TO = "AAAEEEEIIOOUUUCaaaeeeeiioouuucOo'";
/** Case- and accent-insensitive comparison without the unaccent extension (PGlite lacks it). */
const folded = (column: string) => sql<string>`lower(translate(${sql.ref(column)}, ${FROM}, ${TO}))`;
export const foldQuery = (q: string) => q.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/’/g, "'").toLowerCase().trim();
const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export async function directory(db: DB, options: { academyCode?: string | null; departmentCode?: string; query?: string; schoolYear: number }): Promise<DirectoryDepartment[]> {
  const q = foldQuery(options.query ?? '');
  const departments = await db
    .selectFrom('departments')
    .select(['code', 'name'])
    .$if(Boolean(options.academyCode), (qb) => qb.where('academy_code', '=', options.academyCode!))
    .$if(Boolean(options.departmentCode), (qb) => qb.where('code', '=', options.departmentCode!))
    .orderBy('code')
    .execute();
  const codes = departments.map((d) => d.code);
  if (!codes.length) return [];

  const coordinators = await db
    .selectFrom('users as u')
    .innerJoin('user_roles as r', 'r.user_id', 'u.id')
    .select(['u.id', 'u.given_name', 'u.family_name', 'u.email', 'u.department_code'])
    .where('r.role', '=', 'dane')
    .where('u.status', '=', 'active')
    .where('u.department_code', 'in', codes)
    .orderBy('u.family_name')
    .execute();

  const rows = await db
    .selectFrom('mission_designations as d')
    .innerJoin('users as u', 'u.id', 'd.user_id')
    .innerJoin('establishments as e', 'e.uai', 'd.uai')
    .leftJoin('mission_letters as l', (j) => j.onRef('l.uai', '=', 'd.uai').on('l.school_year', '=', options.schoolYear))
    .leftJoin('mission_letter_referents as lr', (j) => j.onRef('lr.letter_id', '=', 'l.id').onRef('lr.user_id', '=', 'd.user_id'))
    .select(['e.uai', 'e.name as establishment', 'e.city', 'e.department_code', 'u.id', 'u.given_name', 'u.family_name', 'u.email', 'lr.time_split'])
    .where('d.ended_on', 'is', null)
    .where('u.status', '=', 'active')
    .where('e.department_code', 'in', codes)
    .$if(q.length > 0, (qb) =>
      qb.where((eb) => {
        const pattern = likePattern(q);
        const like = (expr: Expression<string>): Expression<SqlBool> => sql<SqlBool>`${expr} like ${pattern}`;
        return eb.or([
          like(folded('u.given_name')),
          like(folded('u.family_name')),
          like(sql<string>`lower(translate(u.given_name || ' ' || u.family_name, ${FROM}, ${TO}))`),
          like(folded('e.name')),
          like(folded('e.city')),
          like(sql<string>`lower(e.uai)`),
        ]);
      }),
    )
    .orderBy('e.name')
    .orderBy('u.family_name')
    .limit(5000)
    .execute();

  const result = departments.map((dep) => {
    const establishments = new Map<string, DirectoryDepartment['establishments'][number]>();
    for (const r of rows.filter((row) => row.department_code === dep.code)) {
      const entry = establishments.get(r.uai) ?? { uai: r.uai, name: r.establishment, city: r.city, referents: [] };
      const split = r.time_split ? ((typeof r.time_split === 'string' ? JSON.parse(r.time_split) : r.time_split) as Record<string, number>) : null;
      entry.referents.push({ id: r.id, name: `${r.given_name} ${r.family_name}`, email: r.email, missions: split ? heldMissions(split).filter((k) => MISSION_KEYS.includes(k)) : null });
      establishments.set(r.uai, entry);
    }
    return {
      code: dep.code,
      name: dep.name,
      coordinators: coordinators.filter((c) => c.department_code === dep.code).map((c) => ({ id: c.id, name: `${c.given_name} ${c.family_name}`, email: c.email })),
      establishments: [...establishments.values()],
    };
  });
  // Without an académie to frame it, only départements with someone to show are listed.
  return options.academyCode || options.departmentCode ? result : result.filter((d) => d.coordinators.length || d.establishments.length);
}
