import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileTypeFromBuffer } from 'file-type';
import type { DB, FileCategory, Tx } from '../db/schema.js';
import type { SessionUser } from '../auth/sessionUser.js';
import { HttpError } from '../web/errors.js';

/** The formats Maillon accepts, recognised by their first bytes, never by the name or the browser's word. */
const FORMATS: Record<string, { category: FileCategory; label: string }> = {
  'image/png': { category: 'image', label: 'PNG' },
  'image/jpeg': { category: 'image', label: 'JPEG' },
  'image/gif': { category: 'image', label: 'GIF' },
  'image/webp': { category: 'image', label: 'WebP' },
  'application/pdf': { category: 'document', label: 'PDF' },
  'application/vnd.oasis.opendocument.text': { category: 'document', label: 'ODT' },
  'application/vnd.oasis.opendocument.spreadsheet': { category: 'document', label: 'ODS' },
  'application/vnd.oasis.opendocument.presentation': { category: 'document', label: 'ODP' },
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': { category: 'document', label: 'DOCX' },
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { category: 'document', label: 'XLSX' },
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': { category: 'document', label: 'PPTX' },
  'text/plain': { category: 'document', label: 'texte' },
  'text/csv': { category: 'document', label: 'CSV' },
};
// Plain text has no signature: accepted when it is valid UTF-8 without NUL bytes and named so.
const TEXT_EXTENSIONS: Record<string, string> = { '.txt': 'text/plain', '.md': 'text/plain', '.csv': 'text/csv' };

/** `images`, `documents`, `any`, or a list of MIME types among the accepted formats. */
export type Accept = 'images' | 'documents' | 'any' | string[];

export interface StoredFile {
  id: string;
  owner: string;
  userId: number | null;
  name: string;
  mime: string;
  category: FileCategory;
  size: number;
  sha256: string;
  createdAt: Date;
  /** Where it is served: `/files/<id>/<name>`. */
  url: string;
}

export interface FileInput {
  buffer: Buffer;
  /** The name the person gave it (kept for display and downloads, never used as a path). */
  name: string;
  userId?: number | null;
}

export type FileAccessCheck = (file: StoredFile, user: SessionUser | null) => boolean | Promise<boolean>;

/**
 * Uploaded files: checked (size, format by magic bytes), stored once under DATA_DIR/files by
 * their SHA-256, described in the `files` table under the id that their URL carries. Who may
 * read a file is decided by the plugin that owns it.
 */
export class FileStore {
  private readonly access = new Map<string, FileAccessCheck>();

  constructor(private readonly deps: { db: DB; dir: string; maxBytes: number }) {}

  get maxBytes(): number {
    return this.deps.maxBytes;
  }

  setAccess(owner: string, check: FileAccessCheck): void {
    this.access.set(owner, check);
  }

  /** Without a check from its owner, a file is readable by the person who uploaded it (and admins). */
  async canRead(file: StoredFile, user: SessionUser | null): Promise<boolean> {
    const check = this.access.get(file.owner);
    if (check) return check(file, user);
    return Boolean(user && (user.id === file.userId || user.roles.includes('admin')));
  }

  /** The format of some bytes, or a 415 naming what is accepted. */
  async inspect(buffer: Buffer, name: string, accept: Accept = 'any'): Promise<{ mime: string; category: FileCategory }> {
    const allowed = allowedMimes(accept);
    const detected = (await fileTypeFromBuffer(buffer))?.mime ?? textMime(buffer, name);
    if (!detected || !allowed.includes(detected)) {
      const labels = [...new Set(allowed.map((m) => FORMATS[m]!.label))].join(', ');
      throw new HttpError(415, `Le fichier « ${displayName(name)} » n'est pas dans un format accepté (formats acceptés : ${labels}).`, { field: 'file' });
    }
    return { mime: detected, category: FORMATS[detected]!.category };
  }

  checkSize(size: number, maxBytes = this.deps.maxBytes): void {
    if (size > maxBytes) throw tooLarge(maxBytes);
    if (size === 0) throw new HttpError(400, 'Le fichier envoyé est vide.', { field: 'file' });
  }

