import path from 'node:path';
import { sql } from 'kysely';
import type { GuardedRouter } from '../plugins/router.js';
import type { CoreServices } from '../services.js';
import { CORE_VIEWS_DIR } from '../web/render.js';
import { academyByCode } from '../geography/geography.js';
import { recordAudit } from '../audit/auditLog.js';
import { flash } from '../web/flash.js';
import { notFound } from '../web/errors.js';
import { displayName } from '../users/userQueries.js';

const view = (name: string) => path.join(CORE_VIEWS_DIR, 'admin', `${name}.ejs`);
const DAY_MS = 24 * 3600_000;

/** Administration of academic SSO: IdP states, the attributes test page, duplicate accounts. */
export function samlAdminRoutes(router: GuardedRouter, core: CoreServices): void {
  router.get('/admin/idps', 'core:idps:view', async (req, res) => {
    const lastLogins = await core.db
      .selectFrom('user_identities')
      .select(['provider', (eb) => eb.fn.max('last_login_at').as('last')])
      .groupBy('provider')
      .execute();
    const now = Date.now();
    const idps = core.saml.registry.list().map((state) => {
      const expiresAt = state.metadata?.certificateExpiresAt ?? null;
      const last = lastLogins.find((l) => l.provider === state.config.id)?.last ?? null;
      return {
        id: state.config.id,
        name: state.config.name,
        academy: academyByCode(state.config.academy)?.name ?? state.config.academy,
        source: 'file' in state.config.metadata ? state.config.metadata.file : state.config.metadata.url,
        metadata: state.metadata,
        loadedAt: state.loadedAt,
        loadedFrom: state.loadedFrom,
        lastAttemptAt: state.lastAttemptAt,
        error: state.error,
        certificateExpiresAt: expiresAt,
        certificateDaysLeft: expiresAt ? Math.floor((expiresAt.getTime() - now) / DAY_MS) : null,
        lastLoginAt: last ? new Date(last as unknown as string) : null,
        allowIdpInitiated: state.config.allowIdpInitiated,
        signAuthnRequest: state.config.signAuthnRequest,
        singleLogout: state.config.singleLogout && Boolean(state.metadata?.sloUrl),
        sp: core.saml.urls(state.config),
      };
    });
    await core.renderer.page(req, res, view('idps'), {
      title: "Fournisseurs d'identité",
      section: 'idps',
      idps,
      spCertificateExpiresAt: core.saml.spCredentials?.expiresAt ?? null,
      configPath: core.config.idpConfigPath,
    });
  });

  router.post('/admin/idps/:id/refresh', 'core:idps:view', async (req, res) => {
    const state = core.saml.registry.get(String(req.params.id));
    if (!state) throw notFound("Ce fournisseur d'identité n'est pas configuré.");
    await core.saml.registry.refresh(state.config.id);
    await recordAudit(core.db, { action: 'saml.metadata.refresh', actorId: req.user!.id, targetType: 'idp', targetId: state.config.id, ip: req.ip, details: { error: state.error } });
    if (state.error) flash(req, 'error', `Métadonnées de ${state.config.name} non rechargées : ${state.error}. La dernière copie valide reste en service.`);
    else flash(req, 'success', `Métadonnées de ${state.config.name} rechargées.`);
    res.redirect(303, '/admin/idps');
  });

  router.get('/admin/idps/test', 'core:idps:view', async (req, res) => {
    const rows = await core.db
      .selectFrom('saml_identities as s')
      .innerJoin('user_identities as i', (j) => j.onRef('i.provider', '=', 's.provider').onRef('i.subject', '=', 's.subject'))
      .select(['s.provider', 's.subject', 's.name_id', 's.name_id_format', 's.session_index', 's.attributes', 's.received_at'])
      .where('i.user_id', '=', req.user!.id)
      .orderBy('s.received_at', 'desc')
      .execute();
    await core.renderer.page(req, res, view('idp-test'), {
      title: 'Attributs reçus à la connexion',
      section: 'idps',
      identities: rows.map((r) => ({
        provider: r.provider,
        providerName: core.saml.registry.get(r.provider)?.config.name ?? r.provider,
        subject: r.subject,
        nameId: r.name_id,
        nameIdFormat: r.name_id_format,
        sessionIndex: r.session_index,
        receivedAt: r.received_at,
        attributes: Object.entries(r.attributes as Record<string, string[]>).sort(([a], [b]) => a.localeCompare(b)),
      })),
    });
  });

  router.get('/admin/idps/duplicates', 'core:users:view', async (req, res) => {
    // The same address on several accounts: never merged automatically, an admin decides.
    const rows = await sql<{ email: string; id: number; given_name: string; family_name: string; status: string; providers: string[] | null; last_login_at: Date | null }>`
      select lower(u.email) as email, u.id, u.given_name, u.family_name, u.status, u.last_login_at,
        (select json_agg(i.provider order by i.provider) from user_identities i where i.user_id = u.id) as providers
      from users u
      where lower(u.email) in (select lower(email) from users group by lower(email) having count(*) > 1)
      order by lower(u.email), u.id
      limit 2000`.execute(core.db);
    const groups = new Map<string, { email: string; accounts: { id: number; name: string; status: string; providers: string[]; lastLoginAt: Date | null }[] }>();
    for (const r of rows.rows) {
      const group = groups.get(r.email) ?? { email: r.email, accounts: [] };
      group.accounts.push({ id: r.id, name: displayName(r.given_name, r.family_name, r.email), status: r.status, providers: r.providers ?? [], lastLoginAt: r.last_login_at });
      groups.set(r.email, group);
    }
    await core.renderer.page(req, res, view('duplicates'), { title: 'Adresses en double', section: 'duplicates', groups: [...groups.values()] });
  });
}
