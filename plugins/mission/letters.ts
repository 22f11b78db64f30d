import { sql } from 'kysely';
import type { DB } from '../../server/db/schema.js';
import { conflict, HttpError } from '../../server/web/errors.js';
import { de } from '../../server/web/viewHelpers.js';
import { defaultPeriod, formatDay, heldMissions, IMP_MAX, IMP_MIN, MISSION_KEYS, schoolYearLabel, TOOL_TASK_KEYS, formatEuros, type MissionKey, type ToolTaskKey } from './missions.js';
import './schema.js';

/** Lettres de mission: one per establishment and school year, one line per referent. */

export interface LetterRow {
  id: number;
  uai: string;
  establishmentName: string;
  city: string;
  departmentCode: string;
  schoolYear: number;
  periodStart: string;
  periodEnd: string;
  notes: string;
  revision: number;
  updatedAt: Date;
}

export interface ReferentLine {
  userId: number;
  givenName: string;
  familyName: string;
  email: string;
  timeSplit: Record<MissionKey, number>;
  toolTasks: ToolTaskKey[];
  impAmount: number;
  acknowledgedAt: Date | null;
}

export interface ReferentInput {
  userId: number;
  timeSplit: Record<MissionKey, number>;
  toolTasks: ToolTaskKey[];
  impAmount: number;
}

const letterColumns = [
  'l.id',
  'l.uai',
  'e.name as establishmentName',
  'e.city',
  'e.department_code as departmentCode',
  'l.school_year as schoolYear',
  sql<string>`l.period_start::text`.as('periodStart'),
  sql<string>`l.period_end::text`.as('periodEnd'),
  'l.notes',
  'l.revision',
  'l.updated_at as updatedAt',
] as const;

export function loadLetter(db: DB, where: { id: number } | { uai: string; schoolYear: number }): Promise<LetterRow | undefined> {
  let q = db.selectFrom('mission_letters as l').innerJoin('establishments as e', 'e.uai', 'l.uai').select(letterColumns);
  q = 'id' in where ? q.where('l.id', '=', where.id) : q.where('l.uai', '=', where.uai).where('l.school_year', '=', where.schoolYear);
  return q.executeTakeFirst();
}

export async function referentsOf(db: DB, letterIds: number[]): Promise<Map<number, ReferentLine[]>> {
  const byLetter = new Map<number, ReferentLine[]>();
  if (!letterIds.length) return byLetter;
  const rows = await db
    .selectFrom('mission_letter_referents as r')
    .innerJoin('users as u', 'u.id', 'r.user_id')
    .select(['r.letter_id', 'r.user_id as userId', 'u.given_name as givenName', 'u.family_name as familyName', 'u.email', 'r.time_split', 'r.tool_tasks', 'r.imp_amount as impAmount', 'r.acknowledged_at as acknowledgedAt'])
    .where('r.letter_id', 'in', letterIds)
    .orderBy('r.letter_id')
    .orderBy('r.position')
    .execute();
  for (const r of rows) {
    const line: ReferentLine = {
      userId: r.userId,
      givenName: r.givenName,
      familyName: r.familyName,
      email: r.email,
      timeSplit: normaliseSplit(parseJson(r.time_split)),
      toolTasks: (parseJson(r.tool_tasks) as string[]).filter((k): k is ToolTaskKey => (TOOL_TASK_KEYS as string[]).includes(k)),
      impAmount: r.impAmount,
      acknowledgedAt: r.acknowledgedAt,
    };
    byLetter.set(r.letter_id, [...(byLetter.get(r.letter_id) ?? []), line]);
  }
  return byLetter;
}

// jsonb comes back parsed from pg and PGlite alike; a string is accepted all the same.
function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

function normaliseSplit(raw: unknown): Record<MissionKey, number> {
  const source = (raw ?? {}) as Record<string, unknown>;
  return Object.fromEntries(MISSION_KEYS.map((k) => [k, Number(source[k]) || 0])) as Record<MissionKey, number>;
}

