import path from 'node:path';
import type { Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { z } from 'zod';
import type { GuardedRouter } from '../plugins/router.js';
import type { CoreServices } from '../services.js';
import { ROLES, ROLE_LABELS, isRole, type Role } from '../auth/roles.js';
import { searchUsers } from '../users/userQueries.js';
import { listAudit, recordAudit } from '../audit/auditLog.js';
import { CORE_VIEWS_DIR } from '../web/render.js';
import { flash } from '../web/flash.js';
import { de } from '../web/viewHelpers.js';
import { HttpError, badRequest, conflict, notFound } from '../web/errors.js';
import { ARCHIVE_LIMITS, packArchiveStream } from '../content/packArchive.js';
import { packUploader, packVersions, type UploadOutcome } from '../content/packUpload.js';
import { pageParam, parseInput, stringParam } from '../web/validate.js';
import { academies } from '../geography/geography.js';

const view = (name: string) => path.join(CORE_VIEWS_DIR, 'admin', `${name}.ejs`);
const PER_PAGE = 25;

export function adminRoutes(router: GuardedRouter, core: CoreServices): void {
  router.get('/admin', 'core:admin', async (req, res) => {
    const [userCount, roleCounts, packs] = await Promise.all([
      core.db.selectFrom('users').where('status', '=', 'active').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      core.db.selectFrom('user_roles').select(['role', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('role').execute(),
      core.packs.list(),
    ]);
    const plugins = core.plugins.statuses();
    await core.renderer.page(req, res, view('index'), {
      title: 'Administration',
      section: 'index',
      userCount: Number(userCount.n),
      roleCounts: ROLES.map((role) => ({ role, label: ROLE_LABELS[role], count: Number(roleCounts.find((r) => r.role === role)?.n ?? 0) })),
      plugins,
      failedPlugins: plugins.filter((p) => p.state === 'failed'),
      packs,
      invalidPacks: packs.filter((p) => p.state === 'invalid').length + (await core.packs.orphanReports()).length,
      idpAlerts: core.saml.alerts(),
    });
  });

  router.get('/admin/plugins', 'core:plugins:view', async (req, res) => {
    const listeners = core.hooks.listeners();
    await core.renderer.page(req, res, view('plugins'), {
      title: 'Extensions',
      section: 'plugins',
      plugins: core.plugins.statuses().map((p) => ({
        ...p,
        routes: core.registry.routes.filter((r) => r.owner === p.name),
        listeners: listeners.filter((l) => l.owner === p.name),
      })),
    });
  });

  const packsDir = path.join(core.config.dataDir, 'packs');
  const renderPacks = async (req: Request, res: Response, upload: { fileName: string; outcome: UploadOutcome } | null = null, status = 200) => {
    const packs = await core.packs.list();
    await core.renderer.page(
      req,
      res,
      view('packs'),
      {
        title: 'Parcours de contenu',
        section: 'packs',
        packs: await Promise.all(packs.map(async (p) => ({ ...p, versions: await packVersions(packsDir, p.id, p) }))),
        orphans: await core.packs.orphanReports(),
        contentDir: core.config.contentDir,
        maxArchiveMiB: ARCHIVE_LIMITS.archiveBytes / 1024 / 1024,
        upload,
      },
      status,
    );
  };

  router.get('/admin/packs', 'core:packs:manage', (req, res) => renderPacks(req, res));

  router.post('/admin/packs/upload', { can: 'core:packs:manage', body: archiveUpload }, async (req, res) => {
    const file = req.file;
    if (!file || !file.size) throw badRequest('« Archive du parcours » : choisissez un fichier .zip à envoyer.', 'archive');
    const fileName = path.basename(file.originalname || 'archive.zip').slice(0, 200);
    const outcome = await packUploader({ library: core.packs, db: core.db, packsDir, archive: file.buffer, fileName });
    await recordAudit(core.db, {
      action: 'packs.upload',
      actorId: req.user!.id,
      ip: req.ip,
      targetType: 'pack',
      targetId: outcome.packId,
      details: { fileName, status: outcome.status, version: outcome.version ?? null },
    });
    if (outcome.status === 'installed' || outcome.status === 'updated') {
      const verb = outcome.status === 'installed' ? 'installé' : `mis à jour (version précédente : ${outcome.previousVersion})`;
      flash(req, 'success', `Parcours « ${outcome.packId} » ${outcome.version} ${verb}.`);
      return res.redirect(303, `/admin/packs#pack-${outcome.packId}`);
    }
    if (outcome.status === 'unchanged') {
      flash(req, 'info', `Le parcours « ${outcome.packId} » ${outcome.version} est déjà installé à l'identique : rien n'a changé.`);
      return res.redirect(303, `/admin/packs#pack-${outcome.packId}`);
    }
    await renderPacks(req, res, { fileName, outcome }, outcome.status === 'refused' ? 409 : 400);
  });

  router.get('/admin/packs/:packId/archive', 'core:packs:manage', async (req, res) => {
    const pack = (await core.packs.list()).find((p) => p.id === req.params.packId);
    if (!pack) throw notFound("Ce parcours n'est pas installé.");
    const wanted = stringParam(req.query.version, 20);
    const version = (await packVersions(packsDir, pack.id, pack)).find((v) => (wanted ? v.version === wanted : v.current));
    if (!version) throw notFound("Cette version du parcours n'est pas conservée.");
    res.set('Content-Type', 'application/zip');
    res.attachment(`${pack.id}-${version.version}.zip`);
    (await packArchiveStream(version.dir)).pipe(res);
  });

  router.post('/admin/packs/reload', 'core:packs:manage', async (req, res) => {
    const results = await core.packs.loadDirectory(core.config.contentDir);
    const count = (status: string) => results.filter((r) => r.status === status).length;
    await recordAudit(core.db, { action: 'packs.reload', actorId: req.user!.id, ip: req.ip, details: { results: results.map((r) => ({ status: r.status, pack: r.packId })) } });
    const refused = count('invalid') + count('refused');
    flash(
      req,
      refused ? 'warning' : 'success',
      `Parcours relus : ${count('installed')} installé(s), ${count('updated')} mis à jour, ${count('unchanged')} inchangé(s), ${refused} refusé(s).`,
    );
    res.redirect(303, '/admin/packs');
  });

  router.get('/admin/users', 'core:users:view', async (req, res) => {
    const role = stringParam(req.query.role);
    const departmentCode = stringParam(req.query.departement, 3);
    const search = {
      q: stringParam(req.query.q),
      role: isRole(role) ? role : undefined,
      departmentCode: departmentCode || undefined,
      page: pageParam(req.query.page),
      perPage: PER_PAGE,
    };
    const result = await searchUsers(core.db, search);
    await core.renderer.page(req, res, view('users'), {
      title: 'Comptes',
      section: 'users',
      search,
      result,
      pageCount: Math.max(1, Math.ceil(result.total / PER_PAGE)),
      roles: ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r] })),
      academies,
    });
  });

  router.get('/admin/users/:id', 'core:users:view', async (req, res) => {
    const profile = await loadUserOr404(core, req.params.id);
    const identities = await core.db
      .selectFrom('user_identities')
      .select(['provider', 'subject', 'created_at', 'last_login_at'])
      .where('user_id', '=', profile.id)
      .execute();
    await core.renderer.page(req, res, view('user'), {
      title: profile.displayName,
      section: 'users',
      profile,
      identities,
      roles: ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r] })),
    });
  });

  router.post('/admin/users/:id/roles', 'core:users:manage', async (req, res) => {
    const profile = await loadUserOr404(core, req.params.id);
    const input = parseInput(
      z.object({ roles: z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(z.enum(ROLES)).max(ROLES.length)) }),
      req.body,
      { roles: 'Rôles' },
    );
    const roles = input.roles as Role[];
    if (profile.roles.includes('admin') && !roles.includes('admin')) {
      if (profile.id === req.user!.id) throw conflict('Vous ne pouvez pas retirer votre propre rôle d’administration.');
      const admins = await core.db.selectFrom('user_roles').where('role', '=', 'admin').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      if (Number(admins.n) <= 1) throw conflict('Ce compte est le dernier administrateur : nommez-en un autre avant de retirer ce rôle.');
    }
    await core.users.setRoles(profile.id, roles, req.user!.id, req.ip);
    flash(req, 'success', `Rôles ${de(profile.displayName)} enregistrés.`);
    res.redirect(303, `/admin/users/${profile.id}`);
  });

  router.get('/admin/audit', 'core:audit:view', async (req, res) => {
    const filter = { action: stringParam(req.query.action, 100) || undefined, page: pageParam(req.query.page), perPage: 50 };
    const result = await listAudit(core.db, filter);
    await core.renderer.page(req, res, view('audit'), {
      title: "Journal d'audit",
      section: 'audit',
      filter,
      result,
      pageCount: Math.max(1, Math.ceil(result.total / filter.perPage)),
    });
  });
}

