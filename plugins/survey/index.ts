import { definePlugin } from '../../server/plugins/manifest.js';
import './schema.js';
import { builderRoutes, openSurveys } from './builderRoutes.js';
import { answerRoutes } from './answerRoutes.js';
import { resultRoutes } from './resultRoutes.js';
import { remindAllOpen, REMINDER_KIND } from './reminders.js';
import { stateOf, surveysFor } from './surveys.js';
import { seedDemoSurveys } from './demo.js';
import { surveySettings } from './settings.js';

/**
 * The yearly survey (« bilan annuel »): the DANE builds a questionnaire with conditional
 * questions, opens it to the RUPNs of an académie for a period and reminds those who have not
 * answered; each RUPN answers once (editable until closing), anonymously if so decided; the
 * report gives the response rate, a chart and a sentence per question, the breakdown per
 * département, the free texts and a CSV export. Mounted at /bilan. See docs/survey.md.
 */
export default definePlugin({
  name: 'bilan',
  version: '1.0.0',
  title: 'Bilan annuel',
  settings: surveySettings,
  description: 'Questionnaire annuel de la DANE aux RUPN : construction, réponses (anonymes au besoin), relances et rapport.',
  capabilities: [
    { name: 'bilan:manage', description: 'Construire les bilans annuels, relancer, lire les résultats', roles: ['dane', 'admin'] },
    { name: 'bilan:answer', description: 'Répondre aux bilans annuels de son académie', roles: ['rupn'] },
  ],
  nav: [
    { id: 'answer', label: 'Mes bilans', href: '/bilan', can: 'bilan:answer', order: 30, section: 'Bilan annuel' },
    { id: 'manage', label: 'Résultats et gestion', href: '/bilan/gestion', can: 'bilan:manage', order: 31, section: 'Bilan annuel' },
  ],
  widgets: [
    {
      id: 'to-answer',
      title: 'Bilan annuel',
      can: 'bilan:answer',
      order: 6,
      render: async ({ user, partial }, ctx) => {
        const waiting = (await surveysFor(ctx.db, user)).filter((s) => stateOf(s) === 'open' && !s.answeredOn);
        return waiting.length ? partial('widget', { surveys: waiting }) : null;
      },
    },
  ],
  routes(router, ctx) {
    ctx.notifications.declareKind({ id: REMINDER_KIND, label: 'Relances du bilan annuel', defaultEmail: 'immediate' });
    ctx.jobs.define('bilan:reminders', async () => {
      await remindAllOpen(ctx, () => openSurveys(ctx));
    }, { schedule: { cron: ctx.settings.reminderCron }, concurrency: 1 });
    // The DANE's routes first: /bilan/gestion is not a survey id.
    builderRoutes(router, ctx);
    resultRoutes(router, ctx);
    answerRoutes(router, ctx);
  },
  async start(ctx) {
    await seedDemoSurveys(ctx);
  },
});
