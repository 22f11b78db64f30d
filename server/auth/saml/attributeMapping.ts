import { departmentOfUai } from '../../geography/geography.js';
import type { Role } from '../roles.js';
import type { IdentityProviderConfig } from '../identityProviders.js';

/** Attributes as received, every value a list of strings (for the admin test page too). */
export type ReceivedAttributes = Record<string, string[]>;

export interface MappedEstablishment {
  uai: string;
  /** ENS, DOC, DIR…: what the person does there. */
  function: string | null;
  /** From the FrEduRne type field: LYC, CLG, LP… */
  kind: string;
  isPrimary: boolean;
}

/** What Maillon keeps of a SAML login, in its own words. */
export interface MappedIdentity {
  subject: string;
  email: string;
  givenName: string;
  familyName: string;
  establishments: MappedEstablishment[];
  /** Roles the académie's directory gives (chef, enseignant), replaced at every login. */
  roles: Role[];
  /** UAIs that were sent but name no known département (kept for the admin test page). */
  ignoredUais: string[];
}

export class MissingAttributeError extends Error {}

export function normaliseAttributes(raw: unknown): ReceivedAttributes {
  const out: ReceivedAttributes = {};
  if (!raw || typeof raw !== 'object') return out;
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const values = (Array.isArray(value) ? value : [value])
      .map((v) => (typeof v === 'string' ? v : v && typeof v === 'object' && '_' in v ? String((v as { _: unknown })._) : null))
      .filter((v): v is string => v !== null)
      .map((v) => v.trim().slice(0, 1000))
      .filter(Boolean);
    out[name.slice(0, 200)] = values.slice(0, 200);
  }
  return out;
}

const first = (attributes: ReceivedAttributes, names: string[]): string | null => {
  for (const name of names) {
    const value = attributes[name]?.[0];
    if (value) return value;
  }
  return null;
};
const all = (attributes: ReceivedAttributes, names: string[]): string[] => names.flatMap((n) => attributes[n] ?? []);

/**
 * FrEduRne values read `UAI$TYPE$SECTOR$FUNCTION$…$NATURE$…`, e.g.
 * `0860001A$UAJ$PU$ENS$0860001A$T3$LYC$340`: the UAI, then what the person does there.
 */
export function parseFrEduRne(value: string): { uai: string; function: string | null; kind: string } | null {
  const fields = value.split('$').map((f) => f.trim());
  const uai = (fields[0] ?? '').toUpperCase();
  if (!/^[0-9]{7}[A-Z]$/.test(uai)) return null;
  return { uai, function: fields[3] ? fields[3].toUpperCase() : null, kind: (fields[6] ?? '').toUpperCase() };
}

export function mapIdentity(
  idp: Pick<IdentityProviderConfig, 'attributes' | 'functionRoles' | 'subjectAttribute'>,
  nameId: string,
  attributes: ReceivedAttributes,
): MappedIdentity {
  const subject = idp.subjectAttribute ? first(attributes, [idp.subjectAttribute]) : nameId;
  if (!subject) throw new MissingAttributeError(`identifiant absent (${idp.subjectAttribute ?? 'NameID'})`);
  const email = first(attributes, idp.attributes.email);
  if (!email || !/^[^\s@]+@[^\s@]+$/.test(email)) throw new MissingAttributeError('adresse électronique absente ou invalide');

  const byUai = new Map<string, MappedEstablishment>();
  const ignoredUais: string[] = [];
  const add = (uai: string, fn: string | null, kind: string) => {
    if (!departmentOfUai(uai)) return void ignoredUais.push(uai);
    const known = byUai.get(uai);
    if (known) {
      known.function ??= fn;
      known.kind ||= kind;
    } else byUai.set(uai, { uai, function: fn, kind, isPrimary: false });
  };
  for (const value of all(attributes, idp.attributes.establishments)) {
    const parsed = parseFrEduRne(value);
    if (parsed) add(parsed.uai, parsed.function, parsed.kind);
  }
  // FrEduRneResp: the establishments a head of establishment runs (same format, or a bare UAI).
  const headOf = all(attributes, idp.attributes.headOf)
    .map(parseFrEduRne)
    .filter((e) => e !== null);
  for (const e of headOf) {
    add(e.uai, 'DIR', e.kind);
    const known = byUai.get(e.uai);
    if (known) known.function = 'DIR';
  }
  const establishments = [...byUai.values()];
  if (establishments[0]) establishments[0].isPrimary = true;

  const functions = new Set(all(attributes, idp.attributes.functions).map((f) => f.toUpperCase()));
  for (const e of establishments) if (e.function) functions.add(e.function);
  const roles = new Set<Role>();
  for (const fn of functions) {
    const role = idp.functionRoles[fn];
    if (role) roles.add(role);
  }
  if (headOf.length) roles.add('chef');

  return {
    subject: subject.slice(0, 500),
    email: email.slice(0, 320),
    givenName: (first(attributes, idp.attributes.givenName) ?? '').slice(0, 200),
    familyName: (first(attributes, idp.attributes.familyName) ?? '').slice(0, 200),
    establishments,
    roles: [...roles].sort(),
    ignoredUais: [...new Set(ignoredUais)],
  };
}
