import fs from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';
import { LRUCache } from 'lru-cache';
import type { Request, Response } from 'express';
import type { Permissions, Capability } from '../auth/permissions.js';
import type { HookBus, LayoutParts, NavItem } from '../plugins/hooks.js';
import type { Registry } from '../plugins/registry.js';
import { takeFlash } from './flash.js';
import { viewHelpers } from './viewHelpers.js';

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
    const data = { ...common, ...res.locals, ...locals, fragment: this.fragmentsBeside(file) };
    const body = await this.file(file, data);
    const html = await this.file(path.join(CORE_VIEWS_DIR, 'layout.ejs'), { ...data, body });
    res.status(status).type('html').send(html);
  }

  /** A view rendered alone (widgets, fragments), with the same helpers as pages. */
  async partial(file: string, locals: Record<string, unknown> = {}): Promise<string> {
    return this.file(file, { ...viewHelpers, ...locals });
  }

  private readonly compiled = new Map<string, ejs.TemplateFunction>();
  /** Rendered fragments by template and cache key: 32 million characters at most per app. */
  private readonly fragments = new LRUCache<string, string>({ maxSize: 32_000_000, sizeCalculation: (html) => html.length || 1 });

  /**
   * `fragment('_post', { post })` in a view: a template beside it, rendered with the view
   * helpers and the given locals only. Made for loops (50 posts on a topic page): EJS's
   * include copies every page local and looks the file up on disk at each call, which cost a
   * fifth of the topic page's CPU.
   *
   * With a third argument, `fragment('_post', { post }, key)`, the HTML is kept under that key
   * and reused while the key is the same: the key must name everything the output depends
   * on (a record's id and version, what the view shows of related records, the locals).
   * Nothing tied to one reader (CSRF token, "mine", "liked") may go into a cached fragment.
   */
  private fragmentsBeside(viewFile: string) {
    const dir = path.dirname(viewFile);
    return (name: string, locals: Record<string, unknown>, cacheKey?: string): string => {
      const file = path.resolve(dir, name.endsWith('.ejs') ? name : `${name}.ejs`);
      const key = cacheKey === undefined || !this.options.cache ? null : `${file}\u0000${cacheKey}`;
      const kept = key === null ? undefined : this.fragments.get(key);
      if (kept !== undefined) return kept;
      let template = this.compiled.get(file);
      if (!template) {
        template = ejs.compile(fs.readFileSync(file, 'utf8'), { filename: file, views: [CORE_VIEWS_DIR], async: false }) as ejs.TemplateFunction;
        if (this.options.cache) this.compiled.set(file, template);
      }
      const html = template({ ...viewHelpers, ...locals }) as string;
      if (key !== null) this.fragments.set(key, html);
      return html;
    };
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
    const navBase: NavItem[] = registry.nav
      .filter((entry) => permissions.allows(user, entry.can))
      .map((entry) => ({ id: entry.id, label: entry.label, href: entry.href, order: entry.order ?? 100 }));
    const [nav, parts] = await Promise.all([
      hooks.applyFilters('layout:nav', navBase, { user, path: currentPath }),
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
      isActive: (href: string) => (href === '/' ? currentPath === '/' : currentPath === href || currentPath.startsWith(`${href}/`)),
    };
  }
}
