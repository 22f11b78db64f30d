import { academies, departmentByCode, type Academy, type Department } from '../../server/geography/geography.js';
import { academyOf } from '../../server/web/viewHelpers.js';
import type { SessionUser } from '../../server/auth/sessionUser.js';

/** The places the DANE chooses from, in the order people expect, their own first. */

/** 01…19, 2A, 2B, 21…95, then the overseas 971…976: the order of the codes as people read them. */
export function compareDepartmentCodes(a: string, b: string): number {
  const rank = (code: string) => (code === '2A' ? 20.1 : code === '2B' ? 20.2 : Number(code));
  return rank(a) - rank(b);
}

/** A person's académie: the one on their account, else their département's. */
export function academyCodeOf(user: SessionUser): string | null {
  return user.academy?.code ?? (user.department ? departmentByCode(user.department.code)?.academyCode ?? null : null);
}

export interface DepartmentGroup {
  /** « Académie de Poitiers », « Autres départements »; null when the list is not split. */
  label: string | null;
  departments: Department[];
}

/** Every département by code, those of the given académie first in a group of their own. */
export function departmentGroups(academyCode: string | null): DepartmentGroup[] {
  const all = academies.flatMap((a) => a.departments).sort((a, b) => compareDepartmentCodes(a.code, b.code));
  const own = academies.find((a) => a.code === academyCode);
  if (!own) return [{ label: null, departments: all }];
  return [
    { label: academyOf(own.name, { capitalized: true }), departments: all.filter((d) => d.academyCode === own.code) },
    { label: 'Autres départements', departments: all.filter((d) => d.academyCode !== own.code) },
  ];
}

/** The académies, the given one first, then by name; each with its départements by code. */
export function academiesFirst(academyCode: string | null): Academy[] {
  const sorted = academies.map((a) => ({ ...a, departments: [...a.departments].sort((x, y) => compareDepartmentCodes(x.code, y.code)) }));
  return [...sorted.filter((a) => a.code === academyCode), ...sorted.filter((a) => a.code !== academyCode)];
}
