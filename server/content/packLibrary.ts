import fs from 'node:fs/promises';
import path from 'node:path';
import type { DB, PackErrorRecord } from '../db/schema.js';
import type { Logger } from '../log.js';
import type { HookBus } from '../plugins/hooks.js';
import { readPack } from './packReader.js';
import { packInstaller, recordPackReport, type InstallOutcome } from './packInstaller.js';

export type PackLoadResult =
  | InstallOutcome
  | { status: 'invalid'; source: string; packId: string | null; version: string | null; errors: PackErrorRecord[] };

export interface PackSummary {
  id: string;
  title: string;
  version: string;
  description: string;
  source: string;
  moduleCount: number;
  installedAt: Date;
  updatedAt: Date;
  state: 'valid' | 'invalid';
  /** Errors of the last check, when a newer copy on disk was refused. */
  errors: PackErrorRecord[];
  refusedVersion: string | null;
}

/** Content packs: checked, stored and listed. One broken pack never stops the others. */
export class PackLibrary {
  private sources = new Map<string, string>();

  constructor(private readonly db: DB, private readonly hooks: HookBus, private readonly log: Logger) {}

  /** Loads every `<dir>/<pack>/pack.yaml`, in folder order. */
  async loadDirectory(contentDir: string): Promise<PackLoadResult[]> {
    let names: string[] = [];
    try {
      names = (await fs.readdir(contentDir, { withFileTypes: true }))
        .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
        .map((e) => e.name)
        .sort();
    } catch {
      this.log.warn({ contentDir }, 'dossier des parcours introuvable');
    }
    const results: PackLoadResult[] = [];
    const claimed = new Map<string, string>();
    for (const name of names) {
      const dir = path.join(contentDir, name);
      const result = await this.install(dir, claimed);
      results.push(result);
    }
    await this.refreshSources();
    return results;
  }

  /**
   * Checks and installs one pack folder. `claimed` maps pack ids to the folder that already
   * provided them in this run, to refuse two folders with the same id. Across runs a pack may
   * move (an uploaded version lives in a folder of its own): the last install names its source.
   */
  async install(dir: string, claimed = new Map<string, string>()): Promise<PackLoadResult> {
    const read = await readPack(dir);
    if (!read.ok) {
      await recordPackReport(this.db, { source: dir, packId: read.packId, version: read.version, errors: read.errors });
      this.log.warn({ pack: read.packId ?? dir, errors: read.errors }, 'parcours refusé');
      return { status: 'invalid', source: dir, packId: read.packId, version: read.version, errors: read.errors };
    }
    const { pack } = read;
    const owner = claimed.get(pack.manifest.id);
    if (owner && owner !== dir) {
      const errors = [{ file: 'pack.yaml', field: 'id', message: `l'identifiant « ${pack.manifest.id} » est déjà utilisé par ${owner}` }];
      await recordPackReport(this.db, { source: dir, packId: pack.manifest.id, version: pack.manifest.version, errors });
      return { status: 'invalid', source: dir, packId: pack.manifest.id, version: pack.manifest.version, errors };
    }
    claimed.set(pack.manifest.id, dir);
    const outcome = await this.db.transaction().execute(async (trx) => {
      const result = await packInstaller(trx, pack);
      await recordPackReport(trx, {
        source: dir,
        packId: pack.manifest.id,
        version: pack.manifest.version,
        errors: result.status === 'refused' ? result.errors : [],
      });
      return result;
    });
    if (outcome.status === 'installed' || outcome.status === 'updated') {
      this.sources.set(outcome.packId, dir);
      this.log.info({ pack: outcome.packId, version: outcome.version, status: outcome.status }, 'parcours installé');
      await this.hooks.doAction('pack:installed', {
        packId: outcome.packId,
        version: outcome.version,
        previousVersion: outcome.previousVersion,
        moduleIds: outcome.moduleIds,
      });
    }
    return outcome;
  }

  async list(): Promise<PackSummary[]> {
    const rows = await this.db
      .selectFrom('content_packs as p')
      .leftJoin('content_pack_reports as r', 'r.source', 'p.source')
      .select((eb) => [
        'p.id',
        'p.title',
        'p.version',
        'p.description',
        'p.source',
        'p.installed_at',
        'p.updated_at',
        'r.state',
        'r.errors',
        'r.version as report_version',
        eb.selectFrom('content_modules as m').whereRef('m.pack_id', '=', 'p.id').select((e) => e.fn.countAll<number>().as('n')).as('module_count'),
      ])
      .orderBy('p.title')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      title: r.title,
      version: r.version,
      description: r.description,
      source: r.source,
      moduleCount: Number(r.module_count ?? 0),
      installedAt: r.installed_at,
      updatedAt: r.updated_at,
      state: r.state ?? 'valid',
      errors: (r.errors as PackErrorRecord[] | null) ?? [],
      refusedVersion: r.state === 'invalid' ? r.report_version : null,
    }));
  }

  /** Checks of folders that never installed (broken from the start). */
  async orphanReports(): Promise<{ source: string; packId: string | null; version: string | null; errors: PackErrorRecord[]; checkedAt: Date }[]> {
    const rows = await this.db
      .selectFrom('content_pack_reports as r')
      .leftJoin('content_packs as p', 'p.source', 'r.source')
      .select(['r.source', 'r.pack_id', 'r.version', 'r.errors', 'r.checked_at'])
      .where('r.state', '=', 'invalid')
      .where('p.id', 'is', null)
      .orderBy('r.source')
      .execute();
    return rows.map((r) => ({
      source: r.source,
      packId: r.pack_id,
      version: r.version,
      errors: r.errors as PackErrorRecord[],
      checkedAt: r.checked_at,
    }));
  }

  /** Folder a pack's assets are served from. */
  async sourceOf(packId: string): Promise<string | null> {
    const cached = this.sources.get(packId);
    if (cached) return cached;
    const row = await this.db.selectFrom('content_packs').select('source').where('id', '=', packId).executeTakeFirst();
    if (row) this.sources.set(packId, row.source);
    return row?.source ?? null;
  }

  private async refreshSources(): Promise<void> {
    const rows = await this.db.selectFrom('content_packs').select(['id', 'source']).execute();
    this.sources = new Map(rows.map((r) => [r.id, r.source]));
  }
}
