import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';
import { LRUCache } from 'lru-cache';
import type { Request, Response } from 'express';
import type { Permissions, Capability } from '../auth/permissions.js';
import type { HookBus, LayoutParts } from '../plugins/hooks.js';
import type { Registry } from '../plugins/registry.js';
import { takeFlash } from './flash.js';
import { viewHelpers } from './viewHelpers.js';
import { currentSection, linkIsActive, navigationFor } from './navigation.js';

export const CORE_VIEWS_DIR = path.resolve(import.meta.dirname, '..', '..', 'views');

export interface PageLocals {
  /** The page's h1 and <title>. */
  title: string;
  [key: string]: unknown;
}

/**
 * Every HTML page goes through here: the view is rendered, then wrapped in the layout with
 * the navigation and page furniture that plugins contributed through hooks.
 */
export class Renderer {
  constructor(
    private readonly options: {
      cache: boolean;
      hooks: HookBus;
      registry: Registry;
      permissions: Permissions;
      csrfToken: (req: Request) => string;
      appVersion: string;
    },
  ) {}

  async page(req: Request, res: Response, file: string, locals: PageLocals, status = 200): Promise<void> {
    const common = await this.commonLocals(req);
    const kept: Buffer[] = [];
    const data = { ...common, ...res.locals, ...locals, fragment: this.fragmentsBeside(file, kept) };
    const body = await this.file(file, data);
    const html = await this.file(path.join(CORE_VIEWS_DIR, 'layout.ejs'), { ...data, body });
    res.status(status).type('html').send(kept.length ? this.assemble(html, kept) : html);
  }

  /** A view rendered alone (widgets, fragments), with the same helpers as pages. */
  async partial(file: string, locals: Record<string, unknown> = {}): Promise<string> {
    return this.file(file, { ...viewHelpers, ...locals });
  }

  private readonly compiled = new Map<string, ejs.TemplateFunction>();
  /** Rendered fragments by template and cache key, encoded: 32 MB at most per app. */
  private readonly fragments = new LRUCache<string, Buffer>({ maxSize: 32_000_000, sizeCalculation: (bytes) => bytes.length || 1 });
  /** Stands for a kept fragment in a page until `assemble`; random, so no user text can forge it. */
  private readonly slotMark = `\u0000${crypto.randomBytes(9).toString('base64url')}:`;
  private readonly slotPattern = new RegExp(`${this.slotMark}(\\d+)\u0000`);

  /**
   * `fragment('_post', { post })` in a view: a template beside it, rendered with the view
   * helpers and the given locals only. Made for loops (50 posts on a topic page): EJS's
   * include copies every page local and looks the file up on disk at each call, which cost a
   * fifth of the topic page's CPU. Fragments are compiled with `rmWhitespace` (so no <pre> or
   * <textarea> text in them): indentation repeated 50 times was a tenth of a topic page.
   *
   * With a third argument, `fragment('_post', { post }, key)`, the HTML is kept under that key
   * and reused while the key is the same: the key must name everything the output depends
   * on (a record's id and version, what the view shows of related records, the locals).
   * Nothing tied to one reader (CSRF token, "mine", "liked") may go into a cached fragment
   * unless the key names it.
   *
   * A kept fragment is stored as UTF-8 bytes and joins the page only as bytes (`assemble`):
   * encoding an 80 KB page to UTF-8 at every request was a tenth of the topic page's CPU.
   */
  private fragmentsBeside(viewFile: string, kept: Buffer[]) {
    const dir = path.dirname(viewFile);
    return (name: string, locals: Record<string, unknown>, cacheKey?: string): string => {
      const { file, id } = this.fragmentFile(dir, name);
      if (cacheKey === undefined || !this.options.cache) return this.renderFragment(file, locals);
      const key = `${id}\u0000${cacheKey}`;
      let bytes = this.fragments.get(key);
      if (bytes === undefined) this.fragments.set(key, (bytes = Buffer.from(this.renderFragment(file, locals))));
      kept.push(bytes);
      return `${this.slotMark}${kept.length - 1}\u0000`;
    };
  }

  /**
   * Fragment files by the folder of the view that names them, then by name, each with a short
   * number that stands for it in cache keys (a key is hashed at every lookup).
   */
  private readonly fragmentFiles = new Map<string, Map<string, { file: string; id: number }>>();
  private fileCount = 0;
  private fragmentFile(dir: string, name: string): { file: string; id: number } {
    let names = this.fragmentFiles.get(dir);
    if (!names) this.fragmentFiles.set(dir, (names = new Map()));
    let found = names.get(name);
    if (!found) names.set(name, (found = { file: path.resolve(dir, name.endsWith('.ejs') ? name : `${name}.ejs`), id: this.fileCount++ }));
    return found;
  }

  private renderFragment(file: string, locals: Record<string, unknown>): string {
    let template = this.compiled.get(file);
    if (!template) {
      template = ejs.compile(fs.readFileSync(file, 'utf8'), { filename: file, views: [CORE_VIEWS_DIR], async: false, rmWhitespace: true }) as ejs.TemplateFunction;
      if (this.options.cache) this.compiled.set(file, template);
    }
    return template({ ...viewHelpers, ...locals }) as string;
  }

  /** The page as bytes: its own text encoded, each slot replaced by the fragment kept for it. */
  private assemble(html: string, kept: Buffer[]): Buffer {
    // split with a capturing group alternates text and slot numbers: text, n, text, n, text.
    const parts = html.split(this.slotPattern);
    const chunks = parts.map((part, i) => (i % 2 === 0 ? Buffer.from(part) : kept[Number(part)]!));
    return Buffer.concat(chunks);
  }

  private file(file: string, data: Record<string, unknown>): Promise<string> {
    return ejs.renderFile(file, data, {
      cache: this.options.cache,
      views: [CORE_VIEWS_DIR],
      async: false,
    });
  }

  private async commonLocals(req: Request) {
    const user = req.user ?? null;
    const { hooks, registry, permissions } = this.options;
    // req.path is relative to a plugin's mount point; the layout needs the full path.
    const currentPath = req.originalUrl.split('?')[0] ?? '/';
    const [nav, parts] = await Promise.all([
      hooks.applyFilters('layout:nav', navigationFor(registry.nav, user, permissions), { user, path: currentPath }),
      hooks.applyFilters('layout:page', { notices: [], headerItems: [], footerLinks: [] } satisfies LayoutParts, {
        user,
        path: currentPath,
      }),
    ]);
    let token: string | undefined;
    return {
      ...viewHelpers,
      user,
      currentPath,
      nav,
      parts,
      flash: takeFlash(req),
      appVersion: this.options.appVersion,
      can: (capability: Capability) => permissions.can(user, capability),
      // Generated on first use, so pages without a form do not open a session.
      csrfToken: () => (token ??= this.options.csrfToken(req)),
      isActive: (href: string) => linkIsActive(href, currentPath),
      navSection: currentSection(nav, currentPath),
    };
  }
}
