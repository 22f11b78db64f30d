/**
 * What a lettre de mission is made of: the missions a referent may hold, the sub-tasks of
 * « gérer les outils », the IMP bounds and the school year arithmetic. Pure data and helpers.
 */
import { longDate } from '../../server/web/viewHelpers.js';

export const MISSIONS = [
  { key: 'accompagner', label: "Accompagner l'équipe pédagogique" },
  { key: 'conseiller', label: "Conseiller le chef d'établissement" },
  { key: 'communiquer', label: 'Communiquer' },
  { key: 'former', label: 'Se former' },
  { key: 'outils', label: 'Gérer les outils' },
] as const;
export type MissionKey = (typeof MISSIONS)[number]['key'];
export const MISSION_KEYS = MISSIONS.map((m) => m.key) as MissionKey[];

export const TOOL_TASKS = [
  { key: 'collectivite', label: 'Lien avec la collectivité' },
  { key: 'tickets', label: "Tickets d'assistance" },
  { key: 'ent', label: 'ENT' },
  { key: 'tablettes', label: 'Tablettes' },
  { key: 'services', label: 'Services pédagogiques' },
  { key: 'site', label: 'Site web' },
] as const;
export type ToolTaskKey = (typeof TOOL_TASKS)[number]['key'];
export const TOOL_TASK_KEYS = TOOL_TASKS.map((t) => t.key) as ToolTaskKey[];

export const missionLabel = (key: string): string => MISSIONS.find((m) => m.key === key)?.label ?? key;
export const toolTaskLabel = (key: string): string => TOOL_TASKS.find((t) => t.key === key)?.label ?? key;

/** The IMP of the mission, in euros per year (decree n° 2015-475). */
export const IMP_MIN = 1250;
export const IMP_MAX = 3750;
/** The DANE recommends no more than this many referents per establishment. */
export const RECOMMENDED_MAX_REFERENTS = 3;

/** A school year is named by the year it starts in; it starts on 1 September. */
export function schoolYearOf(date: Date = new Date()): number {
  return date.getUTCMonth() >= 8 ? date.getUTCFullYear() : date.getUTCFullYear() - 1;
}
export const schoolYearLabel = (year: number): string => `${year}-${year + 1}`;
export const defaultPeriod = (year: number) => ({ start: `${year}-09-01`, end: `${year + 1}-08-31` });

/** The missions a referent holds: those given some of their time. */
export function heldMissions(split: Record<string, number>): MissionKey[] {
  return MISSION_KEYS.filter((k) => (split[k] ?? 0) > 0);
}

const euro = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR', maximumFractionDigits: 0 });
/** « 1 250 € » with ordinary spaces (PDF fonts lack the narrow no-break space). */
export const formatEuros = (amount: number): string => euro.format(amount).replace(/[\u202f\u00a0]/g, ' ');

/** A calendar day as stored ('2025-09-01') → « 1er septembre 2025 ». */
export const formatDay = (day: string): string => longDate(new Date(`${day}T00:00:00Z`), 'UTC');
