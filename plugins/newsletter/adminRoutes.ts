import { z } from 'zod';
import { sql } from 'kysely';
import type { GuardedRouter } from '../../server/plugins/router.js';
import type { PluginContext } from '../../server/plugins/context.js';
import type { Request, Response } from 'express';
import { HttpError, conflict, unprocessable } from '../../server/web/errors.js';
import { pageParam, parseInput, stringParam } from '../../server/web/validate.js';
import { ISSUE_STATE_LABELS, LIST_ID, issueCreator, issueMail, issueOr404, parisTime, parisWallClock, renderIssue, type Issue } from './issues.js';
import { audienceCount } from './subscribers.js';
import { DELIVERY_STATE_LABELS, SEND_JOB, deliveryCounts, doneOf, type SendPayload } from './sending.js';
import type { DeliveryState } from './schema.js';
import type { NewsletterSettings } from './settings.js';

/** The DANE's side: write, preview, test, send or schedule an issue, and follow its sending. */

type Ctx = PluginContext<NewsletterSettings>;
const BASE = '/newsletter/redaction';

const issueFields = z.object({
  title: z.string().trim().min(3).max(200),
  summary: z.string().trim().max(500).default(''),
  body: z.string().max(200_000).default(''),
});
const issueLabels = { title: 'Titre', summary: 'Chapeau', body: 'Contenu' };


const editable = (issue: Issue) => issue.state === 'draft' || issue.state === 'scheduled';

/** Programmed for later and not started: the page shows the schedule, not an empty sending panel. */
const waitingForItsTime = (issue: Issue) => issue.state === 'scheduled' && issue.scheduledAt !== null && issue.scheduledAt.getTime() > Date.now();

/** Whether a post carries the editor's fields: the editor is one form whose buttons all save what is on screen first. */
const carriesContent = (body: unknown): boolean => typeof body === 'object' && body !== null && ('title' in body || 'body' in body);

/** Saves an issue's title, summary and body; returns the issue as saved. */
async function issueSaver(ctx: Ctx, issue: Issue, body: unknown): Promise<Issue> {
  if (!editable(issue)) throw conflict("Ce numéro est déjà parti : il ne peut plus être modifié.");
  const input = parseInput(issueFields, body, issueLabels);
  await ctx.db
    .updateTable('newsletter_issues')
    .set({ title: input.title, summary: input.summary, body: input.body, updated_at: sql`now()` })
    .where('id', '=', issue.id)
    .execute();
  return issueOr404(ctx.db, issue.id);
}

/** « M'envoyer un essai », « Envoyer maintenant », « Programmer »: what is on screen is saved, then acted on. */
const savedBeforeActing = async (ctx: Ctx, issue: Issue, body: unknown): Promise<Issue> =>
  carriesContent(body) ? issueSaver(ctx, issue, body) : issue;

/** Starts a new run of the sending job: an older job of the issue finds a different run and does nothing. */
async function startRun(ctx: Ctx, issue: Issue, state: 'scheduled' | 'sending', runAt: Date | null): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('newsletter_issues')
      .set({ state, scheduled_at: runAt, send_run: sql`send_run + 1`, last_error: null, updated_at: sql`now()` })
      .where('id', '=', issue.id)
      .where('send_run', '=', issue.sendRun)
      .returning('send_run')
      .executeTakeFirst();
    if (!updated) throw conflict("Ce numéro vient d'être modifié par quelqu'un d'autre : rechargez la page.");
    await ctx.jobs.enqueue<SendPayload>(SEND_JOB, { issueId: issue.id, run: updated.send_run }, { runAt: runAt ?? undefined, uniqueKey: `newsletter:send:${issue.id}:${updated.send_run}`, trx });
  });
  ctx.jobs.nudge();
}

/** What an editor form was refused for, to show the editor again with what was typed. */
interface Refusal {
  status: number;
  message: string;
  /** The field to correct (its id in the editor), when one is named. */
  field: string | null;
  /** Whether the typed content was saved before the action was refused (a send without a valid date). */
  saved: boolean;
  typed: { title: string; summary: string; body: string; day: string; time: string };
}

