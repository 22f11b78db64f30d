import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../log.js';
import { IdpConfigError, type IdentityProviderConfig } from '../identityProviders.js';
import { parseIdpMetadata, type IdpMetadata } from './idpMetadata.js';
import { MAX_METADATA_BYTES } from './xmlSafety.js';

/** An IdP as the rest of Maillon sees it: its configuration and the last good metadata. */
export interface IdpState {
  config: IdentityProviderConfig;
  metadata: IdpMetadata | null;
  /** When the metadata in use was read. */
  loadedAt: Date | null;
  /** Where the metadata in use came from: the configured source, or the last good copy on disk. */
  loadedFrom: 'source' | 'cache' | null;
  lastAttemptAt: Date | null;
  /** Why the last attempt failed (the previous metadata is kept meanwhile). */
  error: string | null;
}

const FETCH_TIMEOUT_MS = 10_000;

/**
 * The configured IdPs and their metadata, refreshed periodically. A failed refresh keeps the
 * last good copy (in memory, and on disk for metadata fetched from a URL, so a restart while
 * the IdP's server is down still works).
 */
export class IdpRegistry {
  private readonly states = new Map<string, IdpState>();
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    configs: IdentityProviderConfig[],
    private readonly options: { cacheDir: string; log: Logger },
  ) {
    for (const config of configs) {
      this.states.set(config.id, { config, metadata: null, loadedAt: null, loadedFrom: null, lastAttemptAt: null, error: null });
    }
  }

  /** Loads every IdP's metadata. `strict` (production): the first IdP that cannot be read stops everything. */
  async loadAll(strict: boolean): Promise<void> {
    for (const state of this.states.values()) {
      await this.refresh(state.config.id);
      if (strict && !state.metadata) {
        throw new IdpConfigError(`fournisseur d'identité « ${state.config.id} » (${state.config.name}) : ${state.error}`);
      }
    }
  }

  startRefreshing(): void {
    for (const state of this.states.values()) {
      const timer = setInterval(() => void this.refresh(state.config.id), state.config.metadata.refreshMinutes * 60_000);
      timer.unref();
      this.timers.push(timer);
    }
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
  }

  get(id: string): IdpState | undefined {
    return this.states.get(id);
  }

  list(): IdpState[] {
    return [...this.states.values()];
  }

  /** IdPs a user can log in with now. */
  usable(): (IdpState & { metadata: IdpMetadata })[] {
    return this.list().filter((s): s is IdpState & { metadata: IdpMetadata } => s.metadata !== null);
  }

  async refresh(id: string): Promise<IdpState> {
    const state = this.states.get(id);
    if (!state) throw new Error(`fournisseur inconnu : ${id}`);
    state.lastAttemptAt = new Date();
    const source = state.config.metadata;
    try {
      const xml = 'file' in source ? await readMetadataFile(source.file) : await fetchMetadata(source.url);
      const metadata = parseIdpMetadata(xml, source.entityId);
      Object.assign(state, { metadata, loadedAt: new Date(), loadedFrom: 'source', error: null });
      if ('url' in source) await this.keepCopy(id, xml);
    } catch (error) {
      state.error = (error as Error).message;
      this.options.log.warn({ idp: id, err: state.error }, 'métadonnées SAML non rechargées');
      if (!state.metadata && 'url' in source) await this.loadCopy(state);
    }
    return state;
  }

  private copyFile(id: string): string {
    return path.join(this.options.cacheDir, `${id}.xml`);
  }

  private async keepCopy(id: string, xml: string): Promise<void> {
    await fs.mkdir(this.options.cacheDir, { recursive: true });
    const file = this.copyFile(id);
    await fs.writeFile(`${file}.tmp`, xml);
    await fs.rename(`${file}.tmp`, file);
  }

  private async loadCopy(state: IdpState): Promise<void> {
    try {
      const xml = await fs.readFile(this.copyFile(state.config.id), 'utf8');
      const stat = await fs.stat(this.copyFile(state.config.id));
      state.metadata = parseIdpMetadata(xml, state.config.metadata.entityId);
      state.loadedAt = stat.mtime;
      state.loadedFrom = 'cache';
    } catch {
      // No usable copy either: the IdP stays unavailable, with its error shown to admins.
    }
  }
}

async function readMetadataFile(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    throw new Error(`fichier de métadonnées illisible : ${file}`);
  }
}

async function fetchMetadata(url: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'follow' });
  } catch (error) {
    throw new Error(`métadonnées injoignables : ${url} (${(error as Error).message})`);
  }
  if (!response.ok) throw new Error(`métadonnées injoignables : ${url} (HTTP ${response.status})`);
  const text = await response.text();
  if (Buffer.byteLength(text) > MAX_METADATA_BYTES) throw new Error(`métadonnées trop volumineuses : ${url}`);
  return text;
}