  async save(owner: string, input: FileInput, options: { accept?: Accept; maxBytes?: number; trx?: Tx } = {}): Promise<StoredFile> {
    this.checkSize(input.buffer.length, options.maxBytes);
    const { mime, category } = await this.inspect(input.buffer, input.name, options.accept);
    const sha256 = createHash('sha256').update(input.buffer).digest('hex');
    await this.writeBlob(sha256, input.buffer);
    const row = await (options.trx ?? this.deps.db)
      .insertInto('files')
      .values({
        id: randomBytes(18).toString('base64url'),
        owner,
        user_id: input.userId ?? null,
        name: displayName(input.name),
        mime,
        category,
        size: input.buffer.length,
        sha256,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return present(row);
  }

  async get(id: string): Promise<StoredFile | null> {
    if (!/^[A-Za-z0-9_-]{16,64}$/.test(id)) return null;
    const row = await this.deps.db.selectFrom('files').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? present(row) : null;
  }

  /** Removes a file of an owner; its bytes go when no other file shares them. */
  async remove(owner: string, id: string): Promise<boolean> {
    const row = await this.deps.db.deleteFrom('files').where('id', '=', id).where('owner', '=', owner).returning('sha256').executeTakeFirst();
    if (!row) return false;
    const other = await this.deps.db.selectFrom('files').select('id').where('sha256', '=', row.sha256).executeTakeFirst();
    if (!other) await fs.rm(this.blobPath(row.sha256), { force: true });
    return true;
  }

  blobPath(sha256: string): string {
    return path.join(this.deps.dir, sha256.slice(0, 2), sha256);
  }

  private async writeBlob(sha256: string, buffer: Buffer): Promise<void> {
    const target = this.blobPath(sha256);
    try {
      await fs.access(target);
      return; // same bytes already stored
    } catch {
      // not stored yet
    }
    await fs.mkdir(path.dirname(target), { recursive: true });
    // Written aside then renamed, so a reader never sees half a file.
    const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    await fs.writeFile(temp, buffer);
    await fs.rename(temp, target);
  }
}

export function fileUrl(file: { id: string; name: string }): string {
  return `/files/${file.id}/${encodeURIComponent(file.name)}`;
}

export function tooLarge(maxBytes: number): HttpError {
  const mb = maxBytes / (1024 * 1024);
  const shown = mb >= 1 ? `${new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 }).format(mb)} Mo` : `${Math.ceil(maxBytes / 1024)} Ko`;
  return new HttpError(413, `Le fichier dépasse la taille maximale de ${shown}.`, { field: 'file' });
}

function allowedMimes(accept: Accept): string[] {
  if (accept === 'any') return Object.keys(FORMATS);
  if (accept === 'images') return Object.keys(FORMATS).filter((m) => FORMATS[m]!.category === 'image');
  if (accept === 'documents') return Object.keys(FORMATS).filter((m) => FORMATS[m]!.category === 'document');
  const unknown = accept.filter((m) => !FORMATS[m]);
  if (unknown.length) throw new Error(`format de fichier non pris en charge : ${unknown.join(', ')}`);
  return accept;
}

function textMime(buffer: Buffer, name: string): string | null {
  const mime = TEXT_EXTENSIONS[path.extname(name).toLowerCase()];
  if (!mime || buffer.includes(0)) return null;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buffer);
    return mime;
  } catch {
    return null;
  }
}

/** A name safe to show and to offer as a download: no path, no control characters. */
function displayName(name: string): string {
  const base = (name || '').split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\u0000-\u001f\u007f"]/g, '').trim().slice(-200);
  return clean || 'fichier';
}

function present(row: import('kysely').Selectable<import('../db/schema.js').Schema['files']>): StoredFile {
  return {
    id: row.id,
    owner: row.owner,
    userId: row.user_id,
    name: row.name,
    mime: row.mime,
    category: row.category,
    size: row.size,
    sha256: row.sha256,
    createdAt: row.created_at,
    url: fileUrl(row),
  };
}
