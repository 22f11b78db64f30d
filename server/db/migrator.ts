import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import type { DB } from './schema.js';

export class MigrationError extends Error {
  constructor(readonly scope: string, readonly file: string | null, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

export interface MigrationFile {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

const FILE_PATTERN = /^(\d{3,})_([a-z0-9_-]+)\.sql$/;

/** Reads `NNN_name.sql` files in version order; a folder that does not exist holds no migration. */
export async function readMigrations(scope: string, dir: string): Promise<MigrationFile[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files: MigrationFile[] = [];
  for (const file of names.filter((n) => n.endsWith('.sql')).sort()) {
    const match = FILE_PATTERN.exec(file);
    if (!match) {
      throw new MigrationError(scope, file, `nom de migration invalide « ${file} » (attendu : 001_description.sql)`);
    }
    const text = await fs.readFile(path.join(dir, file), 'utf8');
    files.push({
      version: Number(match[1]),
      name: match[2]!,
      file,
      sql: text,
      checksum: createHash('sha256').update(text).digest('hex'),
    });
  }
  for (let i = 1; i < files.length; i++) {
    if (files[i]!.version === files[i - 1]!.version) {
      throw new MigrationError(scope, files[i]!.file, `deux migrations portent le numéro ${files[i]!.version}`);
    }
  }
  return files;
}

export async function ensureMigrationTable(db: DB): Promise<void> {
  await sql`
    create table if not exists schema_migrations (
      scope text not null,
      version integer not null,
      name text not null,
      checksum text not null,
      applied_at timestamptz not null default now(),
      primary key (scope, version)
    )`.execute(db);
}

/**
 * Applies the pending migrations of one scope (the core or a plugin) in a single transaction:
 * either all of them land, or the database is left exactly as it was. Several processes
 * starting together wait on an advisory lock instead of racing.
 */
export async function migrate(db: DB, scope: string, migrations: MigrationFile[]): Promise<string[]> {
  await ensureMigrationTable(db);
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('maillon:migrations'))`.execute(trx);
    const applied = await trx
      .selectFrom('schema_migrations')
      .select(['version', 'name', 'checksum'])
      .where('scope', '=', scope)
      .execute();
    const byVersion = new Map(applied.map((m) => [m.version, m]));
    for (const m of migrations) {
      const done = byVersion.get(m.version);
      if (done && done.checksum !== m.checksum) {
        throw new MigrationError(
          scope,
          m.file,
          `la migration ${m.file} a été modifiée après avoir été appliquée : une migration publiée ne se modifie pas, ajoutez-en une nouvelle`,
        );
      }
    }
    const pending = migrations.filter((m) => !byVersion.has(m.version));
    for (const m of pending) {
      try {
        await sql.raw(m.sql).execute(trx);
      } catch (error) {
        throw new MigrationError(scope, m.file, `échec de la migration ${m.file} : ${(error as Error).message}`, {
          cause: error,
        });
      }
      await trx
        .insertInto('schema_migrations')
        .values({ scope, version: m.version, name: m.name, checksum: m.checksum })
        .execute();
    }
    return pending.map((m) => m.file);
  });
}
