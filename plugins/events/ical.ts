import type { MailAttachment } from '../../server/db/schema.js';
import type { PluginContext } from '../../server/plugins/context.js';
import type { EventRow } from './events.js';
import { TIME_ZONE, toIcalLocal, toIcalUtc } from './time.js';

/**
 * iCalendar (RFC 5545) for one event or a personal feed. Times are given in Europe/Paris with
 * its VTIMEZONE; the UID never changes and SEQUENCE follows each move or cancellation, so that
 * calendar applications update the entry instead of adding a second one.
 */

// The rules in force since 1996: last Sunday of March 02:00 → 03:00, last Sunday of October 03:00 → 02:00.
const VTIMEZONE = [
  'BEGIN:VTIMEZONE',
  `TZID:${TIME_ZONE}`,
  'X-LIC-LOCATION:Europe/Paris',
  'BEGIN:DAYLIGHT',
  'TZOFFSETFROM:+0100',
  'TZOFFSETTO:+0200',
  'TZNAME:CEST',
  'DTSTART:19700329T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
  'END:DAYLIGHT',
  'BEGIN:STANDARD',
  'TZOFFSETFROM:+0200',
  'TZOFFSETTO:+0100',
  'TZNAME:CET',
  'DTSTART:19701025T030000',
  'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
  'END:STANDARD',
  'END:VTIMEZONE',
];

export function escapeText(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n');
}

/** Folds a content line at 75 octets without cutting a UTF-8 character. */
export function foldLine(line: string): string {
  const bytes = Buffer.from(line, 'utf8');
  if (bytes.length <= 75) return line;
  const parts: string[] = [];
  let current = '';
  let size = 0;
  let limit = 75;
  for (const ch of line) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (size + n > limit) {
      parts.push(current);
      current = '';
      size = 0;
      limit = 74; // continuation lines start with a space
    }
    current += ch;
    size += n;
  }
  parts.push(current);
  return parts.join('\r\n ');
}

export interface IcalOptions {
  baseUrl: string;
  /** Shown in the description: the visio link only goes to registered people. */
  includeVisio: boolean;
  /** Plain-text description (Markdown rendered to text by the caller). */
  describe(event: EventRow): string;
}

export function uidOf(event: { id: number }, baseUrl: string): string {
  const host = (() => {
    try {
      return new URL(baseUrl).hostname;
    } catch {
      return 'maillon';
    }
  })();
  return `event-${event.id}@${host}`;
}

function vevent(event: EventRow, options: IcalOptions, now: Date): string[] {
  const url = `${options.baseUrl}/events/${event.id}`;
  const location = [event.place, options.includeVisio && event.visio_url ? event.visio_url : ''].filter(Boolean).join(' — ');
  const description = [options.describe(event), url].filter(Boolean).join('\n\n');
  return [
    'BEGIN:VEVENT',
    `UID:${uidOf(event, options.baseUrl)}`,
    `DTSTAMP:${toIcalUtc(now)}`,
    `LAST-MODIFIED:${toIcalUtc(event.updated_at)}`,
    `SEQUENCE:${event.sequence}`,
    `DTSTART;TZID=${TIME_ZONE}:${toIcalLocal(event.starts_at)}`,
    `DTEND;TZID=${TIME_ZONE}:${toIcalLocal(event.ends_at)}`,
    `SUMMARY:${escapeText(event.title)}`,
    `DESCRIPTION:${escapeText(description)}`,
    ...(location ? [`LOCATION:${escapeText(location)}`] : []),
    `URL:${url}`,
    `STATUS:${event.status === 'cancelled' ? 'CANCELLED' : 'CONFIRMED'}`,
    'END:VEVENT',
  ];
}

export function calendar(events: EventRow[], options: IcalOptions & { name: string }, now = new Date()): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Maillon//Evenements//FR',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${escapeText(options.name)}`,
    `X-WR-TIMEZONE:${TIME_ZONE}`,
    ...VTIMEZONE,
    ...events.flatMap((e) => vevent(e, options, now)),
    'END:VCALENDAR',
  ];
  return lines.map(foldLine).join('\r\n') + '\r\n';
}

/** What a calendar says of an event: its Markdown presentation as plain text, 4,000 characters at most. */
export function calendarDescription(toText: (markdown: string) => string): (event: EventRow) => string {
  return (event) => toText(event.description).slice(0, 4000);
}

/** One event's .ics, as its page offers it and its confirmation mail carries it (no visio link). */
export function eventCalendar(event: EventRow, baseUrl: string, toText: (markdown: string) => string, now = new Date()): string {
  return calendar([event], { baseUrl, includeVisio: false, describe: calendarDescription(toText), name: event.title }, now);
}

export const eventCalendarFilename = (event: { id: number }) => `evenement-${event.id}.ics`;

/** The event's .ics as a mail attachment: a seat's confirmation, and each change told to those who hold one. */
export function eventCalendarAttachment(ctx: Pick<PluginContext, 'baseUrl' | 'markdown'>, event: EventRow): MailAttachment {
  const content = eventCalendar(event, ctx.baseUrl, (markdown) => ctx.markdown.toText(markdown));
  return { filename: eventCalendarFilename(event), contentType: 'text/calendar; method=PUBLISH', content };
}
