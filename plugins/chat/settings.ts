import { z } from 'zod';

/** PLUGIN_CHAT_* environment variables. */
export const chatSettings = z.object({
  /** Messages per page of history. */
  pageSize: z.coerce.number().int().min(5).max(200).default(50),
  /** Longest message, in characters. */
  maxMessageChars: z.coerce.number().int().min(100).max(20_000).default(4000),
  /** Messages are deleted this many days after they were sent (RGPD); 0 keeps them. */
  retentionDays: z.coerce.number().int().min(0).max(3650).default(365),
  /** Per person: a burst of this many messages, refilled at ratePerSecond. */
  rateBurst: z.coerce.number().int().min(1).max(1000).default(10),
  ratePerSecond: z.coerce.number().min(0.1).max(1000).default(2),
  /**
   * Invitations one person may send per hour (a burst of as many, refilled over the hour): each
   * one notifies someone, and each attempt tells whether an address has an account.
   */
  invitationsPerHour: z.coerce.number().int().min(1).max(1000).default(30),
  /** When the retention purge runs (cron, Europe/Paris). */
  purgeCron: z.string().default('30 3 * * *'),
});
export type ChatSettings = z.output<typeof chatSettings>;
