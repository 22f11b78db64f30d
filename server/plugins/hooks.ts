import type { Logger } from '../log.js';
import type { SessionUser } from '../auth/sessionUser.js';
import type { Role } from '../auth/roles.js';

/** A link of the main navigation; a section's link holds the entries of its own bar. */
export interface NavItem {
  id: string;
  label: string;
  href: string;
  order: number;
  children?: NavItem[];
}

/** A block of the home dashboard, rendered to HTML by its owner (through its own views). */
export interface WidgetSlot {
  id: string;
  owner: string;
  title: string;
  order: number;
  /** Wide widgets take the whole row on large screens. */
  wide: boolean;
  render: () => Promise<string | null>;
}

/** Page furniture that plugins may add to every page: plain data, escaped by the layout. */
export interface LayoutParts {
  notices: { kind: 'info' | 'warning'; message: string }[];
  headerItems: { id: string; label: string; href: string; badge?: number }[];
  footerLinks: { label: string; href: string }[];
}

/** A section of the profile page, HTML rendered by its owner. */
export interface ProfileSection {
  id: string;
  title: string;
  html: string;
}

/**
 * Filters transform a value and return it, in priority order. Plugins add their own by
 * declaration merging, so a typo in a hook name fails at compile time:
 *
 *   declare module '../../server/plugins/hooks.js' {
 *     interface FilterHooks { 'forums:postBody': { value: string; context: { postId: number } } }
 *   }
 */
export interface FilterHooks {
  'layout:nav': { value: NavItem[]; context: { user: SessionUser | null; path: string } };
  'layout:page': { value: LayoutParts; context: { user: SessionUser | null; path: string } };
  'dashboard:widgets': { value: WidgetSlot[]; context: { user: SessionUser } };
  'profile:sections': { value: ProfileSection[]; context: { user: SessionUser } };
}

/** Actions are told that something happened. A failing listener is reported, never breaks the caller. */
export interface ActionHooks {
  'app:started': Record<string, never>;
  'user:created': { user: SessionUser; source: string };
  /** An account's profile changed at login (name, email, place, establishments, roles). */
  'user:updated': { user: SessionUser; changed: string[]; source: string };
  'user:loggedIn': { user: SessionUser; method: string };
  'user:loggedOut': { userId: number };
  'user:rolesChanged': { user: SessionUser; before: Role[]; after: Role[]; byUserId: number | null };
  'pack:installed': { packId: string; version: string; previousVersion: string | null; moduleIds: string[] };
  /** Someone left a mailing list through a signed one-click link (userId when the mail was for an account). */
  'mail:unsubscribed': { email: string; list: string; userId: number | null };
}

export type FilterName = keyof FilterHooks;
export type ActionName = keyof ActionHooks;
export type FilterHandler<K extends FilterName> = (
  value: FilterHooks[K]['value'],
  context: FilterHooks[K]['context'],
) => FilterHooks[K]['value'] | Promise<FilterHooks[K]['value']>;
export type ActionHandler<K extends ActionName> = (payload: ActionHooks[K]) => void | Promise<void>;

export type HookRegistration =
  | { kind: 'filter'; name: FilterName; handler: FilterHandler<any>; priority: number }
  | { kind: 'action'; name: ActionName; handler: ActionHandler<any>; priority: number };

/** Typed constructors for a plugin's `hooks` list. Lower priorities run first; the default is 10. */
export function filter<K extends FilterName>(name: K, handler: FilterHandler<K>, priority = 10): HookRegistration {
  return { kind: 'filter', name, handler, priority };
}
export function action<K extends ActionName>(name: K, handler: ActionHandler<K>, priority = 10): HookRegistration {
  return { kind: 'action', name, handler, priority };
}

export const CORE_FILTERS: FilterName[] = ['layout:nav', 'layout:page', 'dashboard:widgets', 'profile:sections'];
export const CORE_ACTIONS: ActionName[] = [
  'app:started',
  'user:created',
  'user:updated',
  'user:loggedIn',
  'user:loggedOut',
  'user:rolesChanged',
  'pack:installed',
  'mail:unsubscribed',
];

export interface HookFailure {
  owner: string;
  hook: string;
  message: string;
  at: Date;
}

interface Listener {
  owner: string;
  handler: (...args: any[]) => unknown;
  priority: number;
  seq: number;
}

export class HookBus {
  private readonly filters = new Map<string, Listener[]>();
  private readonly actions = new Map<string, Listener[]>();
  private seq = 0;

  constructor(private readonly log: Logger, private readonly onFailure: (failure: HookFailure) => void = () => {}) {}

  register(owner: string, registration: HookRegistration): void {
    const table = registration.kind === 'filter' ? this.filters : this.actions;
    const list = table.get(registration.name) ?? [];
    list.push({ owner, handler: registration.handler, priority: registration.priority, seq: this.seq++ });
    list.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
    table.set(registration.name, list);
  }

  unregisterOwner(owner: string): void {
    for (const table of [this.filters, this.actions]) {
      for (const [name, list] of table) table.set(name, list.filter((l) => l.owner !== owner));
    }
  }

  listeners(): { kind: 'filter' | 'action'; name: string; owner: string; priority: number }[] {
    const out: { kind: 'filter' | 'action'; name: string; owner: string; priority: number }[] = [];
    for (const [name, list] of this.filters) for (const l of list) out.push({ kind: 'filter', name, owner: l.owner, priority: l.priority });
    for (const [name, list] of this.actions) for (const l of list) out.push({ kind: 'action', name, owner: l.owner, priority: l.priority });
    return out;
  }

  async applyFilters<K extends FilterName>(
    name: K,
    value: FilterHooks[K]['value'],
    context: FilterHooks[K]['context'],
  ): Promise<FilterHooks[K]['value']> {
    let current = value;
    for (const listener of this.filters.get(name) ?? []) {
      try {
        const next = await listener.handler(current, context);
        // A filter that forgets to return its value is a bug: keep the value it was given.
        if (next !== undefined) current = next as FilterHooks[K]['value'];
        else this.fail(listener.owner, name, new Error("le filtre n'a pas renvoyé de valeur"));
      } catch (error) {
        this.fail(listener.owner, name, error);
      }
    }
    return current;
  }

  async doAction<K extends ActionName>(name: K, payload: ActionHooks[K]): Promise<void> {
    for (const listener of this.actions.get(name) ?? []) {
      try {
        await listener.handler(payload);
      } catch (error) {
        this.fail(listener.owner, name, error);
      }
    }
  }

  private fail(owner: string, hook: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.log.error({ plugin: owner, hook, err: error }, `le crochet ${hook} de l'extension ${owner} a échoué`);
    this.onFailure({ owner, hook, message, at: new Date() });
  }
}