export function lettersOfEstablishment(db: DB, uai: string) {
  return db
    .selectFrom('mission_letters as l')
    .select(['l.id', 'l.school_year as schoolYear', 'l.revision', 'l.updated_at as updatedAt'])
    .select((eb) => [
      eb.selectFrom('mission_letter_referents as r').whereRef('r.letter_id', '=', 'l.id').select((e) => e.fn.countAll<string>().as('n')).as('referents'),
      eb.selectFrom('mission_letter_referents as r').whereRef('r.letter_id', '=', 'l.id').where('r.acknowledged_at', 'is not', null).select((e) => e.fn.countAll<string>().as('n')).as('acknowledged'),
    ])
    .where('l.uai', '=', uai)
    .orderBy('l.school_year', 'desc')
    .execute();
}

export function lettersOfReferent(db: DB, userId: number) {
  return db
    .selectFrom('mission_letter_referents as r')
    .innerJoin('mission_letters as l', 'l.id', 'r.letter_id')
    .innerJoin('establishments as e', 'e.uai', 'l.uai')
    .select(['l.id', 'l.school_year as schoolYear', 'e.name as establishmentName', 'e.city', 'r.acknowledged_at as acknowledgedAt', 'l.updated_at as updatedAt'])
    .where('r.user_id', '=', userId)
    .orderBy('l.school_year', 'desc')
    .orderBy('e.name')
    .execute();
}

/**
 * One thing to fix in the letter form: `field` names the form control (its id, which the
 * summary links to), `group` the controls that share the message (the five shares of a split).
 */
export interface LetterError {
  field: string;
  group: string;
  message: string;
}

/**
 * What is wrong with the period of a letter: each date within the letter's school year
 * (1 September to 31 August), and the end after the start. Dates are `YYYY-MM-DD`.
 */
export function periodErrors(schoolYear: number, start: string, end: string): LetterError[] {
  const errors: LetterError[] = [];
  const year = defaultPeriod(schoolYear);
  const outside = (day: string) => day < year.start || day > year.end;
  const bounds = `l'année scolaire ${schoolYearLabel(schoolYear)} (du ${formatDay(year.start)} au ${formatDay(year.end)})`;
  if (outside(start)) errors.push({ field: 'debut', group: 'debut', message: `« Début de la période » : le ${formatDay(start)} est en dehors de ${bounds}.` });
  if (outside(end)) errors.push({ field: 'fin', group: 'fin', message: `« Fin de la période » : le ${formatDay(end)} est en dehors de ${bounds}.` });
  if (end <= start) errors.push({ field: 'fin', group: 'fin', message: '« Fin de la période » : la période doit se terminer après son début.' });
  return errors;
}

/**
 * Everything wrong with one referent's line, all at once; each message names the person so the
 * chef knows which line to fix.
 */
export function referentErrors(input: ReferentInput, name: string): LetterError[] {
  const errors: LetterError[] = [];
  const imp = input.impAmount;
  if (!Number.isInteger(imp) || imp < IMP_MIN || imp > IMP_MAX) {
    const field = `imp-${input.userId}`;
    errors.push({ field, group: field, message: `IMP ${de(name)} : le montant doit être un nombre entier d'euros compris entre ${formatEuros(IMP_MIN)} et ${formatEuros(IMP_MAX)}.` });
  }
  const shares = MISSION_KEYS.map((k) => input.timeSplit[k]);
  const time = { field: `temps-${input.userId}-${MISSION_KEYS[0]}`, group: `temps-${input.userId}` };
  if (shares.some((v) => !Number.isInteger(v) || v < 0 || v > 100)) {
    errors.push({ ...time, message: `Temps ${de(name)} : chaque part est un pourcentage entier entre 0 et 100.` });
  } else {
    const total = shares.reduce((sum, v) => sum + v, 0);
    if (total !== 100) errors.push({ ...time, message: `Temps ${de(name)} : les parts doivent totaliser 100 % (total actuel : ${total} %).` });
  }
  if (input.toolTasks.length && !heldMissions(input.timeSplit).includes('outils')) {
    errors.push({ field: `outils-${input.userId}-${input.toolTasks[0]}`, group: `outils-${input.userId}`, message: `Missions ${de(name)} : les tâches de « Gérer les outils » demandent une part de temps pour cette mission.` });
  }
  return errors;
}

