import { UAI_PATTERN, departmentByCode, academyByCode } from '../../server/geography/geography.js';
import type { Selectable } from 'kysely';
import { ROLES } from '../../server/auth/roles.js';
import type { Schema } from '../../server/db/schema.js';
import { EVENT_KINDS, VISIO_KINDS, type AudienceKind, type EventKind, type VisioKind } from './schema.js';
import { parseParisLocal, toParisLocal } from './time.js';

/**
 * The event form: raw strings in, either checked values or French messages per field out.
 * Errors are returned, not thrown, so that the page comes back with what was typed (422).
 */

export interface EventFormValues {
  title: string;
  description: string;
  kind: string;
  startsAt: string;
  endsAt: string;
  audienceKind: string;
  audienceAcademy: string;
  audienceDepartment: string;
  audienceUai: string;
  audienceRole: string;
  capacity: string;
  place: string;
  visioKind: string;
  visioUrl: string;
  opensAt: string;
  closesAt: string;
}

export interface EventInput {
  title: string;
  description: string;
  kind: EventKind;
  startsAt: Date;
  endsAt: Date;
  audience: { kind: AudienceKind; code: string; role: string | null };
  capacity: number | null;
  place: string;
  visioKind: VisioKind | null;
  visioUrl: string | null;
  opensAt: Date | null;
  closesAt: Date | null;
}

export const FIELD_LABELS: Record<keyof EventFormValues, string> = {
  title: 'Titre',
  description: 'Description',
  kind: 'Type',
  startsAt: 'Début',
  endsAt: 'Fin',
  audienceKind: 'Public',
  audienceAcademy: 'Académie',
  audienceDepartment: 'Département',
  audienceUai: 'Établissement (UAI)',
  audienceRole: 'Rôle',
  capacity: 'Nombre de places',
  place: 'Lieu',
  visioKind: 'Outil de visioconférence',
  visioUrl: 'Lien de visioconférence',
  opensAt: 'Ouverture des inscriptions',
  closesAt: 'Clôture des inscriptions',
};

const str = (v: unknown, max = 20_000) => (typeof v === 'string' ? v.slice(0, max) : Array.isArray(v) && typeof v[0] === 'string' ? v[0].slice(0, max) : '');

export function formValuesFrom(body: unknown): EventFormValues {
  const b = (body ?? {}) as Record<string, unknown>;
  const keys = Object.keys(FIELD_LABELS) as (keyof EventFormValues)[];
  return Object.fromEntries(keys.map((k) => [k, k === 'description' ? str(b[k]).replace(/\r\n/g, '\n') : str(b[k], 2000).trim()])) as unknown as EventFormValues;
}

/** The stored columns the form shows again (an event row, or anything shaped like one). */
export type StoredEventLike = Pick<
  Selectable<Schema['events']>,
  | 'title' | 'description' | 'kind' | 'starts_at' | 'ends_at' | 'audience_kind' | 'audience_code' | 'audience_role'
  | 'capacity' | 'place' | 'visio_kind' | 'visio_url' | 'registration_opens_at' | 'registration_closes_at'
>;

export function formValuesOf(e: StoredEventLike): EventFormValues {
  return {
    title: e.title,
    description: e.description,
    kind: e.kind,
    startsAt: toParisLocal(e.starts_at),
    endsAt: toParisLocal(e.ends_at),
    audienceKind: e.audience_kind,
    audienceAcademy: e.audience_kind === 'academie' ? e.audience_code : '',
    audienceDepartment: e.audience_kind === 'departement' ? e.audience_code : '',
    audienceUai: e.audience_kind === 'etablissement' ? e.audience_code : '',
    audienceRole: e.audience_role ?? '',
    capacity: e.capacity === null ? '' : String(e.capacity),
    place: e.place,
    visioKind: e.visio_kind ?? '',
    visioUrl: e.visio_url ?? '',
    opensAt: toParisLocal(e.registration_opens_at),
    closesAt: toParisLocal(e.registration_closes_at),
  };
}

export type FormErrors = Partial<Record<keyof EventFormValues, string>>;

