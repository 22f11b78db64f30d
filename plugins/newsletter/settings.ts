import { z } from 'zod';

/** Settings of the newsletter plugin, read from PLUGIN_NEWSLETTER_* environment variables. */
export const newsletterSettings = z.object({
  /** Messages per second of one sending job (PLUGIN_NEWSLETTER_RATE_PER_SECOND; 0: as fast as the SMTP server takes them). */
  ratePerSecond: z.coerce.number().min(0).max(10_000).default(50),
  /** Attempts per recipient when the server answers a temporary refusal (4xx) (…_MAX_ATTEMPTS). */
  maxAttempts: z.coerce.number().int().min(1).max(20).default(3),
  /** Wait before the next attempt for a recipient, doubled each time (…_RETRY_SECONDS). */
  retrySeconds: z.coerce.number().min(0).max(86_400).default(60),
  /** Recipients claimed per batch (…_BATCH_SIZE). */
  batchSize: z.coerce.number().int().min(1).max(5000).default(200),
  /** Messages on their way to the SMTP server at once (…_PARALLEL). */
  parallel: z.coerce.number().int().min(1).max(64).default(16),
});

export type NewsletterSettings = z.output<typeof newsletterSettings>;
