import { z } from 'zod';

/** Settings of the bilan plugin, read from PLUGIN_BILAN_* environment variables. */
export const surveySettings = z.object({
  /** How long a report's figures are reused, in seconds (PLUGIN_BILAN_REPORT_CACHE_SECONDS; 0: always fresh). A response saved by this process refreshes them at once. */
  reportCacheSeconds: z.coerce.number().int().min(0).max(3600).default(30),
  /** When the non-respondents of open surveys are reminded (PLUGIN_BILAN_REMINDER_CRON, Europe/Paris). */
  reminderCron: z.string().min(9).default('0 9 * * 1'),
});

export type SurveySettings = z.output<typeof surveySettings>;