/** Checks the form; `previousStart` (editing) lets an event that already began keep its start. */
export function checkEventForm(v: EventFormValues, now: Date, previousStart?: Date): { input: EventInput | null; errors: FormErrors } {
  const errors: FormErrors = {};
  if (v.title.length < 3 || v.title.length > 200) errors.title = 'Indiquez un titre de 3 à 200 caractères.';
  if (v.description.length > 20_000) errors.description = 'La description dépasse 20 000 caractères.';
  if (!(EVENT_KINDS as readonly string[]).includes(v.kind)) errors.kind = "Choisissez le type d'événement.";

  const when = (field: 'startsAt' | 'endsAt' | 'opensAt' | 'closesAt', required: boolean): Date | null => {
    if (!v[field]) {
      if (required) errors[field] = 'Indiquez la date et l’heure (heure de Paris).';
      return null;
    }
    const parsed = parseParisLocal(v[field]);
    if (parsed.ok) return parsed.date;
    errors[field] = parsed.reason === 'gap' ? "Cette heure n'existe pas à Paris ce jour-là (passage à l'heure d'été) : choisissez une autre heure." : 'Date et heure invalides (attendu : JJ/MM/AAAA HH:MM).';
    return null;
  };
  const startsAt = when('startsAt', true);
  const endsAt = when('endsAt', true);
  const opensAt = when('opensAt', false);
  const closesAt = when('closesAt', false);
  const startMoved = !previousStart || !startsAt || startsAt.getTime() !== previousStart.getTime();
  if (startsAt && startMoved && startsAt.getTime() <= now.getTime()) errors.startsAt = 'La date de début est passée : choisissez une date à venir.';
  if (startsAt && endsAt && endsAt.getTime() <= startsAt.getTime()) errors.endsAt = 'La fin doit être après le début.';
  if (opensAt && closesAt && closesAt.getTime() <= opensAt.getTime()) errors.closesAt = "La clôture des inscriptions doit être après leur ouverture.";
  if (closesAt && endsAt && closesAt.getTime() > endsAt.getTime()) errors.closesAt = "Les inscriptions doivent être closes au plus tard à la fin de l'événement.";
  if (opensAt && startsAt && opensAt.getTime() >= startsAt.getTime()) errors.opensAt = "Les inscriptions doivent ouvrir avant le début de l'événement.";

  let audienceCode = '';
  if (v.audienceKind === 'academie') {
    if (!academyByCode(v.audienceAcademy)) errors.audienceAcademy = 'Choisissez une académie.';
    audienceCode = v.audienceAcademy;
  } else if (v.audienceKind === 'departement') {
    if (!departmentByCode(v.audienceDepartment)) errors.audienceDepartment = 'Choisissez un département.';
    audienceCode = v.audienceDepartment;
  } else if (v.audienceKind === 'etablissement') {
    audienceCode = v.audienceUai.toUpperCase();
    if (!UAI_PATTERN.test(audienceCode)) errors.audienceUai = 'Indiquez le code UAI de l’établissement (7 chiffres et une lettre).';
  } else errors.audienceKind = 'Choisissez à qui s’adresse l’événement.';
  if (v.audienceRole && !(ROLES as readonly string[]).includes(v.audienceRole)) errors.audienceRole = 'Rôle inconnu.';

  let capacity: number | null = null;
  if (v.capacity) {
    const n = Number(v.capacity);
    if (!Number.isInteger(n) || n < 1 || n > 100_000) errors.capacity = 'Un nombre entier de 1 à 100 000, ou rien pour ne pas limiter.';
    else capacity = n;
  }
  if (v.place.length > 300) errors.place = 'Le lieu dépasse 300 caractères.';
  let visioKind: VisioKind | null = null;
  let visioUrl: string | null = null;
  if (v.visioKind) {
    if (!(VISIO_KINDS as readonly string[]).includes(v.visioKind)) errors.visioKind = 'Outil inconnu.';
    else visioKind = v.visioKind as VisioKind;
  }
  if (v.visioUrl) {
    let ok = false;
    try {
      ok = new URL(v.visioUrl).protocol === 'https:';
    } catch {
      ok = false;
    }
    if (!ok || v.visioUrl.length > 500) errors.visioUrl = 'Une adresse complète commençant par https://.';
    else visioUrl = v.visioUrl;
    if (!visioKind && !errors.visioKind) errors.visioKind = "Précisez l'outil de visioconférence.";
  } else if (visioKind) errors.visioUrl = 'Indiquez le lien de la visioconférence.';
  if (!v.place && !v.visioUrl && !errors.visioUrl) errors.place = 'Indiquez un lieu ou un lien de visioconférence.';

  if (Object.keys(errors).length) return { input: null, errors };
  return {
    input: {
      title: v.title,
      description: v.description,
      kind: v.kind as EventKind,
      startsAt: startsAt!,
      endsAt: endsAt!,
      audience: { kind: v.audienceKind as AudienceKind, code: audienceCode, role: v.audienceRole || null },
      capacity,
      place: v.place,
      visioKind,
      visioUrl,
      opensAt,
      closesAt,
    },
    errors,
  };
}