/**
 * Writes the letter of a school year: period, notes and one line per referent. Any change
 * resets every acknowledgement (the referents must read the new version) and bumps the revision.
 */
export async function saveLetter(
  db: DB,
  input: { uai: string; schoolYear: number; periodStart: string; periodEnd: string; notes: string; referents: ReferentInput[]; actorId: number },
): Promise<{ id: number; hadAcknowledgements: boolean }> {
  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('mission_letters').select('id').where('uai', '=', input.uai).where('school_year', '=', input.schoolYear).forUpdate().executeTakeFirst();
    let id: number;
    if (existing) {
      id = existing.id;
      await trx
        .updateTable('mission_letters')
        .set({ period_start: input.periodStart, period_end: input.periodEnd, notes: input.notes, updated_by: input.actorId, updated_at: new Date(), revision: sql<number>`revision + 1` })
        .where('id', '=', id)
        .execute();
    } else {
      const row = await trx
        .insertInto('mission_letters')
        .values({ uai: input.uai, school_year: input.schoolYear, period_start: input.periodStart, period_end: input.periodEnd, notes: input.notes, created_by: input.actorId, updated_by: input.actorId })
        .onConflict((oc) => oc.columns(['uai', 'school_year']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!row) throw conflict("Une autre personne vient d'écrire la lettre de cette année : rechargez la page.");
      id = row.id;
    }
    const acknowledged = await trx.selectFrom('mission_letter_referents').select('user_id').where('letter_id', '=', id).where('acknowledged_at', 'is not', null).execute();
    await trx.deleteFrom('mission_letter_referents').where('letter_id', '=', id).execute();
    if (input.referents.length) {
      await trx
        .insertInto('mission_letter_referents')
        .values(
          input.referents.map((r, position) => ({
            letter_id: id,
            user_id: r.userId,
            position,
            time_split: JSON.stringify(r.timeSplit),
            tool_tasks: JSON.stringify(r.toolTasks),
            imp_amount: r.impAmount,
            acknowledged_at: null,
          })),
        )
        .execute();
    }
    return { id, hadAcknowledgements: acknowledged.length > 0 };
  });
}

/** A referent acknowledges the revision they read; a later edit makes them read it again. */
export async function acknowledge(db: DB, input: { letterId: number; userId: number; revision: number }): Promise<Date> {
  return db.transaction().execute(async (trx) => {
    const letter = await trx.selectFrom('mission_letters').select('revision').where('id', '=', input.letterId).forUpdate().executeTakeFirst();
    if (!letter) throw new HttpError(404, "Cette lettre de mission n'existe pas.");
    if (letter.revision !== input.revision) throw conflict('La lettre a été modifiée depuis votre lecture : relisez la nouvelle version avant d’en accuser réception.');
    const line = await trx.selectFrom('mission_letter_referents').select('acknowledged_at').where('letter_id', '=', input.letterId).where('user_id', '=', input.userId).executeTakeFirst();
    if (!line) throw new HttpError(403, "Seuls les référents nommés dans cette lettre peuvent en accuser réception.");
    if (line.acknowledged_at) return line.acknowledged_at;
    const now = new Date();
    await trx.updateTable('mission_letter_referents').set({ acknowledged_at: now }).where('letter_id', '=', input.letterId).where('user_id', '=', input.userId).execute();
    return now;
  });
}
