import path from 'node:path';
import type { GuardedRouter } from '../plugins/router.js';
import type { CoreServices } from '../services.js';
import type { JobState, MailState } from '../db/schema.js';
import { CORE_VIEWS_DIR } from '../web/render.js';
import { flash } from '../web/flash.js';
import { conflict, notFound } from '../web/errors.js';
import { idParam, pageParam, stringParam } from '../web/validate.js';
import { recordAudit } from '../audit/auditLog.js';
import { findJob, jobRetrier, listJobs } from '../jobs/jobQueue.js';
import { MAIL_STATE_LABELS, listOutbox, outboxMessage } from '../mail/outbox.js';

const view = (name: string) => path.join(CORE_VIEWS_DIR, 'admin', `${name}.ejs`);
const PER_PAGE = 50;
const JOB_STATES: Record<JobState, string> = { queued: 'En attente', running: 'En cours', failed: 'En échec', done: 'Terminée' };

/** Admin pages of the shared services: background jobs and the mail outbox. */
export function serviceAdminRoutes(router: GuardedRouter, core: CoreServices): void {
  router.get('/admin/jobs', 'core:jobs:view', async (req, res) => {
    const state = stringParam(req.query.state);
    const filter = {
      state: state in JOB_STATES ? (state as JobState) : undefined,
      kind: stringParam(req.query.kind, 100) || undefined,
      page: pageParam(req.query.page),
      perPage: PER_PAGE,
    };
    const result = await listJobs(core.db, filter);
    await core.renderer.page(req, res, view('jobs'), {
      title: 'Tâches de fond',
      section: 'jobs',
      filter,
      result,
      states: JOB_STATES,
      kinds: core.jobs.kinds(),
      pageCount: Math.max(1, Math.ceil(result.total / PER_PAGE)),
    });
  });

  // Read by the progress bars of pages that follow a job (public/js/maillon.js).
  router.get('/admin/jobs/:id/progress', 'core:jobs:view', async (req, res) => {
    const job = await findJob(core.db, { id: idParam(req.params.id) });
    if (!job) throw notFound("Cette tâche n'existe pas.");
    res.set('Cache-Control', 'no-store').json({ state: job.state, done: job.progress?.done ?? null, total: job.progress?.total ?? null, lastError: job.lastError });
  });

  router.post('/admin/jobs/:id/retry', 'core:jobs:manage', async (req, res) => {
    const id = idParam(req.params.id);
    const job = await findJob(core.db, { id });
    if (!job) throw notFound("Cette tâche n'existe pas.");
    const retried = job.kind === 'mail:send' ? await core.mail.retry((job.payload as { id: number }).id) : await jobRetrier(core.db, id);
    if (!retried) throw conflict("Seule une tâche en échec peut être relancée.");
    await recordAudit(core.db, { action: 'jobs.retry', actorId: req.user!.id, ip: req.ip, targetType: 'job', targetId: id, details: { kind: job.kind } });
    core.jobs.nudge();
    flash(req, 'success', `La tâche n° ${id} est relancée.`);
    res.redirect(303, '/admin/jobs?state=failed');
  });

  router.get('/admin/outbox', 'core:outbox:view', async (req, res) => {
    const state = stringParam(req.query.state);
    const filter = {
      state: state in MAIL_STATE_LABELS ? (state as MailState) : undefined,
      to: stringParam(req.query.to, 200) || undefined,
      page: pageParam(req.query.page),
      perPage: PER_PAGE,
    };
    const result = await listOutbox(core.db, filter);
    await core.renderer.page(req, res, view('outbox'), {
      title: "Boîte d'envoi",
      section: 'outbox',
      filter,
      result,
      states: MAIL_STATE_LABELS,
      mode: core.mail.mode,
      pageCount: Math.max(1, Math.ceil(result.total / PER_PAGE)),
    });
  });

  router.get('/admin/outbox/:id', 'core:outbox:view', async (req, res) => {
    const message = await outboxMessage(core.db, idParam(req.params.id));
    if (!message) throw notFound("Ce courriel n'existe pas.");
    await core.renderer.page(req, res, view('outbox-message'), { title: `Courriel n° ${message.id}`, section: 'outbox', message, states: MAIL_STATE_LABELS });
  });

  router.post('/admin/outbox/:id/retry', 'core:outbox:view', async (req, res) => {
    const id = idParam(req.params.id);
    if (!(await core.mail.retry(id))) throw conflict('Seul un courriel en échec peut être renvoyé.');
    await recordAudit(core.db, { action: 'mail.retry', actorId: req.user!.id, ip: req.ip, targetType: 'mail', targetId: id });
    core.jobs.nudge();
    flash(req, 'success', `Le courriel n° ${id} est de nouveau en attente d'envoi.`);
    res.redirect(303, `/admin/outbox/${id}`);
  });
}
