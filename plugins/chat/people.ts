import { sql } from 'kysely';
import type { PluginContext } from '../../server/plugins/context.js';

export interface PersonFound {
  id: number;
  name: string;
  department: string | null;
  establishment: string | null;
}

export const PEOPLE_PAGE = 20;

/**
 * People one may write to, found as the admin's search finds them (name in either order or
 * e-mail, accents and case forgiven): the active accounts, the searcher left out. Each comes
 * with what tells namesakes apart (the département, the main establishment).
 */
export async function findPeople(ctx: Pick<PluginContext, 'db' | 'search'>, typed: string, searcherId: number): Promise<PersonFound[]> {
  const q = typed.trim();
  if (!q) return [];
  const rows = await ctx.db
    .selectFrom('users as u')
    .leftJoin('departments as d', 'd.code', 'u.department_code')
    .select([
      'u.id', 'u.given_name', 'u.family_name', 'd.name as department',
      sql<string | null>`(select e.name from user_establishments ue join establishments e on e.uai = ue.uai where ue.user_id = u.id order by ue.is_primary desc, e.name limit 1)`.as('establishment'),
    ])
    .where('u.status', '=', 'active')
    .where('u.id', '<>', searcherId)
    .where(ctx.search.personMatches(q))
    .orderBy('u.family_name')
    .orderBy('u.given_name')
    .orderBy('u.id')
    .limit(PEOPLE_PAGE + 1)
    .execute();
  return rows.map((r) => ({ id: r.id, name: `${r.given_name} ${r.family_name}`.trim(), department: r.department, establishment: r.establishment }));
}
