import { htmlToText, type HtmlToTextOptions } from 'html-to-text';
import type { DB, Tx } from '../../server/db/schema.js';
import type { PluginContext } from '../../server/plugins/context.js';
import { notFound } from '../../server/web/errors.js';
import type { IssueState } from './schema.js';

/** Issues of the LINE: their rows, their slug, and how a body becomes a web page or a mail. */

export const LIST_ID = 'newsletter:line';
export const LIST_LABEL = 'La LINE, lettre de la DANE';

export const ISSUE_STATE_LABELS: Record<IssueState, string> = {
  draft: 'Brouillon',
  scheduled: 'Programmé',
  sending: 'Envoi en cours',
  sent: 'Envoyé',
  paused: 'Envoi interrompu',
};

export interface Issue {
  id: number;
  slug: string;
  title: string;
  summary: string;
  body: string;
  academyCode: string | null;
  state: IssueState;
  scheduledAt: Date | null;
  sendRun: number;
  filledAt: Date | null;
  recipientCount: number;
  lastError: string | null;
  startedAt: Date | null;
  sentAt: Date | null;
  createdAt: Date;
}

const date = (v: Date | string | null) => (v === null ? null : new Date(v));

export async function loadIssue(db: DB | Tx, where: { id: number } | { slug: string }): Promise<Issue | null> {
  let q = db.selectFrom('newsletter_issues').selectAll();
  q = 'id' in where ? q.where('id', '=', where.id) : q.where('slug', '=', where.slug);
  const r = await q.executeTakeFirst();
  if (!r) return null;
  return {
    id: r.id,
    slug: r.slug,
    title: r.title,
    summary: r.summary,
    body: r.body,
    academyCode: r.academy_code,
    state: r.state,
    scheduledAt: date(r.scheduled_at),
    sendRun: r.send_run,
    filledAt: date(r.filled_at),
    recipientCount: r.recipient_count,
    lastError: r.last_error,
    startedAt: date(r.started_at),
    sentAt: date(r.sent_at),
    createdAt: new Date(r.created_at),
  };
}

export async function issueOr404(db: DB, raw: unknown): Promise<Issue> {
  const id = Number(raw);
  const issue = Number.isInteger(id) && id > 0 && id < 2 ** 31 ? await loadIssue(db, { id }) : null;
  if (!issue) throw notFound("Ce numéro de la LINE n'existe pas.");
  return issue;
}

/** `la-line-de-juin`: lower-case ASCII words, for readable archive addresses. */
export function slugify(title: string): string {
  const words = title
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return words || 'numero';
}

export interface IssueInput {
  title: string;
  summary: string;
  body: string;
}

/** A new draft; its slug starts with its id, so two issues with the same title never collide. */
export async function issueCreator(trx: Tx, input: IssueInput & { academyCode: string | null; createdBy: number | null }): Promise<Issue> {
  const { id } = await trx
    .insertInto('newsletter_issues')
    .values({ slug: `brouillon-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`, title: input.title, summary: input.summary, body: input.body, academy_code: input.academyCode, created_by: input.createdBy })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx.updateTable('newsletter_issues').set({ slug: `${id}-${slugify(input.title)}` }).where('id', '=', id).execute();
  return (await loadIssue(trx, { id }))!;
}

/** The headings of the sections (`## …`) of a body, for the table of contents. */
export function sectionsOf(body: string): string[] {
  const sections: string[] = [];
  let fenced = false;
  for (const line of body.split(/\r?\n/)) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const m = !fenced && /^##\s+(.+?)\s*#*\s*$/.exec(line);
    if (m) sections.push(m[1]!.replace(/[*_`[\]]/g, ''));
  }
  return sections;
}

/** Relative links and images (`/files/…`) made absolute: a mail is read outside Maillon. */
export function absoluteLinks(html: string, baseUrl: string): string {
  return html.replace(/\b(src|href)="\/(?!\/)/g, `$1="${baseUrl}/`);
}

export interface RenderedIssue {
  /** Body HTML through the one sanitising renderer. */
  html: string;
  sections: string[];
  webUrl: string;
}

export function renderIssue(ctx: PluginContext<unknown>, issue: Pick<Issue, 'body' | 'slug'>): RenderedIssue {
  return { html: ctx.markdown.render(issue.body), sections: sectionsOf(issue.body), webUrl: `${ctx.baseUrl}/newsletter/numeros/${issue.slug}` };
}

/** The mail of an issue, rendered once for every recipient: HTML body and its plain-text twin. */
export async function issueMail(ctx: PluginContext<unknown>, issue: Issue): Promise<{ subject: string; html: string; text: string }> {
  const html = absoluteLinks(await ctx.views.partial('mail/issue', { issue, ...renderIssue(ctx, issue) }), ctx.baseUrl);
  return { subject: issue.title, html, text: mailText(html, ctx.baseUrl) };
}

const HEADING = { leadingLineBreaks: 2, trailingLineBreaks: 2, uppercase: false };
const TEXT_OPTIONS: HtmlToTextOptions = {
  // Not hard-wrapped: a link stays next to its text; mail clients wrap long lines themselves.
  wordwrap: false,
  formatters: {
    // « [Image : La salle informatique] »: what the image shows, not its address.
    imageAlt(elem, _walk, builder) {
      const alt = (elem.attribs?.alt ?? '').trim();
      builder.addInline(alt ? `[Image : ${alt}]` : '[Image]', { noWordTransform: true });
    },
  },
  selectors: [
    { selector: 'h1', options: HEADING },
    { selector: 'h2', options: HEADING },
    { selector: 'h3', options: HEADING },
    { selector: 'h4', options: HEADING },
    { selector: 'h5', options: HEADING },
    { selector: 'h6', options: HEADING },
    { selector: 'a', options: { linkBrackets: ['(', ')'], hideLinkHrefIfSameAsText: true } },
    { selector: 'img', format: 'imageAlt' },
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
  ],
};

/**
 * The plain-text part, from the same HTML as the mail itself (links already absolute): one
 * block a paragraph, list items on their lines, « texte (https://…) » links, « [Image : alt] ».
 */
export function mailText(html: string, baseUrl: string): string {
  return htmlToText(absoluteLinks(html, baseUrl), TEXT_OPTIONS).replace(/\n{3,}/g, '\n\n').trim();
}

/** Paris wall-clock date and time (`2026-12-01`, `09:30`) to an instant, daylight saving included. */
export function parisTime(day: string, time: string): Date | null {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const t = /^(\d{2}):(\d{2})$/.exec(time);
  if (!d || !t) return null;
  const [y, mo, da, h, mi] = [+d[1]!, +d[2]!, +d[3]!, +t[1]!, +t[2]!];
  if (mo < 1 || mo > 12 || da < 1 || da > 31 || h > 23 || mi > 59) return null;
  const wall = Date.UTC(y, mo - 1, da, h, mi);
  if (new Date(wall).getUTCDate() !== da) return null;
  const offset = (at: number) => {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
        .formatToParts(new Date(at))
        .map((p) => [p.type, p.value]),
    );
    return Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!) - at;
  };
  let at = wall - offset(wall);
  at = wall - offset(at);
  return new Date(at);
}

/** An instant as Paris wall-clock date and time (`2026-12-01`, `09:30`), to fill the schedule fields. */
export function parisWallClock(at: Date): { day: string; time: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return { day: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}
