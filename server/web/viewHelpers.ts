import { ROLE_LABELS, type Role } from '../auth/roles.js';

const TIME_ZONE = 'Europe/Paris';
const dateFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: TIME_ZONE });
const dateTimeFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeStyle: 'short', timeZone: TIME_ZONE });
const numberFormat = new Intl.NumberFormat('fr-FR');

/**
 * Formats with `format`, writing the first of a month as French does, as an ordinal: « 1er
 * septembre 2026 » (Intl writes « 1 septembre »). Every long date of the product goes through here.
 */
export function frenchDate(format: Intl.DateTimeFormat, date: Date): string {
  const text = format.format(date);
  // Splitting into parts costs three times a plain format: only a lone « 1 » can be a first.
  if (!/(?:^|\D)1\s/.test(text)) return text;
  return format
    .formatToParts(date)
    .map((part) => (part.type === 'day' && Number(part.value) === 1 ? '1er' : part.value))
    .join('');
}

const longDates = new Map<string, Intl.DateTimeFormat>();
/** « 1er septembre 2026 » in the given time zone (Paris unless told: UTC for calendar days stored as dates). */
export function longDate(date: Date, timeZone = TIME_ZONE): string {
  let format = longDates.get(timeZone);
  if (!format) longDates.set(timeZone, (format = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone })));
  return frenchDate(format, date);
}

/**
 * « de Lucas Bernard », « d'Élodie Moreau », « d'Hélène Petit », « d'Yves Roux » but « de Yann
 * Le Gall »: French elides « de » before a vowel sound. An initial h is taken as mute (Henri,
 * Hugo, Hélène); a name with an aspirated h (« de Hamid ») is the rare miss.
 */
export function de(name: string): string {
  const elided = /^(?:[aeiouœæàâäéèêëîïôöùûü]|h[aeiouyœæàâäéèêëîïôöùûü]|y[^aeiouœæàâäéèêëîïôöùûü])/i.test(name.normalize('NFC'));
  return elided ? `d'${name}` : `de ${name}`;
}

/** The académies whose name takes an article: « académie de la Guadeloupe ». */
const ACADEMY_ARTICLES: Record<string, string> = { Guadeloupe: 'la Guadeloupe', Guyane: 'la Guyane', Martinique: 'la Martinique' };

/**
 * « académie de Poitiers », « académie d'Aix-Marseille », « académie de la Martinique », from the
 * académie's name; « Académie de Poitiers » at the start of a label.
 */
export function academyOf(name: string, { capitalized = false } = {}): string {
  return `${capitalized ? 'Académie' : 'académie'} ${de(ACADEMY_ARTICLES[name] ?? name)}`;
}

function toDate(value: Date | string | number | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Helpers every view may call; dates are always shown in Europe/Paris. */
export const viewHelpers = {
  formatDate(value: Date | string | number | null | undefined): string {
    const d = toDate(value);
    return d ? frenchDate(dateFormat, d) : '—';
  },
  formatDateTime(value: Date | string | number | null | undefined): string {
    const d = toDate(value);
    return d ? frenchDate(dateTimeFormat, d) : '—';
  },
  isoDate(value: Date | string | number | null | undefined): string {
    return toDate(value)?.toISOString() ?? '';
  },
  formatNumber(value: number): string {
    return numberFormat.format(value);
  },
  plural(count: number, singular: string, plural: string): string {
    return `${numberFormat.format(count)} ${count > 1 ? plural : singular}`;
  },
  de,
  academyOf,
  roleLabel(role: Role): string {
    return ROLE_LABELS[role] ?? role;
  },
};

export type ViewHelpers = typeof viewHelpers;
