import { sql } from 'kysely';
import type { PluginContext } from '../../server/plugins/context.js';
import { defaultPeriod, schoolYearOf } from './missions.js';
import './schema.js';

/**
 * Demo content, once, where the core seeded its demo accounts: the demo RUPNs become designated
 * referents of their establishment, and two establishments get this year's lettre de mission
 * (one already acknowledged). Nothing happens on a platform without demo data.
 */
export async function seedDemoMission(ctx: PluginContext<unknown>): Promise<void> {
  const state = await ctx.db.selectFrom('app_state').select('key').where('key', 'in', ['demo:seeded', 'mission:demo']).execute();
  if (!state.some((s) => s.key === 'demo:seeded') || state.some((s) => s.key === 'mission:demo')) return;
  const year = schoolYearOf();
  const period = defaultPeriod(year);
  await ctx.db.transaction().execute(async (trx) => {
    const rupns = await trx
      .selectFrom('user_identities as i')
      .innerJoin('user_roles as r', 'r.user_id', 'i.user_id')
      .innerJoin('user_establishments as ue', (j) => j.onRef('ue.user_id', '=', 'i.user_id').on('ue.is_primary', '=', true))
      .select(['i.subject', 'i.user_id', 'ue.uai'])
      .where('i.provider', '=', 'demo')
      .where('r.role', '=', 'rupn')
      .execute();
    for (const r of rupns) {
      await trx
        .insertInto('mission_designations')
        .values({ user_id: r.user_id, uai: r.uai, started_on: r.subject === 'nouvelle-rupn' ? period.start : `${year - 3}-09-01` })
        .onConflict((oc) => oc.columns(['user_id', 'uai']).where('ended_on', 'is', null).doNothing())
        .execute();
    }
    const letters = [
      { subject: 'rupn', split: { accompagner: 40, conseiller: 15, communiquer: 10, former: 10, outils: 25 }, tools: ['ent', 'tablettes', 'site'], imp: 2500, acknowledged: true },
      { subject: 'rupn-poitiers', split: { accompagner: 50, conseiller: 20, communiquer: 10, former: 20, outils: 0 }, tools: [], imp: 1250, acknowledged: false },
    ];
    for (const l of letters) {
      const who = rupns.find((r) => r.subject === l.subject);
      if (!who) continue;
      const letter = await trx
        .insertInto('mission_letters')
        .values({
          uai: who.uai,
          school_year: year,
          period_start: period.start,
          period_end: period.end,
          notes: 'Point d’étape avec la direction en janvier ; la commission numérique se réunit une fois par trimestre.',
        })
        .onConflict((oc) => oc.columns(['uai', 'school_year']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!letter) continue;
      await trx
        .insertInto('mission_letter_referents')
        .values({ letter_id: letter.id, user_id: who.user_id, time_split: JSON.stringify(l.split), tool_tasks: JSON.stringify(l.tools), imp_amount: l.imp, acknowledged_at: l.acknowledged ? sql<Date>`now()` : null })
        .execute();
    }
    await trx.insertInto('app_state').values({ key: 'mission:demo', value: JSON.stringify({ at: new Date().toISOString() }) }).onConflict((oc) => oc.column('key').doNothing()).execute();
  });
}
