import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { DB, PackErrorRecord } from '../db/schema.js';
import { ArchiveError, extractPackArchive, type ArchiveLimits, ARCHIVE_LIMITS } from './packArchive.js';
import { readPack } from './packReader.js';
import { compareVersions, versionVerdict } from './packInstaller.js';
import type { PackLibrary, PackLoadResult } from './packLibrary.js';

export type UploadOutcome =
  | PackLoadResult
  | { status: 'rejected'; packId: string | null; version: string | null; errors: PackErrorRecord[] };

const VERSION_DIR = /^\d+\.\d+\.\d+$/;

/**
 * Installs a pack sent as a ZIP archive. The archive is extracted aside and checked with the
 * same reader as the content folder; only a valid, newer pack is moved to
 * `<packsDir>/<id>/<version>/` and installed. Whatever fails, nothing installed changes and
 * nothing is left on disk.
 */
export async function packUploader(props: {
  library: PackLibrary;
  db: DB;
  /** `DATA_DIR/packs`. */
  packsDir: string;
  archive: Buffer;
  fileName: string;
  limits?: ArchiveLimits;
}): Promise<UploadOutcome> {
  const staging = path.join(props.packsDir, '.staging', randomUUID());
  await fs.mkdir(path.dirname(staging), { recursive: true });
  try {
    let root: string;
    try {
      root = await extractPackArchive(props.archive, staging, props.limits ?? ARCHIVE_LIMITS);
    } catch (error) {
      if (!(error instanceof ArchiveError)) throw error;
      const file = error.entry ? `${props.fileName} › ${error.entry}` : props.fileName;
      return { status: 'rejected', packId: null, version: null, errors: [{ file, message: error.message }] };
    }
    const read = await readPack(root);
    if (!read.ok) return { status: 'rejected', packId: read.packId, version: read.version, errors: read.errors };
    const { id, version } = read.pack.manifest;
    const installed = await props.db.selectFrom('content_packs').select(['version', 'checksum']).where('id', '=', id).executeTakeFirst();
    const verdict = versionVerdict(installed ?? null, id, version, read.pack.checksum);
    if (verdict) return verdict;

    const target = path.join(props.packsDir, id, version);
    // A folder left by an upload that was later refused (the installed version is older here).
    await fs.rm(target, { recursive: true, force: true });
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.rename(root, target);
    const outcome = await props.library.install(target);
    if (outcome.status !== 'installed' && outcome.status !== 'updated') await fs.rm(target, { recursive: true, force: true });
    return outcome;
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

export interface PackVersion {
  version: string;
  dir: string;
  origin: 'upload' | 'folder';
  current: boolean;
  storedAt: Date;
}

/** Versions of a pack that can be downloaded: every uploaded one kept on disk, and the installed one. */
export async function packVersions(packsDir: string, packId: string, current: { version: string; source: string }): Promise<PackVersion[]> {
  const versions: PackVersion[] = [];
  let names: string[] = [];
  try {
    names = (await fs.readdir(path.join(packsDir, packId), { withFileTypes: true })).filter((e) => e.isDirectory() && VERSION_DIR.test(e.name)).map((e) => e.name);
  } catch {
    // No upload for this pack yet.
  }
  for (const name of names) {
    const dir = path.join(packsDir, packId, name);
    versions.push({ version: name, dir, origin: 'upload', current: dir === current.source, storedAt: (await fs.stat(dir)).mtime });
  }
  if (!versions.some((v) => v.current)) {
    const stat = await fs.stat(current.source).catch(() => null);
    if (stat) versions.push({ version: current.version, dir: current.source, origin: 'folder', current: true, storedAt: stat.mtime });
  }
  return versions.sort((a, b) => compareVersions(b.version, a.version));
}
