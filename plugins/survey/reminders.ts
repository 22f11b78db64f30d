import { sql } from 'kysely';
import type { PluginContext } from '../../server/plugins/context.js';
import { longDate } from '../../server/web/viewHelpers.js';
import { audienceQuery, type Survey } from './surveys.js';

export const REMINDER_KIND = 'bilan:reminder';

/**
 * Reminds the people of the audience who have not answered, at most once a day each: the
 * participation row's `reminded_on` is set to today by a single UPDATE … RETURNING, so a button
 * pressed twice, or the button and the scheduled job on the same day, never remind anyone twice.
 */
export async function remindNonRespondents(ctx: PluginContext<unknown>, survey: Survey): Promise<number> {
  return ctx.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('survey_participations')
      .columns(['survey_id', 'user_id'])
      .expression(audienceQuery(trx, survey.academyCode).select([sql<number>`${survey.id}::int`.as('survey_id'), 'u.id']))
      .onConflict((oc) => oc.columns(['survey_id', 'user_id']).doNothing())
      .execute();
    const reminded = await trx
      .updateTable('survey_participations')
      .set({ reminded_on: sql<string>`current_date` })
      .where('survey_id', '=', survey.id)
      .where('answered_on', 'is', null)
      .where((eb) => eb.or([eb('reminded_on', 'is', null), eb('reminded_on', '<', sql<string>`current_date`)]))
      .where('user_id', 'in', audienceQuery(trx, survey.academyCode).select('u.id'))
      .returning('user_id')
      .execute();
    if (!reminded.length) return 0;
    const closes = longDate(new Date(survey.closesAt.getTime() - 1000)); // the last day, not the midnight after it
    await ctx.notifications.notify(
      reminded.map((r) => r.user_id),
      {
        kind: REMINDER_KIND,
        title: `Bilan annuel : « ${survey.title} » attend votre réponse`,
        body: `Le bilan « ${survey.title} » est ouvert jusqu'au ${closes}. Quelques minutes suffisent${survey.anonymous ? ' ; vos réponses restent anonymes' : ''}.`,
        url: `/bilan/${survey.id}`,
      },
      { trx },
    );
    return reminded.length;
  });
}

/** The scheduled round: every open survey reminds its non-respondents. */
export async function remindAllOpen(ctx: PluginContext<unknown>, load: () => Promise<Survey[]>): Promise<number> {
  let total = 0;
  for (const survey of await load()) total += await remindNonRespondents(ctx, survey);
  return total;
}
