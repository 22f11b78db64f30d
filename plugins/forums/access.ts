import type { SessionUser } from '../../server/auth/sessionUser.js';
import type { PluginContext } from '../../server/plugins/context.js';
import { ROLE_LABELS, isRole } from '../../server/auth/roles.js';
import type { ForumSettings } from './settings.js';

export type Ctx = PluginContext<ForumSettings>;

/** A category is readable by everyone signed in when it names no roles; admins read everything. */
export function canReadCategory(user: SessionUser | null | undefined, readRoles: string[]): boolean {
  if (!readRoles.length) return !!user;
  if (!user) return false;
  return user.roles.includes('admin') || user.roles.some((r) => readRoles.includes(r));
}

/** Where a moderator acts: a category, or a topic through its category. */
export interface ModerationScope {
  departmentCode: string | null;
}

/**
 * Moderators of a category: admins and académie-wide DANE members everywhere; a DANE
 * coordinator attached to a département moderates that département's category and the
 * académie-wide ones (académie, themes), not the other départements'. Without a scope: whether
 * the person moderates anywhere (the queue, the rate limit, first-post approval).
 */
export function isModerator(ctx: Ctx, user: SessionUser | null | undefined, scope?: ModerationScope): boolean {
  if (!user || !ctx.permissions.can(user, 'forums:moderate')) return false;
  if (!scope?.departmentCode || user.roles.includes('admin') || !user.department) return true;
  return user.department.code === scope.departmentCode;
}

// The role shown beside a name: the one that says most about why the person speaks.
const ROLE_ORDER = ['dane', 'rupn', 'chef', 'enseignant', 'admin'] as const;

export function mainRoleLabel(roles: string[]): string {
  const role = ROLE_ORDER.find((r) => roles.includes(r)) ?? roles.find(isRole);
  return role && isRole(role) ? ROLE_LABELS[role] : 'Membre';
}
