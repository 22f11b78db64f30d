import type { Tx } from '../db/schema.js';
import { ROLES, type Role } from '../auth/roles.js';
import { departmentOfUai } from '../geography/geography.js';
import { recordAudit } from '../audit/auditLog.js';
import type { SessionUser } from '../auth/sessionUser.js';

export interface EstablishmentLink {
  uai: string;
  function?: string | null;
  isPrimary?: boolean;
}

export interface UserCreatorProps {
  email: string;
  givenName: string;
  familyName: string;
  roles: Role[];
  establishments?: EstablishmentLink[];
  /** Where the user belongs when no establishment says it (DANE staff, admins). */
  departmentCode?: string | null;
  academyCode?: string | null;
  identity?: { provider: string; subject: string };
  actorId?: number | null;
}

/**
 * Creates an account with its roles, establishments and identity. The département and
 * académie follow the primary establishment unless given.
 */
export async function userCreator(trx: Tx, props: UserCreatorProps): Promise<number> {
  const primary = props.establishments?.find((e) => e.isPrimary) ?? props.establishments?.[0];
  const place = await placeOf(trx, primary?.uai ?? null, props.departmentCode ?? null, props.academyCode ?? null);
  const { id } = await trx
    .insertInto('users')
    .values({
      email: props.email.trim(),
      given_name: props.givenName.trim(),
      family_name: props.familyName.trim(),
      department_code: place.departmentCode,
      academy_code: place.academyCode,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const roles = [...new Set(props.roles)].filter((r) => (ROLES as readonly string[]).includes(r));
  if (roles.length) {
    await trx
      .insertInto('user_roles')
      .values(roles.map((role) => ({ user_id: id, role, granted_by: props.actorId ?? null })))
      .execute();
  }
  if (props.establishments?.length) {
    await trx
      .insertInto('user_establishments')
      .values(
        props.establishments.map((e) => ({
          user_id: id,
          uai: e.uai,
          function: e.function ?? null,
          is_primary: e === primary,
        })),
      )
      .execute();
  }
  if (props.identity) {
    await trx
      .insertInto('user_identities')
      .values({ provider: props.identity.provider, subject: props.identity.subject, user_id: id })
      .execute();
  }
  await recordAudit(trx, {
    action: 'user.create',
    actorId: props.actorId ?? null,
    targetType: 'user',
    targetId: id,
    details: { roles, provider: props.identity?.provider ?? null },
  });
  return id;
}

export interface UserRolesUpdaterProps {
  userId: number;
  roles: Role[];
  actorId: number | null;
  ip?: string | null;
}

/** Replaces a user's roles and records who changed them. Returns the roles before and after. */
export async function userRolesUpdater(trx: Tx, props: UserRolesUpdaterProps): Promise<{ before: Role[]; after: Role[] }> {
  const beforeRows = await trx.selectFrom('user_roles').select('role').where('user_id', '=', props.userId).execute();
  const before = beforeRows.map((r) => r.role as Role).sort();
  const after = [...new Set(props.roles)].sort();
  const removed = before.filter((r) => !after.includes(r));
  const added = after.filter((r) => !before.includes(r));
  if (removed.length) {
    await trx.deleteFrom('user_roles').where('user_id', '=', props.userId).where('role', 'in', removed).execute();
  }
  if (added.length) {
    await trx
      .insertInto('user_roles')
      .values(added.map((role) => ({ user_id: props.userId, role, granted_by: props.actorId })))
      .execute();
  }
  if (added.length || removed.length) {
    await recordAudit(trx, {
      action: 'user.roles.update',
      actorId: props.actorId,
      targetType: 'user',
      targetId: props.userId,
      ip: props.ip ?? null,
      details: { before, after, added, removed },
    });
  }
  return { before, after };
}

async function placeOf(
  trx: Tx,
  uai: string | null,
  departmentCode: string | null,
  academyCode: string | null,
): Promise<{ departmentCode: string | null; academyCode: string | null }> {
  let dept = departmentCode;
  if (!dept && uai) {
    const row = await trx.selectFrom('establishments').select('department_code').where('uai', '=', uai).executeTakeFirst();
    dept = row?.department_code ?? departmentOfUai(uai)?.code ?? null;
  }
  if (dept && !academyCode) {
    const row = await trx.selectFrom('departments').select('academy_code').where('code', '=', dept).executeTakeFirst();
    return { departmentCode: dept, academyCode: row?.academy_code ?? null };
  }
  return { departmentCode: dept, academyCode };
}

export interface UserProfileUpdaterProps {
  userId: number;
  email: string;
  givenName: string;
  familyName: string;
  establishments: EstablishmentLink[];
  /** Used when no establishment gives the place. */
  academyCode?: string | null;
  /**
   * Roles that the source of the profile decides (chef, enseignant from the académie
   * directory). Roles granted inside Maillon (rupn, dane, admin, or any role an admin gave)
   * are never removed here.
   */
  managedRoles: { manages: Role[]; roles: Role[] };
  source: string;
}

export interface ProfileChanges {
  /** Names of what changed: email, name, place, establishments, roles. */
  changed: string[];
  rolesBefore: Role[];
  rolesAfter: Role[];
}

/**
 * True when the account already says what the identity provider says: most logins, which then
 * cost no transaction at all. Anything doubtful answers false and takes the full path.
 */
export function profileIsCurrent(current: SessionUser, props: UserProfileUpdaterProps): boolean {
  const primary = props.establishments.find((e) => e.isPrimary) ?? props.establishments[0];
  const wanted = props.establishments.map((e) => `${e.uai}|${e.function ?? ''}|${e === primary}`).sort();
  const have = current.establishments.map((e) => `${e.uai}|${e.function ?? ''}|${e.isPrimary}`).sort();
  const { manages, roles } = props.managedRoles;
  return (
    current.email === props.email.trim() &&
    current.givenName === props.givenName.trim() &&
    current.familyName === props.familyName.trim() &&
    wanted.join() === have.join() &&
    (primary ? current.department?.code === current.establishments.find((e) => e.isPrimary)?.departmentCode : current.academy?.code === (props.academyCode ?? current.academy?.code)) &&
    roles.every((r) => current.roles.includes(r)) &&
    current.roles.filter((r) => manages.includes(r)).every((r) => roles.includes(r))
  );
}

/** Brings an account in line with what its identity provider says, writing only what changed. */
export async function userProfileUpdater(trx: Tx, props: UserProfileUpdaterProps): Promise<ProfileChanges> {
  const user = await trx
    .selectFrom('users')
    .select(['email', 'given_name', 'family_name', 'department_code', 'academy_code'])
    .where('id', '=', props.userId)
    .executeTakeFirstOrThrow();
  const roleRows = await trx.selectFrom('user_roles').select(['role', 'granted_by']).where('user_id', '=', props.userId).execute();
  const links = await trx
    .selectFrom('user_establishments')
    .select(['uai', 'function', 'is_primary'])
    .where('user_id', '=', props.userId)
    .orderBy('uai')
    .execute();
  const changed: string[] = [];

  const primary = props.establishments.find((e) => e.isPrimary) ?? props.establishments[0];
  const place = await placeOf(trx, primary?.uai ?? null, null, primary ? null : props.academyCode ?? user.academy_code);
  const fields = { email: props.email.trim(), given_name: props.givenName.trim(), family_name: props.familyName.trim() };
  if (fields.email !== user.email) changed.push('email');
  if (fields.given_name !== user.given_name || fields.family_name !== user.family_name) changed.push('name');
  if (place.departmentCode !== user.department_code || place.academyCode !== user.academy_code) changed.push('place');
  if (changed.length) {
    await trx
      .updateTable('users')
      .set({ ...fields, department_code: place.departmentCode, academy_code: place.academyCode, updated_at: new Date() })
      .where('id', '=', props.userId)
      .execute();
  }

  const wanted = props.establishments
    .map((e) => ({ uai: e.uai, function: e.function ?? null, is_primary: e === primary }))
    .sort((a, b) => a.uai.localeCompare(b.uai));
  if (JSON.stringify(wanted) !== JSON.stringify(links)) {
    changed.push('establishments');
    await trx.deleteFrom('user_establishments').where('user_id', '=', props.userId).execute();
    if (wanted.length) await trx.insertInto('user_establishments').values(wanted.map((w) => ({ user_id: props.userId, ...w }))).execute();
  }

  const rolesBefore = roleRows.map((r) => r.role as Role).sort();
  const { manages, roles } = props.managedRoles;
  // A managed role is only taken back if the source gave it (nobody in Maillon granted it).
  const removable = roleRows.filter((r) => manages.includes(r.role as Role) && r.granted_by === null && !roles.includes(r.role as Role));
  const added = roles.filter((r) => manages.includes(r) && !rolesBefore.includes(r));
  if (removable.length) {
    await trx.deleteFrom('user_roles').where('user_id', '=', props.userId).where('role', 'in', removable.map((r) => r.role)).execute();
  }
  if (added.length) await trx.insertInto('user_roles').values(added.map((role) => ({ user_id: props.userId, role, granted_by: null }))).execute();
  const rolesAfter = [...rolesBefore.filter((r) => !removable.some((x) => x.role === r)), ...added].sort();
  if (removable.length || added.length) changed.push('roles');

  if (changed.length) {
    await recordAudit(trx, {
      action: 'user.update',
      targetType: 'user',
      targetId: props.userId,
      details: { source: props.source, changed, ...(changed.includes('roles') ? { rolesBefore, rolesAfter } : {}) },
    });
  }
  return { changed, rolesBefore, rolesAfter };
}

export interface EstablishmentStub {
  uai: string;
  kind?: string;
}

const KIND_BY_NATURE: Record<string, string> = { CLG: 'college', LYC: 'lycee', LP: 'lycee-pro', LPO: 'lycee', EREA: 'erea' };

/**
 * Establishments named by an identity provider but unknown here are created from their UAI,
 * in the département the UAI names (086 → Vienne, 620 → Corse-du-Sud, 974 → La Réunion).
 */
export async function establishmentsEnsurer(trx: Tx, stubs: EstablishmentStub[]): Promise<string[]> {
  const rows = stubs.flatMap((s) => {
    const department = departmentOfUai(s.uai);
    if (!department) return [];
    const kind = KIND_BY_NATURE[(s.kind ?? '').toUpperCase()] ?? '';
    return [{ uai: s.uai, name: `Établissement ${s.uai}`, kind, city: '', department_code: department.code }];
  });
  if (!rows.length) return [];
  const created = await trx
    .insertInto('establishments')
    .values(rows)
    .onConflict((oc) => oc.column('uai').doNothing())
    .returning('uai')
    .execute();
  return created.map((r) => r.uai);
}
