import type { SessionUser } from '../auth/sessionUser.js';
import type { Permissions } from '../auth/permissions.js';
import type { NavItem } from '../plugins/hooks.js';
import type { NavEntry } from '../plugins/registry.js';

/**
 * The main navigation a user may see. Entries of one plugin that name the same `section` become
 * one link of the main bar (to the first of them the user may open), and the section's own bar
 * lists them on its pages: a RUPN's bar went from eleven links on two rows to nine, a DANE
 * member's from sixteen to ten. A section the user sees only one entry of stays a section, so its
 * label does not change from one person to the next.
 */
export function navigationFor(entries: readonly (NavEntry & { owner: string })[], user: SessionUser | null, permissions: Permissions): NavItem[] {
  const items: NavItem[] = [];
  const sections = new Map<string, NavItem>();
  for (const entry of entries) {
    if (!permissions.allows(user, entry.can)) continue;
    const item: NavItem = { id: entry.id, label: entry.label, href: entry.href, order: entry.order ?? 100 };
    if (!entry.section) {
      items.push(item);
      continue;
    }
    const key = `${entry.owner}\u0000${entry.section}`;
    const section = sections.get(key);
    if (section) {
      section.children!.push(item);
      continue;
    }
    const created: NavItem = { id: `${entry.owner}-${entry.id}`, label: entry.section, href: item.href, order: item.order, children: [item] };
    sections.set(key, created);
    items.push(created);
  }
  return items;
}

/** Whether a link of the bar leads to the page shown or above it (the home link only to itself). */
export function linkIsActive(href: string, currentPath: string): boolean {
  return href === '/' ? currentPath === '/' : currentPath === href || currentPath.startsWith(`${href}/`);
}

/**
 * The section the current page belongs to: one of its entries leads there. Among entries that
 * both match (`/chat` and `/chat/moderation`), the longer one decides which is current. A page
 * below the folder all the section's entries share (a module, `/training/modules/…`, in
 * Formation's `/training`) is in the section too, with no entry current.
 */
export function currentSection(nav: NavItem[], currentPath: string): { section: NavItem; current: NavItem | null } | null {
  let best: { section: NavItem; current: NavItem } | null = null;
  for (const section of nav) {
    for (const child of section.children ?? []) {
      if (linkIsActive(child.href, currentPath) && (!best || child.href.length > best.current.href.length)) best = { section, current: child };
    }
  }
  if (best) return best;
  for (const section of nav) {
    const folder = section.children ? sharedFolder(section.children.map((c) => c.href)) : null;
    if (folder && linkIsActive(folder, currentPath)) return { section, current: null };
  }
  return null;
}

/** The longest folder every link is in (`/training` for `/training/catalogue` and `/training/suivi`), if any. */
function sharedFolder(hrefs: string[]): string | null {
  const split = hrefs.map((href) => href.split('/').filter(Boolean));
  const shared: string[] = [];
  for (let i = 0; split.every((parts) => i < parts.length && parts[i] === split[0]![i]); i++) shared.push(split[0]![i]!);
  return shared.length ? `/${shared.join('/')}` : null;
}
