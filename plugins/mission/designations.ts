import { sql } from 'kysely';
import type { DB } from '../../server/db/schema.js';
import type { PluginContext } from '../../server/plugins/context.js';
import type { SessionUser } from '../../server/auth/sessionUser.js';
import { conflict, HttpError, notFound } from '../../server/web/errors.js';
import { RECOMMENDED_MAX_REFERENTS } from './missions.js';
import './schema.js';

/**
 * Designations of the RUPNs of an establishment by its chef, and the rupn role that follows
 * them: granted at the first active designation, taken back when the last one ends.
 */

export interface DesignationRow {
  id: number;
  userId: number;
  givenName: string;
  familyName: string;
  email: string;
  startedOn: string;
  endedOn: string | null;
}

const designationColumns = [
  'd.id',
  'd.user_id as userId',
  'u.given_name as givenName',
  'u.family_name as familyName',
  'u.email',
  sql<string>`d.started_on::text`.as('startedOn'),
  sql<string | null>`d.ended_on::text`.as('endedOn'),
] as const;

export function activeDesignations(db: DB, uai: string): Promise<DesignationRow[]> {
  return db
    .selectFrom('mission_designations as d')
    .innerJoin('users as u', 'u.id', 'd.user_id')
    .select(designationColumns)
    .where('d.uai', '=', uai)
    .where('d.ended_on', 'is', null)
    .orderBy('u.family_name')
    .orderBy('u.given_name')
    .execute();
}

export function pastDesignations(db: DB, uai: string): Promise<DesignationRow[]> {
  return db
    .selectFrom('mission_designations as d')
    .innerJoin('users as u', 'u.id', 'd.user_id')
    .select(designationColumns)
    .where('d.uai', '=', uai)
    .where('d.ended_on', 'is not', null)
    .orderBy('d.ended_on', 'desc')
    .limit(100)
    .execute();
}

/** The active staff of an establishment: who may be designated. */
export function staffOf(db: DB, uai: string) {
  return db
    .selectFrom('user_establishments as ue')
    .innerJoin('users as u', 'u.id', 'ue.user_id')
    .select(['u.id', 'u.given_name as givenName', 'u.family_name as familyName', 'ue.function'])
    .select((eb) =>
      eb
        .exists(eb.selectFrom('mission_designations as d').select('d.id').whereRef('d.user_id', '=', 'u.id').where('d.uai', '=', uai).where('d.ended_on', 'is', null))
        .as('designated'),
    )
    .where('ue.uai', '=', uai)
    .where('u.status', '=', 'active')
    .orderBy('u.family_name')
    .orderBy('u.given_name')
    .limit(1000)
    .execute();
}

