import type { DB, Tx } from '../../server/db/schema.js';
import type { PluginContext } from '../../server/plugins/context.js';

/**
 * Open Badges 2.0, hosted verification: the assertion, the badge class and the issuer are JSON-LD
 * documents at stable public URLs of this instance; a verifier fetches the assertion at its id.
 */

export const OB_CONTEXT = 'https://w3id.org/openbadges/v2';
export const OB_CONTENT_TYPE = 'application/ld+json; charset=utf-8';

export interface Issuer {
  name: string;
  url: string;
  email: string | null;
}

export const badgeUrls = (baseUrl: string) => ({
  issuer: `${baseUrl}/training/openbadges/issuer`,
  badgeClass: (slug: string) => `${baseUrl}/training/openbadges/badges/${slug}`,
  image: (slug: string) => `${baseUrl}/training/openbadges/badges/${slug}/image.svg`,
  assertion: (id: string) => `${baseUrl}/training/openbadges/assertions/${id}`,
  page: (id: string) => `${baseUrl}/training/badges/${id}`,
});

export interface BadgeRecord {
  id: string;
  userId: number;
  recipientName: string;
  recipientSalt: string;
  recipientHash: string;
  issuedAt: Date;
  revokedAt: Date | null;
  revocationReason: string | null;
  path: { id: number; slug: string; title: string; description: string };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function loadBadge(db: DB, id: string): Promise<BadgeRecord | null> {
  if (!UUID.test(id)) return null;
  const r = await db
    .selectFrom('training_badges as b')
    .innerJoin('training_paths as p', 'p.id', 'b.path_id')
    .innerJoin('users as u', 'u.id', 'b.user_id')
    .select(['b.id', 'b.user_id', 'b.recipient_salt', 'b.recipient_hash', 'b.issued_at', 'b.revoked_at', 'b.revocation_reason', 'p.id as path_id', 'p.slug', 'p.title', 'p.description', 'u.given_name', 'u.family_name'])
    .where('b.id', '=', id)
    .executeTakeFirst();
  if (!r) return null;
  return {
    id: r.id,
    userId: r.user_id,
    recipientName: `${r.given_name} ${r.family_name}`.trim(),
    recipientSalt: r.recipient_salt,
    recipientHash: r.recipient_hash,
    issuedAt: r.issued_at,
    revokedAt: r.revoked_at,
    revocationReason: r.revocation_reason,
    path: { id: r.path_id, slug: r.slug, title: r.title, description: r.description },
  };
}

export function assertionJson(baseUrl: string, badge: BadgeRecord): Record<string, unknown> {
  const urls = badgeUrls(baseUrl);
  if (badge.revokedAt) {
    return { '@context': OB_CONTEXT, id: urls.assertion(badge.id), type: 'Assertion', revoked: true, revocationReason: badge.revocationReason ?? 'Badge révoqué' };
  }
  return {
    '@context': OB_CONTEXT,
    type: 'Assertion',
    id: urls.assertion(badge.id),
    recipient: { type: 'email', hashed: true, salt: badge.recipientSalt, identity: badge.recipientHash },
    badge: urls.badgeClass(badge.path.slug),
    issuedOn: badge.issuedAt.toISOString(),
    verification: { type: 'hosted' },
    evidence: urls.page(badge.id),
  };
}

export function badgeClassJson(baseUrl: string, path: { slug: string; title: string; description: string }, modules: string[]): Record<string, unknown> {
  const urls = badgeUrls(baseUrl);
  return {
    '@context': OB_CONTEXT,
    type: 'BadgeClass',
    id: urls.badgeClass(path.slug),
    name: path.title,
    description: path.description || `Parcours « ${path.title} » terminé sur Maillon.`,
    image: urls.image(path.slug),
    criteria: {
      narrative: modules.length
        ? `Terminer chacun des modules obligatoires du parcours : ${modules.join(' ; ')}. Un module est terminé quand ses leçons ont été vues et son quiz réussi, ou selon la règle propre au module.`
        : 'Terminer les modules obligatoires du parcours.',
    },
    issuer: urls.issuer,
    tags: ['RUPN', 'numérique éducatif'],
  };
}

export function issuerJson(baseUrl: string, issuer: Issuer): Record<string, unknown> {
  return {
    '@context': OB_CONTEXT,
    type: 'Issuer',
    id: badgeUrls(baseUrl).issuer,
    name: issuer.name,
    url: issuer.url || baseUrl,
    ...(issuer.email ? { email: issuer.email } : {}),
  };
}

/** The badge image: a medal with the path's title, as SVG (allowed by Open Badges 2.0). */
export function badgeSvg(title: string): string {
  const words = title.split(/\s+/);
  const lines: string[] = [];
  for (const w of words) {
    const last = lines[lines.length - 1];
    if (last !== undefined && `${last} ${w}`.length <= 16) lines[lines.length - 1] = `${last} ${w}`;
    else lines.push(w);
  }
  const shown = lines.slice(0, 4);
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const startY = 200 - ((shown.length - 1) * 26) / 2;
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" viewBox="0 0 400 400" role="img" aria-labelledby="t">
  <title id="t">Badge Maillon : ${esc(title)}</title>
  <circle cx="200" cy="200" r="190" fill="#000091"/>
  <circle cx="200" cy="200" r="165" fill="#ffffff"/>
  <circle cx="200" cy="200" r="150" fill="none" stroke="#000091" stroke-width="4" stroke-dasharray="6 8"/>
  <text x="200" y="95" text-anchor="middle" font-family="Arial, sans-serif" font-size="24" font-weight="700" fill="#000091">MAILLON</text>
  ${shown.map((l, i) => `<text x="200" y="${startY + i * 26}" text-anchor="middle" font-family="Arial, sans-serif" font-size="22" fill="#161616">${esc(l)}</text>`).join('\n  ')}
  <text x="200" y="320" text-anchor="middle" font-family="Arial, sans-serif" font-size="18" fill="#18753c">✓ Parcours terminé</text>
</svg>
`;
}

export type Verification =
  | { status: 'valid'; checkedAt: Date; checks: string[] }
  | { status: 'revoked'; checkedAt: Date; reason: string }
  | { status: 'invalid'; checkedAt: Date; reason: string }
  | { status: 'unreachable'; checkedAt: Date; reason: string };

/**
 * Hosted verification as a backpack does it: fetch the assertion at its id, compare it with
 * the record, follow it to the badge class and the issuer, check that the assertion is hosted
 * on the issuer's origin. `fetchJson` fetches over HTTP (the route passes the instance's own
 * listening address, so the check reads what this server really hosts).
 */
export async function verifyAssertion(
  expected: { assertionUrl: string; recipientHash: string; badgeClassUrl: string; issuerUrl: string },
  fetchJson: (url: string) => Promise<{ status: number; contentType: string; body: unknown }>,
): Promise<Verification> {
  const checkedAt = new Date();
  let assertion: { status: number; contentType: string; body: unknown };
  try {
    assertion = await fetchJson(expected.assertionUrl);
  } catch (error) {
    return { status: 'unreachable', checkedAt, reason: `l'assertion hébergée n'a pas pu être lue (${(error as Error).message})` };
  }
  const a = assertion.body as Record<string, any> | null;
  if (assertion.status === 410 || a?.revoked === true) return { status: 'revoked', checkedAt, reason: String(a?.revocationReason ?? 'badge révoqué') };
  if (assertion.status !== 200 || !a) return { status: 'invalid', checkedAt, reason: `l'assertion hébergée répond ${assertion.status}` };
  const checks: string[] = [];
  const fail = (reason: string): Verification => ({ status: 'invalid', checkedAt, reason });
  if (!/json/.test(assertion.contentType)) return fail("l'assertion n'est pas servie en JSON");
  if (a.type !== 'Assertion' || a['@context'] !== OB_CONTEXT) return fail("le document hébergé n'est pas une assertion Open Badges 2.0");
  if (a.id !== expected.assertionUrl) return fail("l'identifiant de l'assertion hébergée ne correspond pas à son adresse");
  checks.push('assertion hébergée à son adresse');
  if (a.recipient?.identity !== expected.recipientHash || a.recipient?.hashed !== true) return fail('le destinataire ne correspond pas');
  checks.push('destinataire identique (adresse électronique hachée et salée)');
  if (a.verification?.type !== 'hosted') return fail("le mode de vérification n'est pas « hosted »");
  if (a.badge !== expected.badgeClassUrl) return fail('le badge désigné ne correspond pas');
  const badgeClass = await fetchJson(a.badge).catch(() => null);
  const b = badgeClass?.body as Record<string, any> | null | undefined;
  if (!b || badgeClass!.status !== 200 || b.type !== 'BadgeClass') return fail('la description du badge est introuvable');
  checks.push('description du badge publiée');
  if (b.issuer !== expected.issuerUrl) return fail("l'émetteur du badge ne correspond pas");
  const issuer = await fetchJson(b.issuer).catch(() => null);
  const i = issuer?.body as Record<string, any> | null | undefined;
  if (!i || issuer!.status !== 200 || i.type !== 'Issuer') return fail("la description de l'émetteur est introuvable");
  if (new URL(a.id).origin !== new URL(i.id).origin) return fail("l'assertion n'est pas hébergée chez l'émetteur");
  checks.push(`émetteur : ${i.name}`);
  return { status: 'valid', checkedAt, checks };
}

export const BADGE_KIND = 'training:badge';

/**
 * Tells each learner whose path was completed since the last call (badge issued, not announced
 * yet): a notification, in-app and by e-mail as they chose, leading to the badge's page and from
 * there to the attestation. Marking first, in the caller's transaction, announces a badge once
 * even when two requests finish at the same time.
 */
export async function badgeAnnouncer(trx: Tx, notifications: Pick<PluginContext['notifications'], 'notify'>): Promise<number> {
  const fresh = await trx
    .updateTable('training_badges')
    .set({ announced_at: new Date() })
    .where('announced_at', 'is', null)
    .where('revoked_at', 'is', null)
    .returning(['id', 'user_id', 'path_id'])
    .execute();
  if (!fresh.length) return 0;
  const titles = new Map(
    (await trx.selectFrom('training_paths').select(['id', 'title']).where('id', 'in', [...new Set(fresh.map((b) => b.path_id))]).execute()).map((p) => [p.id, p.title]),
  );
  for (const badge of fresh) {
    const title = titles.get(badge.path_id) ?? '';
    await notifications.notify(
      [badge.user_id],
      {
        kind: BADGE_KIND,
        title: `Parcours « ${title} » terminé : votre badge est délivré`,
        body: `Félicitations : vous avez terminé les modules obligatoires du parcours « ${title} ». Votre badge est délivré ; sa page, que vous pouvez partager, mène aussi à votre attestation de formation à imprimer.`,
        url: `/training/badges/${badge.id}`,
      },
      { trx },
    );
  }
  return fresh.length;
}