/** The issue's page: its state, sending panel and, while it may change, the editor. */
async function editorPage(ctx: Ctx, req: Request, res: Response, issue: Issue, refusal?: Refusal): Promise<void> {
  const counts = await deliveryCounts(ctx.db, issue.id);
  const problems = await ctx.db
    .selectFrom('newsletter_deliveries')
    .select(['email', 'state', 'attempts', 'last_error'])
    .where('issue_id', '=', issue.id)
    .where('state', 'in', ['failed', 'bounced'])
    .orderBy('id')
    .limit(50)
    .execute();
  const schedule = waitingForItsTime(issue) ? parisWallClock(issue.scheduledAt!) : null;
  await ctx.views.page(
    req,
    res,
    'admin-issue',
    {
      title: issue.title,
      issue,
      editable: editable(issue),
      // « Envoyer maintenant » queues the issue without a date: its panel shows at once and follows the job.
      showProgress: issue.state !== 'draft' && !waitingForItsTime(issue),
      schedule,
      refusal: refusal ?? null,
      // What the fields show: what was typed when a form was refused, else what is saved.
      fields: refusal?.typed ?? { title: issue.title, summary: issue.summary, body: issue.body, day: schedule?.day ?? '', time: schedule?.time ?? '' },
      counts,
      done: doneOf(counts),
      problems,
      stateLabels: ISSUE_STATE_LABELS,
      deliveryLabels: DELIVERY_STATE_LABELS,
      audience: issue.filledAt ? issue.recipientCount : await audienceCount(ctx.db, issue.academyCode),
      smtp: ctx.mail.mode === 'smtp',
      rate: ctx.settings.ratePerSecond,
      base: BASE,
    },
    refusal?.status ?? 200,
  );
}

/** Fields of the editor a refusal may point at; any other (or none) leaves the summary alone. */
const EDITOR_FIELDS = new Set(['title', 'summary', 'body', 'day', 'time']);

/**
 * The editor's buttons all post the one editor form. When what they post is refused (a title too
 * short, an empty issue sent, a date in the past), the editor comes back with the reason and with
 * what was typed, instead of an error page that would leave the text only in the browser's history.
 */
function editorAction(ctx: Ctx, action: (req: Request, res: Response, progress: { saved: boolean }) => Promise<void>) {
  return async (req: Request, res: Response) => {
    const progress = { saved: false };
    try {
      await action(req, res, progress);
    } catch (error) {
      if (!(error instanceof HttpError) || (error.status !== 400 && error.status !== 422)) throw error;
      const issue = await issueOr404(ctx.db, req.params.id);
      if (!editable(issue)) throw error;
      const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
      const typed = (name: string, max: number, fallback: string) => (carriesContent(body) ? stringParam(body[name], max) : fallback);
      const field = EDITOR_FIELDS.has(error.details.field ?? '') ? error.details.field! : null;
      await editorPage(ctx, req, res, issue, {
        status: error.status,
        message: error.publicMessage,
        field,
        saved: progress.saved,
        typed: {
          title: typed('title', 1000, issue.title),
          summary: typed('summary', 2000, issue.summary),
          body: typed('body', 200_000, issue.body),
          day: stringParam(body.day, 10),
          time: stringParam(body.time, 5),
        },
      });
    }
  };
}

