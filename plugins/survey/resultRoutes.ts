import type { GuardedRouter } from '../../server/plugins/router.js';
import type { PluginContext } from '../../server/plugins/context.js';
import type { SurveySettings } from './settings.js';
import { barChart, buildReport, cachedReport, csvLines, MIN_GROUP } from './results.js';
import { stateOf, STATE_LABELS, surveyOr404 } from './surveys.js';
import { KIND_LABELS } from './questions.js';
import { lastDayOf } from './dates.js';

/** The report of a survey for the DANE, and its CSV export. */

type Ctx = PluginContext<SurveySettings>;

export function resultRoutes(router: GuardedRouter, ctx: Ctx): void {
  router.get('/gestion/:id/resultats', 'bilan:manage', async (req, res) => {
    const survey = await surveyOr404(ctx.db, req.params.id);
    // The body of the report is the same for every reader: computed and rendered once, then reused.
    const { html, computedAt } = await cachedReport(ctx.db, survey.id, ctx.settings.reportCacheSeconds, async () => {
      const report = await buildReport(ctx.db, survey);
      const html = await ctx.views.partial('_report', {
        survey,
        KIND_LABELS,
        report,
        questions: report.questions.map((r) => ({ ...r, chart: r.bars.length ? barChart(r.bars) : null })),
        minGroup: MIN_GROUP,
      });
      return { html, computedAt: report.computedAt };
    });
    // Who answered is shown only when the survey is not anonymous.
    const respondents = survey.anonymous
      ? []
      : await ctx.db
          .selectFrom('survey_responses as r')
          .innerJoin('users as u', 'u.id', 'r.user_id')
          .leftJoin('departments as d', 'd.code', 'r.department_code')
          .select(['u.given_name', 'u.family_name', 'd.name as department', 'r.submitted_on'])
          .where('r.survey_id', '=', survey.id)
          .orderBy('u.family_name')
          .orderBy('u.given_name')
          .limit(2000)
          .execute();
    await ctx.views.page(req, res, 'results', {
      title: `Résultats : ${survey.title}`,
      survey,
      state: stateOf(survey),
      STATE_LABELS,
      reportHtml: html,
      computedAt,
      respondents,
      lastDayOf,
    });
  });

  router.get('/gestion/:id/resultats.csv', 'bilan:manage', async (req, res) => {
    const survey = await surveyOr404(ctx.db, req.params.id);
    await ctx.audit({ action: 'bilan.export', req, targetType: 'survey', targetId: survey.id });
    res.set('Content-Type', 'text/csv; charset=utf-8');
    res.attachment(`bilan-${survey.id}.csv`);
    for await (const chunk of csvLines(ctx.db, survey)) res.write(chunk);
    res.end();
  });
}
