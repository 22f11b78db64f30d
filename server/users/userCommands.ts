import type { Tx } from '../db/schema.js';
import { ROLES, type Role } from '../auth/roles.js';
import { departmentOfUai } from '../geography/geography.js';
import { recordAudit } from '../audit/auditLog.js';

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