export function adminRoutes(router: GuardedRouter, ctx: Ctx): void {
  router.get('/redaction', 'newsletter:edit', async (req, res) => {
    const issues = await ctx.db
      .selectFrom('newsletter_issues')
      .select(['id', 'title', 'state', 'scheduled_at', 'sent_at', 'recipient_count', 'updated_at'])
      .orderBy('id', 'desc')
      .limit(200)
      .execute();
    const academyCode = req.user!.academy?.code ?? null;
    await ctx.views.page(req, res, 'admin-list', {
      title: 'Rédaction de la LINE',
      issues,
      stateLabels: ISSUE_STATE_LABELS,
      audience: await audienceCount(ctx.db, academyCode),
      academyName: req.user!.academy?.name ?? null,
    });
  });

  router.post('/redaction', 'newsletter:edit', async (req, res) => {
    const input = parseInput(issueFields, req.body, issueLabels);
    const issue = await ctx.db.transaction().execute((trx) => issueCreator(trx, { ...input, academyCode: req.user!.academy?.code ?? null, createdBy: req.user!.id }));
    await ctx.audit({ action: 'newsletter.issue.create', req, targetType: 'newsletter_issue', targetId: issue.id, details: { title: issue.title } });
    ctx.flash(req, 'success', `Numéro « ${issue.title} » créé.`);
    res.redirect(303, `${BASE}/${issue.id}`);
  });

  router.get('/redaction/:id', 'newsletter:edit', async (req, res) => {
    await editorPage(ctx, req, res, await issueOr404(ctx.db, req.params.id));
  });

  router.post('/redaction/:id', 'newsletter:edit', editorAction(ctx, async (req, res) => {
    const issue = await issueOr404(ctx.db, req.params.id);
    await issueSaver(ctx, issue, req.body);
    ctx.flash(req, 'success', 'Numéro enregistré.');
    res.redirect(303, `${BASE}/${issue.id}`);
  }));

  router.post(
    '/redaction/:id/images',
    { can: 'newsletter:edit', body: ctx.files.upload({ fields: ['image'], accept: 'images' }) },
    async (req, res) => {
      const issue = await issueOr404(ctx.db, req.params.id);
      if (!editable(issue)) throw conflict("Ce numéro est déjà parti : il ne peut plus être modifié.");
      const { markdown: snippet } = await ctx.files.saveImage(req);
      await ctx.db
        .updateTable('newsletter_issues')
        .set({ body: sql`body || ${`\n\n${snippet}\n`}`, updated_at: sql`now()` })
        .where('id', '=', issue.id)
        .execute();
      ctx.flash(req, 'success', `Image ajoutée à la fin du contenu : ${snippet}`);
      res.redirect(303, `${BASE}/${issue.id}`);
    },
  );

  // The mail exactly as a recipient gets it (layout, unsubscribe footer), shown on its own.
  router.get('/redaction/:id/apercu-courriel', 'newsletter:edit', async (req, res) => {
    const issue = await issueOr404(ctx.db, req.params.id);
    const mail = await issueMail(ctx, issue);
    const rendered = await ctx.mail.render({ to: req.user!.email, userId: req.user!.id, subject: mail.subject, html: mail.html, text: mail.text, list: LIST_ID });
    // Sanitised content without scripts: the mail's own inline styles may apply, nothing may run.
    res.set('Content-Security-Policy', "default-src 'none'; img-src 'self' data: https: http:; style-src 'unsafe-inline'; frame-ancestors 'self'");
    res.type('html').send(rendered.html);
  });

  // The previews of what is typed: buttons of the editor form, which save it first.
  router.post('/redaction/:id/apercu-courriel', 'newsletter:edit', editorAction(ctx, async (req, res) => {
    const issue = await issueSaver(ctx, await issueOr404(ctx.db, req.params.id), req.body);
    res.redirect(303, `${BASE}/${issue.id}/apercu-courriel`);
  }));

  router.post('/redaction/:id/apercu', 'newsletter:edit', editorAction(ctx, async (req, res) => {
    const issue = await issueSaver(ctx, await issueOr404(ctx.db, req.params.id), req.body);
    res.redirect(303, `${BASE}/${issue.id}/apercu`);
  }));

  router.get('/redaction/:id/apercu', 'newsletter:edit', async (req, res) => {
    const issue = await issueOr404(ctx.db, req.params.id);
    await ctx.views.page(req, res, 'issue', { title: issue.title, issue, ...renderIssue(ctx, issue), preview: true, base: BASE });
  });

  router.post('/redaction/:id/test', 'newsletter:edit', editorAction(ctx, async (req, res) => {
    const issue = await savedBeforeActing(ctx, await issueOr404(ctx.db, req.params.id), req.body);
    const mail = await issueMail(ctx, issue);
    // A test goes through the outbox like any single mail, without the list: it reaches even a DANE member who left the LINE.
    await ctx.mail.send({ to: req.user!.email, userId: req.user!.id, subject: `[Essai] ${mail.subject}`, html: mail.html, text: mail.text });
    await ctx.audit({ action: 'newsletter.issue.test', req, targetType: 'newsletter_issue', targetId: issue.id });
    ctx.flash(req, 'success', `${carriesContent(req.body) ? 'Numéro enregistré. ' : ''}Courriel d'essai envoyé à ${req.user!.email}.`);
    res.redirect(303, `${BASE}/${issue.id}`);
  }));

  router.post('/redaction/:id/envoi', 'newsletter:edit', editorAction(ctx, async (req, res, progress) => {
    const found = await issueOr404(ctx.db, req.params.id);
    if (!editable(found)) throw conflict('Ce numéro est déjà envoyé ou en cours d’envoi.');
    const issue = await savedBeforeActing(ctx, found, req.body);
    progress.saved = carriesContent(req.body);
    if (issue.body.trim().length < 10) throw unprocessable('Ce numéro est vide : écrivez son contenu avant de l’envoyer.', 'body');
    const body = req.body as Record<string, unknown>;
    const when = stringParam(body.when, 20);
    if (when === 'now') {
      await startRun(ctx, issue, 'scheduled', null);
      await ctx.audit({ action: 'newsletter.issue.send', req, targetType: 'newsletter_issue', targetId: issue.id });
      ctx.flash(req, 'success', 'Envoi lancé : suivez son avancement ci-dessous.');
    } else if (when === 'later') {
      const at = parisTime(stringParam(body.day, 10), stringParam(body.time, 5));
      if (!at) throw unprocessable('« Date et heure d’envoi » : indiquez une date (jj/mm/aaaa) et une heure valides.', 'day');
      if (at.getTime() < Date.now() + 60_000) throw unprocessable('« Date et heure d’envoi » : choisissez un moment à venir.', 'day');
      if (at.getTime() > Date.now() + 366 * 86_400_000) throw unprocessable('« Date et heure d’envoi » : au plus un an à l’avance.', 'day');
      await startRun(ctx, issue, 'scheduled', at);
      await ctx.audit({ action: 'newsletter.issue.schedule', req, targetType: 'newsletter_issue', targetId: issue.id, details: { at: at.toISOString() } });
      ctx.flash(req, 'success', 'Envoi programmé.');
    } else {
      throw unprocessable('Choisissez « Envoyer maintenant » ou « Programmer ».', 'when');
    }
    res.redirect(303, `${BASE}/${issue.id}`);
  }));

  router.post('/redaction/:id/annulation', 'newsletter:edit', async (req, res) => {
    const issue = await issueOr404(ctx.db, req.params.id);
    if (issue.state !== 'scheduled' || !issue.scheduledAt) throw conflict("Ce numéro n'est pas programmé.");
    const updated = await ctx.db
      .updateTable('newsletter_issues')
      .set({ state: 'draft', scheduled_at: null, send_run: sql`send_run + 1`, updated_at: sql`now()` })
      .where('id', '=', issue.id)
      .where('state', '=', 'scheduled')
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) throw conflict("L'envoi a déjà commencé.");
    ctx.flash(req, 'success', 'Programmation annulée : le numéro est de nouveau un brouillon.');
    res.redirect(303, `${BASE}/${issue.id}`);
  });

  router.post('/redaction/:id/reprise', 'newsletter:edit', async (req, res) => {
    const issue = await issueOr404(ctx.db, req.params.id);
    if (issue.state !== 'paused') throw conflict("Ce numéro n'est pas interrompu.");
    await startRun(ctx, issue, 'sending', null);
    await ctx.audit({ action: 'newsletter.issue.resume', req, targetType: 'newsletter_issue', targetId: issue.id });
    ctx.flash(req, 'success', 'Envoi repris là où il s’était arrêté.');
    res.redirect(303, `${BASE}/${issue.id}`);
  });

  // Polled by the progress bar (public/js/maillon.js): { state, done, total }.
  router.get('/redaction/:id/progression', 'newsletter:edit', async (req, res) => {
    const issue = await issueOr404(ctx.db, req.params.id);
    const counts = await deliveryCounts(ctx.db, issue.id);
    const state = issue.state === 'sending' ? 'running' : issue.state === 'scheduled' ? 'queued' : issue.state === 'sent' ? 'done' : issue.state === 'paused' ? 'failed' : 'draft';
    res.json({ state, done: doneOf(counts), total: issue.filledAt ? issue.recipientCount : null, issueState: issue.state, counts, lastError: issue.lastError });
  });

  router.get('/redaction/:id/destinataires', 'newsletter:edit', async (req, res) => {
    const issue = await issueOr404(ctx.db, req.params.id);
    const raw = stringParam(req.query.etat, 20);
    const state = raw in DELIVERY_STATE_LABELS ? (raw as DeliveryState) : null;
    const page = pageParam(req.query.page);
    let q = ctx.db.selectFrom('newsletter_deliveries').where('issue_id', '=', issue.id);
    if (state) q = q.where('state', '=', state);
    const rows = await q.select(['email', 'state', 'attempts', 'last_error', 'sent_at']).orderBy('id').limit(100).offset((page - 1) * 100).execute();
    await ctx.views.page(req, res, 'admin-recipients', { title: `Destinataires de « ${issue.title} »`, issue, rows, state, page, deliveryLabels: DELIVERY_STATE_LABELS, base: BASE });
  });
}
