/**
 * Europe/Paris wall-clock times ↔ instants. Forms speak local time (« 2026-03-29T02:30 »);
 * the database stores instants. DST: a time skipped in spring (02:00–03:00 on the last Sunday
 * of March) does not exist and is refused; an ambiguous one in autumn takes the first (summer) offset.
 */
import { frenchDate } from '../../server/web/viewHelpers.js';

export const TIME_ZONE = 'Europe/Paris';

const partsFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The Paris wall clock at an instant. */
export function parisParts(date: Date): WallClock {
  const p = Object.fromEntries(partsFormat.formatToParts(date).map((x) => [x.type, x.value]));
  return { year: Number(p.year), month: Number(p.month), day: Number(p.day), hour: Number(p.hour), minute: Number(p.minute), second: Number(p.second) };
}

const asUtc = (w: WallClock) => Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);

/** Offset of Paris from UTC at an instant, in milliseconds (3 600 000 in winter, 7 200 000 in summer). */
export function parisOffset(date: Date): number {
  return asUtc(parisParts(date)) - Math.floor(date.getTime() / 1000) * 1000;
}

/** The instant of a Paris wall-clock time, or null when that time does not exist (spring gap). */
export function fromParis(w: WallClock): Date | null {
  const naive = asUtc(w);
  // Try the summer offset first, then the winter one: the first that reads back the same wall clock wins.
  for (const offset of [7_200_000, 3_600_000]) {
    const candidate = new Date(naive - offset);
    if (asUtc(parisParts(candidate)) === naive) return candidate;
  }
  return null;
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

export type ParsedLocal = { ok: true; date: Date } | { ok: false; reason: 'format' | 'gap' };

/** Parses a `datetime-local` value as Paris time. */
export function parseParisLocal(value: string): ParsedLocal {
  const m = LOCAL.exec(value.trim());
  if (!m) return { ok: false, reason: 'format' };
  const w = { year: +m[1]!, month: +m[2]!, day: +m[3]!, hour: +m[4]!, minute: +m[5]!, second: +(m[6] ?? 0) };
  if (w.month < 1 || w.month > 12 || w.day < 1 || w.day > 31 || w.hour > 23 || w.minute > 59 || w.second > 59) return { ok: false, reason: 'format' };
  // 31 February and the like roll over: refuse them.
  const check = new Date(Date.UTC(w.year, w.month - 1, w.day));
  if (check.getUTCDate() !== w.day) return { ok: false, reason: 'format' };
  const date = fromParis(w);
  return date ? { ok: true, date } : { ok: false, reason: 'gap' };
}

const pad = (n: number, size = 2) => String(n).padStart(size, '0');

/** The `datetime-local` value of an instant, in Paris time. */
export function toParisLocal(date: Date | null | undefined): string {
  if (!date) return '';
  const w = parisParts(date);
  return `${w.year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}`;
}

/** iCalendar local form `20261203T140000` of an instant, in Paris time. */
export function toIcalLocal(date: Date): string {
  const w = parisParts(date);
  return `${w.year}${pad(w.month)}${pad(w.day)}T${pad(w.hour)}${pad(w.minute)}${pad(w.second)}`;
}

/** iCalendar UTC form `20261203T130000Z`. */
export function toIcalUtc(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** First instant of a Paris month and of the next one. */
export function parisMonthBounds(year: number, month: number): { start: Date; end: Date } {
  const next = month === 12 ? { year: year + 1, month: 1 } : { year, month: month + 1 };
  return {
    start: fromParis({ year, month, day: 1, hour: 0, minute: 0, second: 0 })!,
    end: fromParis({ ...next, day: 1, hour: 0, minute: 0, second: 0 })!,
  };
}

/** `YYYY-MM-DD` of the Paris day of an instant. */
export function parisDayKey(date: Date): string {
  const w = parisParts(date);
  return `${w.year}-${pad(w.month)}-${pad(w.day)}`;
}

const timeFormat = new Intl.DateTimeFormat('fr-FR', { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit' });
const longDayFormat = new Intl.DateTimeFormat('fr-FR', { timeZone: TIME_ZONE, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });

/** « jeudi 3 décembre 2026, 14:00 – 15:30 » (or over two days when it spans them). */
export function formatRange(start: Date, end: Date): string {
  if (parisDayKey(start) === parisDayKey(end)) return `${frenchDate(longDayFormat, start)}, ${timeFormat.format(start)} – ${timeFormat.format(end)}`;
  return `du ${frenchDate(longDayFormat, start)}, ${timeFormat.format(start)} au ${frenchDate(longDayFormat, end)}, ${timeFormat.format(end)}`;
}

export function formatTime(date: Date): string {
  return timeFormat.format(date);
}
