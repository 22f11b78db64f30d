import { z } from 'zod';

/** Settings of the training plugin, read from PLUGIN_TRAINING_* environment variables. */
export const trainingSettings = z.object({
  /** Packs whose modules make the default path, in order (PLUGIN_TRAINING_DEFAULT_PACKS). */
  defaultPacks: z
    .string()
    .default('rupn-mission,rgpd,gar,pix,ent-admin')
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean)),
  /** Who issues the Open Badges (PLUGIN_TRAINING_ISSUER_NAME, …_ISSUER_URL, …_ISSUER_EMAIL). */
  issuerName: z.string().min(1).default('Maillon, réseau des référents numériques'),
  issuerUrl: z.url({ protocol: /^https?$/ }).optional(),
  issuerEmail: z.email().optional(),
  /** How long the DANE follow-up figures of a path are reused, in seconds (…_FOLLOW_CACHE_SECONDS; 0: always fresh). */
  followCacheSeconds: z.coerce.number().int().min(0).max(3600).default(30),
});

export type TrainingSettings = z.output<typeof trainingSettings>;
