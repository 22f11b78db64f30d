import type { Access } from '../auth/permissions.js';
import type { SessionUser } from '../auth/sessionUser.js';
import type { PluginContext } from './context.js';

export interface NavEntry {
  id: string;
  /** French label, short. */
  label: string;
  href: string;
  can: Access;
  /** Lower comes first; the core uses 0 (Accueil) and 1000 (Administration). */
  order?: number;
  /**
   * French name of the section the entry belongs to: a plugin's entries with the same section
   * are one link of the main bar, and a bar of their own on the section's pages.
   */
  section?: string;
}

export interface WidgetRenderContext {
  user: SessionUser;
  /** Renders one of the owner's views to an HTML string. */
  partial(view: string, locals?: Record<string, unknown>): Promise<string>;
}

export interface WidgetDecl {
  id: string;
  title: string;
  can: Access;
  order?: number;
  wide?: boolean;
  /** HTML of the widget body, or null to show nothing for this user. */
  render(context: WidgetRenderContext, plugin: PluginContext<any>): Promise<string | null>;
}

/** A widget as the dashboard sees it: bound to its owner's context. */
export interface RegisteredWidget extends Omit<WidgetDecl, 'render'> {
  owner: string;
  viewsDir: string;
  render(context: WidgetRenderContext): Promise<string | null>;
}

export interface RouteRecord {
  owner: string;
  method: string;
  path: string;
  access: Access;
  csrf: boolean;
}

/** What the core and plugins contributed, read by the layout and the admin pages. */
export class Registry {
  readonly nav: (NavEntry & { owner: string })[] = [];
  readonly widgets: RegisteredWidget[] = [];
  readonly routes: RouteRecord[] = [];

  addNav(owner: string, entries: NavEntry[]): void {
    for (const e of entries) this.nav.push({ ...e, owner });
    this.nav.sort((a, b) => (a.order ?? 100) - (b.order ?? 100));
  }

  addWidgets(owner: string, viewsDir: string, widgets: WidgetDecl[], plugin: PluginContext<any>): void {
    for (const w of widgets) this.widgets.push({ ...w, owner, viewsDir, render: (context) => w.render(context, plugin) });
  }
}
