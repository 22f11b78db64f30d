import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { packFiles } from './packReader.js';

/** Limits of an uploaded pack archive: a pack is text and a few images, never hundreds of megabytes. */
export const ARCHIVE_LIMITS = {
  /** The uploaded file itself. */
  archiveBytes: 20 * 1024 * 1024,
  entries: 2000,
  /** One file once extracted. */
  entryBytes: 10 * 1024 * 1024,
  /** Everything once extracted. */
  totalBytes: 60 * 1024 * 1024,
  /** Above this compression ratio a large entry is taken for a zip bomb. */
  ratio: 200,
};
export type ArchiveLimits = typeof ARCHIVE_LIMITS;

/** An archive that cannot be a pack; the message is French and names the entry when there is one. */
export class ArchiveError extends Error {
  constructor(message: string, readonly entry?: string) {
    super(message);
    this.name = 'ArchiveError';
  }
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

/**
 * Extracts a ZIP archive into `destDir` (which must not exist yet) and returns the folder
 * that holds `pack.yaml`: the archive's root or its single top folder. Refuses paths that
 * leave the folder (zip slip), links, encrypted entries, too many or too large entries, and
 * entries whose real size exceeds what the archive declares (zip bombs).
 */
export async function extractPackArchive(archive: Buffer, destDir: string, limits: ArchiveLimits = ARCHIVE_LIMITS): Promise<string> {
  if (archive.length > limits.archiveBytes) throw new ArchiveError(`archive trop volumineuse (${mib(archive.length)} ; ${mib(limits.archiveBytes)} au plus)`);
  if (archive.length < 22 || archive.readUInt32LE(0) !== 0x04034b50) throw new ArchiveError("ce fichier n'est pas une archive ZIP");
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(archive, { lazyEntries: true, validateEntrySizes: true, strictFileNames: true, decodeStrings: true });
  } catch (error) {
    throw new ArchiveError(`archive ZIP illisible : ${(error as Error).message}`);
  }
  if (zip.entryCount > limits.entries) {
    zip.close();
    throw new ArchiveError(`archive de ${zip.entryCount} fichiers (${limits.entries} au plus)`);
  }
  const root = path.resolve(destDir);
  await fs.mkdir(root, { recursive: false });
  let total = 0;
  try {
    for await (const entry of zip.eachEntry()) {
      const name = entry.fileName;
      const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
      if (name.endsWith('/') || mode === S_IFDIR) continue;
      // Finder and editors leave these behind; they are never part of a pack.
      if (name.split('/').some((s) => s.startsWith('.') || s === '__MACOSX')) continue;
      const target = safeTarget(root, name);
      if (mode === S_IFLNK) throw new ArchiveError('les liens symboliques ne sont pas acceptés', name);
      if (entry.isEncrypted()) throw new ArchiveError('les fichiers chiffrés ne sont pas acceptés', name);
      if (entry.uncompressedSize > limits.entryBytes) throw new ArchiveError(`fichier trop volumineux une fois décompressé (${mib(entry.uncompressedSize)} ; ${mib(limits.entryBytes)} au plus)`, name);
      if (entry.uncompressedSize > 1024 * 1024 && entry.uncompressedSize > entry.compressedSize * limits.ratio) {
        throw new ArchiveError('taux de compression anormal (archive piégée ?)', name);
      }
      total += entry.uncompressedSize;
      if (total > limits.totalBytes) throw new ArchiveError(`contenu trop volumineux une fois décompressé (${mib(limits.totalBytes)} au plus)`);
      await fs.mkdir(path.dirname(target), { recursive: true });
      let written = 0;
      // validateEntrySizes stops a stream that outgrows its declared size; this counts as well.
      const guard = new Transform({
        transform(chunk: Buffer, _enc, done) {
          written += chunk.length;
          done(written > limits.entryBytes ? new ArchiveError('fichier plus grand que ce que déclare l’archive', name) : null, chunk);
        },
      });
      try {
        await pipeline(await zip.openReadStreamPromise(entry), guard, createWriteStream(target, { flags: 'wx' }));
      } catch (error) {
        if (error instanceof ArchiveError) throw error;
        throw new ArchiveError(`fichier illisible dans l'archive : ${(error as Error).message}`, name);
      }
    }
  } catch (error) {
    zip.close();
    if (error instanceof ArchiveError) throw error;
    throw new ArchiveError(`archive ZIP illisible : ${(error as Error).message}`);
  }
  return packRootOf(root);
}

/** The path an entry would be written to, or an error when it would land outside the folder. */
function safeTarget(root: string, name: string): string {
  if (name.includes('\\') || name.includes('\0') || path.posix.isAbsolute(name) || /^[a-zA-Z]:/.test(name)) {
    throw new ArchiveError('chemin interdit dans l’archive', name);
  }
  const target = path.resolve(root, name);
  if (!target.startsWith(root + path.sep)) throw new ArchiveError('chemin qui sort du dossier du parcours', name);
  return target;
}

/** Archives made by zipping a folder hold it as their only top entry: the pack is inside. */
async function packRootOf(root: string): Promise<string> {
  const entries = await fs.readdir(root, { withFileTypes: true });
  if (entries.some((e) => e.isFile() && e.name === 'pack.yaml')) return root;
  const dirs = entries.filter((e) => e.isDirectory());
  if (dirs.length === 1 && entries.length === 1) {
    const inner = path.join(root, dirs[0]!.name);
    if ((await fs.readdir(inner)).includes('pack.yaml')) return inner;
  }
  return root;
}

/** A pack folder as a ZIP stream (files only, hidden files left out), to download it back. */
export async function packArchiveStream(dir: string): Promise<NodeJS.ReadableStream> {
  const zip = new yazl.ZipFile();
  for (const file of await packFiles(dir)) zip.addFile(path.join(dir, file), file);
  zip.end();
  return zip.outputStream;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toLocaleString('fr-FR', { maximumFractionDigits: 1 })} Mio`;
}
