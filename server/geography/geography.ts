import france from './france.json' with { type: 'json' };
import type { DB } from '../db/schema.js';

export interface Department {
  code: string;
  name: string;
  uaiPrefix: string;
  academyCode: string;
}
export interface Academy {
  code: string;
  name: string;
  region: string;
  departments: Department[];
}

export const academies: Academy[] = france.academies.map((a) => ({
  code: a.code,
  name: a.name,
  region: a.region,
  departments: a.departments.map((d) => ({ ...d, academyCode: a.code })),
}));

const departmentsByCode = new Map(academies.flatMap((a) => a.departments).map((d) => [d.code, d]));
const departmentsByPrefix = new Map(academies.flatMap((a) => a.departments).map((d) => [d.uaiPrefix, d]));
const academiesByCode = new Map(academies.map((a) => [a.code, a]));

export const UAI_PATTERN = /^[0-9]{7}[A-Z]$/;

export function departmentByCode(code: string): Department | undefined {
  return departmentsByCode.get(code);
}

export function academyByCode(code: string): Academy | undefined {
  return academiesByCode.get(code);
}

/** The first three characters of a UAI name its département: 086 → Vienne, 620 → Corse-du-Sud, 974 → La Réunion. */
export function departmentOfUai(uai: string): Department | undefined {
  const normalised = uai.trim().toUpperCase();
  if (!UAI_PATTERN.test(normalised)) return undefined;
  return departmentsByPrefix.get(normalised.slice(0, 3));
}

/** Reference data follows the JSON file: upserted at every start, never deleted. */
export async function syncGeography(db: DB): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('academies')
      .values(academies.map((a) => ({ code: a.code, name: a.name, region: a.region })))
      .onConflict((oc) =>
        oc.column('code').doUpdateSet((eb) => ({ name: eb.ref('excluded.name'), region: eb.ref('excluded.region') })),
      )
      .execute();
    await trx
      .insertInto('departments')
      .values(
        academies.flatMap((a) =>
          a.departments.map((d) => ({ code: d.code, name: d.name, academy_code: a.code, uai_prefix: d.uaiPrefix })),
        ),
      )
      .onConflict((oc) =>
        oc.column('code').doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          academy_code: eb.ref('excluded.academy_code'),
          uai_prefix: eb.ref('excluded.uai_prefix'),
        })),
      )
      .execute();
  });
}