const multipart = multer({
  storage: multer.memoryStorage(),
  limits: { fileSize: ARCHIVE_LIMITS.archiveBytes, files: 1, fields: 5, parts: 6 },
}).single('archive');

/** The archive of a pack upload, kept in memory (20 Mio at most); multer's errors become French ones. */
const archiveUpload: RequestHandler = (req, res, next) =>
  multipart(req, res, (error: unknown) => {
    if (!error) return next();
    if (error instanceof multer.MulterError) {
      if (error.code === 'LIMIT_FILE_SIZE') {
        return next(new HttpError(413, `L'archive dépasse ${ARCHIVE_LIMITS.archiveBytes / 1024 / 1024} Mio : allégez les images ou découpez le parcours.`));
      }
      return next(badRequest(`« Archive du parcours » : envoi refusé (${error.code === 'LIMIT_UNEXPECTED_FILE' ? 'un seul fichier, dans le champ prévu' : 'formulaire trop long'}).`, 'archive'));
    }
    next(badRequest("Le formulaire d'envoi est mal formé : recommencez l'envoi.", 'archive'));
  });

async function loadUserOr404(core: CoreServices, rawId: unknown) {
  const id = Number(rawId);
  if (!Number.isInteger(id) || id < 1 || id > 2_147_483_647) throw notFound("Ce compte n'existe pas.");
  const profile = await core.users.byId(id);
  if (!profile) throw notFound("Ce compte n'existe pas ou a été désactivé.");
  return profile;
}
