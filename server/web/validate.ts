import { z } from 'zod';
import { badRequest, notFound } from './errors.js';

// Validation messages read in French everywhere, including plugins' schemas.
z.config(z.locales.fr());

/**
 * Parses request input with a zod schema. On failure the user gets a 400 naming the
 * field (with its French label when given) and the reason; nothing is written.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, labels: Record<string, string> = {}): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const key = issue.path.join('.') || '_';
    fields[key] ??= issue.message;
  }
  const [firstKey, firstMessage] = Object.entries(fields)[0]!;
  const label = labels[firstKey] ?? labels[firstKey.split('.')[0]!] ?? firstKey;
  const message = firstKey === '_' ? firstMessage : `« ${label} » : ${firstMessage}`;
  throw badRequest(message, firstKey === '_' ? undefined : firstKey, fields);
}

/** Query-string helpers that never throw on junk: a bad page number is page 1. */
export function pageParam(value: unknown, max = 10_000): number {
  const n = Number(Array.isArray(value) ? value[0] : value);
  return Number.isInteger(n) && n >= 1 && n <= max ? n : 1;
}

export function stringParam(value: unknown, maxLength = 200): string {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'string' ? v.slice(0, maxLength) : '';
}

/** A numeric id from the path; anything else is a page that does not exist. */
export function idParam(raw: unknown): number {
  const id = Number(raw);
  if (!Number.isInteger(id) || id < 1 || id > Number.MAX_SAFE_INTEGER) throw notFound();
  return id;
}
