import { z } from 'zod';

export const eventsSettings = z.object({
  /** Minutes before the start from which registered people see the visio link (PLUGIN_EVENTS_VISIO_LEAD_MINUTES). */
  visioLeadMinutes: z.coerce.number().int().min(0).max(24 * 60).default(15),
  /** How often reminders are looked for (PLUGIN_EVENTS_REMINDER_CRON), Europe/Paris. */
  reminderCron: z.string().default('*/5 * * * *'),
});
export type EventsSettings = z.output<typeof eventsSettings>;
