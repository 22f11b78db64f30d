import { sql } from 'kysely';
import type { GuardedRouter } from '../../server/plugins/router.js';
import { stringParam } from '../../server/web/validate.js';
import { mainRoleLabel, type Ctx } from './access.js';

const SUGGESTIONS = 8;

/**
 * People to mention, for the editor's suggestions after « @ »: active accounts whose handle
 * (the part of the address before @), first or last name starts with what was typed.
 */
export function mentionRoutes(router: GuardedRouter, ctx: Ctx): void {
  router.get('/mentions', 'authenticated', async (req, res) => {
    const typed = stringParam(req.query.q, 60).trim().toLowerCase().replace(/^@/, '');
    if (!typed) return void res.json({ people: [] });
    const prefix = `${typed.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await ctx.db
      .selectFrom('users as u')
      .leftJoin('departments as d', 'd.code', 'u.department_code')
      .select([
        sql<string>`lower(split_part(u.email, '@', 1))`.as('handle'),
        'u.given_name', 'u.family_name', 'd.name as department',
        sql<string[]>`coalesce((select array_agg(r.role) from user_roles r where r.user_id = u.id), '{}')`.as('roles'),
      ])
      .where('u.status', '=', 'active')
      .where((eb) => eb.or([
        eb(sql`lower(split_part(u.email, '@', 1))`, 'like', prefix),
        eb(sql`lower(u.given_name)`, 'like', prefix),
        eb(sql`lower(u.family_name)`, 'like', prefix),
      ]))
      .orderBy(sql`lower(split_part(u.email, '@', 1))`)
      .limit(SUGGESTIONS)
      .execute();
    res.json({
      people: rows.map((r) => ({ handle: r.handle, name: `${r.given_name} ${r.family_name}`, role: mainRoleLabel(r.roles), department: r.department })),
    });
  });
}
