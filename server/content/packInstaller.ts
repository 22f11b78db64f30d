import type { DB, PackErrorRecord, Tx } from '../db/schema.js';
import type { ParsedPack } from './packReader.js';

export type InstallOutcome =
  | { status: 'installed' | 'updated'; packId: string; version: string; previousVersion: string | null; moduleIds: string[]; removedModuleIds: string[] }
  | { status: 'unchanged'; packId: string; version: string }
  | { status: 'refused'; packId: string; version: string; errors: PackErrorRecord[] };

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/**
 * Stores a checked pack in one transaction. The same version twice changes nothing; a newer
 * version replaces the content but keeps the modules' keys, so what learners did on modules
 * that still exist stays attached to them; modules that disappeared are removed.
 */
export async function packInstaller(trx: Tx, pack: ParsedPack): Promise<InstallOutcome> {
  const { manifest } = pack;
  const existing = await trx
    .selectFrom('content_packs')
    .select(['version', 'checksum'])
    .where('id', '=', manifest.id)
    .forUpdate()
    .executeTakeFirst();

  const verdict = versionVerdict(existing ?? null, manifest.id, manifest.version, pack.checksum);
  if (verdict) return verdict;

  const now = new Date();
  const packRow = {
    title: manifest.title,
    version: manifest.version,
    description: manifest.description,
    checksum: pack.checksum,
    source: pack.source,
    manifest: JSON.stringify({
      audience: manifest.audience,
      themes: manifest.themes,
      authors: manifest.authors,
      license: manifest.license ?? null,
    }),
    updated_at: now,
  };
  await trx
    .insertInto('content_packs')
    .values({ id: manifest.id, ...packRow })
    .onConflict((oc) => oc.column('id').doUpdateSet(packRow))
    .execute();

  const moduleIds = pack.modules.map((m) => m.id);
  const removed = existing
    ? await trx
        .deleteFrom('content_modules')
        .where('pack_id', '=', manifest.id)
        .$if(moduleIds.length > 0, (qb) => qb.where('module_id', 'not in', moduleIds))
        .returning('module_id')
        .execute()
    : [];

  for (const m of pack.modules) {
    const row = {
      position: m.position,
      title: m.title,
      summary: m.summary,
      themes: JSON.stringify(m.themes),
      competences: JSON.stringify(m.competences),
      requires: JSON.stringify(m.requires),
      duration_minutes: m.durationMinutes,
      lessons: JSON.stringify(m.lessons),
      quiz: JSON.stringify(m.quiz),
      resources: JSON.stringify(m.resources),
      completion: JSON.stringify(m.completion),
      updated_at: now,
    };
    await trx
      .insertInto('content_modules')
      .values({ pack_id: manifest.id, module_id: m.id, ...row })
      .onConflict((oc) => oc.columns(['pack_id', 'module_id']).doUpdateSet(row))
      .execute();
  }
  return {
    status: existing ? 'updated' : 'installed',
    packId: manifest.id,
    version: manifest.version,
    previousVersion: existing?.version ?? null,
    moduleIds,
    removedModuleIds: removed.map((r) => r.module_id),
  };
}

/**
 * What the installed version says of a candidate: null when it may be installed, otherwise
 * `unchanged` (same version, same content) or `refused` (same version changed, or older).
 */
export function versionVerdict(
  installed: { version: string; checksum: string } | null,
  packId: string,
  version: string,
  checksum: string,
): Exclude<InstallOutcome, { status: 'installed' | 'updated' }> | null {
  if (!installed) return null;
  const order = compareVersions(version, installed.version);
  if (order === 0 && installed.checksum === checksum) return { status: 'unchanged', packId, version };
  if (order === 0) {
    return refuse(packId, version, `le contenu a changé mais la version reste ${version} : augmentez la version dans pack.yaml`);
  }
  if (order < 0) return refuse(packId, version, `la version ${version} est plus ancienne que la version installée ${installed.version}`);
  return null;
}

function refuse(packId: string, version: string, message: string): Extract<InstallOutcome, { status: 'refused' }> {
  return { status: 'refused', packId, version, errors: [{ file: 'pack.yaml', field: 'version', message }] };
}

export async function recordPackReport(
  db: DB | Tx,
  report: { source: string; packId: string | null; version: string | null; errors: PackErrorRecord[] },
): Promise<void> {
  const row = {
    pack_id: report.packId,
    state: report.errors.length ? ('invalid' as const) : ('valid' as const),
    version: report.version,
    errors: JSON.stringify(report.errors),
    checked_at: new Date(),
  };
  await db
    .insertInto('content_pack_reports')
    .values({ source: report.source, ...row })
    .onConflict((oc) => oc.column('source').doUpdateSet(row))
    .execute();
}
