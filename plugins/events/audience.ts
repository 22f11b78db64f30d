import { sql, type Expression, type SqlBool } from 'kysely';
import type { SessionUser } from '../../server/auth/sessionUser.js';
import { academyByCode, departmentByCode } from '../../server/geography/geography.js';
import type { AudienceKind, EventKind } from './schema.js';

/**
 * Who an event is for and who may organise it.
 *
 * - An administrator, or a DANE member without a département (académie-wide), organises anywhere.
 * - A DANE member attached to a département (a departmental coordinator) organises for that
 *   département and its establishments.
 * - A RUPN organises only « cafés numériques » for their own establishment(s).
 */

export interface Place {
  uais: string[];
  departments: string[];
  academies: string[];
}

/** The establishments, départements and académies a person belongs to. */
export function placeOf(user: SessionUser): Place {
  const departments = new Set<string>();
  if (user.department) departments.add(user.department.code);
  for (const e of user.establishments) departments.add(e.departmentCode);
  const academies = new Set<string>();
  if (user.academy) academies.add(user.academy.code);
  for (const d of departments) {
    const a = departmentByCode(d)?.academyCode;
    if (a) academies.add(a);
  }
  return { uais: user.establishments.map((e) => e.uai), departments: [...departments], academies: [...academies] };
}

export interface Audience {
  kind: AudienceKind;
  code: string;
  role: string | null;
}

/** Whether an event of this audience is meant for this person. */
export function isForUser(audience: Audience, user: SessionUser): boolean {
  if (audience.role && !user.roles.includes(audience.role as SessionUser['roles'][number])) return false;
  const place = placeOf(user);
  if (audience.kind === 'academie') return place.academies.includes(audience.code);
  if (audience.kind === 'departement') return place.departments.includes(audience.code);
  return place.uais.includes(audience.code);
}

/** SQL condition on the `e` alias of `events`: the events meant for this person. */
export function audienceFilter(user: SessionUser): Expression<SqlBool> {
  const place = placeOf(user);
  const list = (values: string[]) => (values.length ? sql.join(values.map((v) => sql.lit(v))) : sql`null`);
  const roles = list(user.roles);
  return sql<SqlBool>`(
    (e.audience_role is null or e.audience_role in (${roles}))
    and (
      (e.audience_kind = 'academie' and e.audience_code in (${list(place.academies)}))
      or (e.audience_kind = 'departement' and e.audience_code in (${list(place.departments)}))
      or (e.audience_kind = 'etablissement' and e.audience_code in (${list(place.uais)}))
    )
  )`;
}

export type OrganiserScope = { kind: 'anywhere' } | { kind: 'department'; code: string } | { kind: 'establishments'; uais: string[] } | null;

/** How far a person may organise events; null: not at all. */
export function organiserScope(user: SessionUser | null | undefined): OrganiserScope {
  if (!user) return null;
  if (user.roles.includes('admin')) return { kind: 'anywhere' };
  if (user.roles.includes('dane')) return user.department ? { kind: 'department', code: user.department.code } : { kind: 'anywhere' };
  if (user.roles.includes('rupn') && user.establishments.length) return { kind: 'establishments', uais: user.establishments.map((e) => e.uai) };
  return null;
}

/** Why this person may not organise this event, or null when they may. */
export function organiseRefusal(scope: OrganiserScope, kind: EventKind, audience: Audience, uaiDepartment: string | null): string | null {
  if (!scope) return "Vous ne pouvez pas organiser d'événement.";
  if (scope.kind === 'anywhere') return null;
  if (scope.kind === 'establishments') {
    if (kind !== 'cafe') return 'Un ou une RUPN organise uniquement des cafés numériques.';
    if (audience.kind !== 'etablissement' || !scope.uais.includes(audience.code)) return 'Un café numérique est organisé pour votre établissement.';
    return null;
  }
  if (audience.kind === 'departement' && audience.code === scope.code) return null;
  if (audience.kind === 'etablissement' && uaiDepartment === scope.code) return null;
  const name = departmentByCode(scope.code)?.name ?? scope.code;
  return `Vous organisez des événements pour le département ${name} (${scope.code}) et ses établissements.`;
}

/** Label of an audience for pages and mails. */
export function audienceLabel(audience: Audience, establishmentName?: string | null): string {
  let label: string;
  if (audience.kind === 'academie') label = `Académie de ${academyByCode(audience.code)?.name ?? audience.code}`;
  else if (audience.kind === 'departement') label = `${departmentByCode(audience.code)?.name ?? audience.code} (${audience.code})`;
  else label = establishmentName ?? audience.code;
  return audience.role ? `${label} — ${ROLE_AUDIENCE[audience.role] ?? audience.role}` : label;
}

export const ROLE_AUDIENCE: Record<string, string> = {
  rupn: 'RUPN',
  enseignant: 'enseignants',
  chef: "chefs d'établissement",
  dane: 'équipe DANE',
};