export async function activeCount(db: DB, userId: number): Promise<number> {
  const row = await db
    .selectFrom('mission_designations')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', userId)
    .where('ended_on', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export class AboveRecommendationError extends HttpError {
  constructor(readonly count: number) {
    super(
      409,
      `L'établissement a déjà ${count} RUPN désignés : la DANE recommande de ne pas dépasser ${RECOMMENDED_MAX_REFERENTS} référents. Confirmez si cette désignation supplémentaire est voulue.`,
    );
  }
}

const isUniqueViolation = (err: unknown) => (err as { code?: string } | null)?.code === '23505';

/** Adds the role when missing (through the core user service, which fires user:rolesChanged). */
async function grantRupn(ctx: PluginContext<unknown>, userId: number, actorId: number): Promise<void> {
  const user = await ctx.users.byId(userId);
  if (user && !user.roles.includes('rupn')) await ctx.users.setRoles(userId, [...user.roles, 'rupn'], actorId);
}

async function revokeRupnIfIdle(ctx: PluginContext<unknown>, userId: number, actorId: number): Promise<void> {
  if ((await activeCount(ctx.db, userId)) > 0) return;
  const user = await ctx.users.byId(userId);
  if (user?.roles.includes('rupn')) await ctx.users.setRoles(userId, user.roles.filter((r) => r !== 'rupn'), actorId);
}

/** The notification a person gets when designated; it leads to the onboarding path (training plugin). */
export const DESIGNATED_KIND = 'mission:designated';
export const ONBOARDING_PATH = '/training/mon-parcours';

export async function designate(
  ctx: PluginContext<unknown>,
  input: { uai: string; userId: number; actor: SessionUser; confirmAboveRecommendation: boolean; ip?: string | null },
): Promise<{ id: number; activeAfter: number }> {
  const { uai, userId, actor } = input;
  const { id, activeAfter } = await ctx.db.transaction().execute(async (trx) => {
    const member = await trx
      .selectFrom('user_establishments as ue')
      .innerJoin('users as u', 'u.id', 'ue.user_id')
      .select('u.id')
      .where('ue.uai', '=', uai)
      .where('ue.user_id', '=', userId)
      .where('u.status', '=', 'active')
      .executeTakeFirst();
    if (!member) throw new HttpError(422, "Cette personne ne fait pas partie du personnel de l'établissement : seul le personnel de l'établissement peut être désigné.");
    // Serialises designations of one establishment, so the count below stays true.
    await sql`select uai from establishments where uai = ${uai} for update`.execute(trx);
    const current = await trx
      .selectFrom('mission_designations')
      .select(['user_id'])
      .where('uai', '=', uai)
      .where('ended_on', 'is', null)
      .execute();
    if (current.some((d) => d.user_id === userId)) throw conflict('Cette personne est déjà désignée RUPN de cet établissement.');
    if (current.length >= RECOMMENDED_MAX_REFERENTS && !input.confirmAboveRecommendation) throw new AboveRecommendationError(current.length);
    try {
      const row = await trx.insertInto('mission_designations').values({ user_id: userId, uai, designated_by: actor.id }).returning('id').executeTakeFirstOrThrow();
      return { id: row.id, activeAfter: current.length + 1 };
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('Cette personne est déjà désignée RUPN de cet établissement.');
      throw err;
    }
  });
  await ctx.audit({ action: 'mission.designated', actorId: actor.id, ip: input.ip ?? null, targetType: 'user', targetId: String(userId), details: { uai } });
  await grantRupn(ctx, userId, actor.id);
  await ctx.hooks.doAction('mission:designated', { userId, establishmentId: uai, designationId: id });
  const establishment = await ctx.db.selectFrom('establishments').select('name').where('uai', '=', uai).executeTakeFirst();
  await ctx.notifications.notify([userId], {
    kind: DESIGNATED_KIND,
    title: `Vous êtes désigné·e RUPN ${establishment ? `du ${establishment.name}` : 'de votre établissement'}`,
    body: `${actor.displayName} vous a désigné·e référent·e pour les usages pédagogiques numériques (RUPN). Votre parcours d'entrée dans la fonction vous attend ; votre lettre de mission suivra.`,
    url: ONBOARDING_PATH,
  });
  return { id, activeAfter };
}

export async function endDesignation(
  ctx: PluginContext<unknown>,
  input: { uai: string; designationId: number; endedOn: string; actor: SessionUser; ip?: string | null },
): Promise<{ userId: number }> {
  const row = await ctx.db
    .selectFrom('mission_designations')
    .select(['id', 'user_id', sql<string>`started_on::text`.as('startedOn'), 'ended_on'])
    .where('id', '=', input.designationId)
    .where('uai', '=', input.uai)
    .executeTakeFirst();
  if (!row) throw notFound("Cette désignation n'existe pas.");
  if (row.ended_on !== null) throw conflict('Cette désignation est déjà terminée.');
  if (input.endedOn < row.startedOn) throw new HttpError(422, `La fin de la désignation ne peut pas précéder son début (${row.startedOn}).`);
  const updated = await ctx.db
    .updateTable('mission_designations')
    .set({ ended_on: input.endedOn, ended_by: input.actor.id })
    .where('id', '=', row.id)
    .where('ended_on', 'is', null)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) throw conflict('Cette désignation est déjà terminée.');
  await ctx.audit({ action: 'mission.ended', actorId: input.actor.id, ip: input.ip ?? null, targetType: 'user', targetId: String(row.user_id), details: { uai: input.uai, endedOn: input.endedOn } });
  await revokeRupnIfIdle(ctx, row.user_id, input.actor.id);
  await ctx.hooks.doAction('mission:ended', { userId: row.user_id, establishmentId: input.uai, designationId: row.id });
  return { userId: row.user_id };
}
