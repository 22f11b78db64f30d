import { ROLE_LABELS, type Role } from '../auth/roles.js';

const TIME_ZONE = 'Europe/Paris';
const dateFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: TIME_ZONE });
const dateTimeFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeStyle: 'short', timeZone: TIME_ZONE });
const numberFormat = new Intl.NumberFormat('fr-FR');

function toDate(value: Date | string | number | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Helpers every view may call; dates are always shown in Europe/Paris. */
export const viewHelpers = {
  formatDate(value: Date | string | number | null | undefined): string {
    const d = toDate(value);
    return d ? dateFormat.format(d) : '—';
  },
  formatDateTime(value: Date | string | number | null | undefined): string {
    const d = toDate(value);
    return d ? dateTimeFormat.format(d) : '—';
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
  roleLabel(role: Role): string {
    return ROLE_LABELS[role] ?? role;
  },
};

export type ViewHelpers = typeof viewHelpers;
