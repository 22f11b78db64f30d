import { sql } from 'kysely';
import type { DB, StoredCompletionRule, StoredLesson, StoredQuiz, StoredResource, Tx } from '../../server/db/schema.js';

/** Modules of the installed packs, as the training pages read them. */

export interface ModuleKey {
  packId: string;
  moduleId: string;
}

export interface ModuleSummary extends ModuleKey {
  packTitle: string;
  position: number;
  title: string;
  summary: string;
  themes: string[];
  competences: string[];
  requires: string[];
  durationMinutes: number | null;
  lessonCount: number;
  hasQuiz: boolean;
}

export interface ModuleRecord extends ModuleSummary {
  lessons: StoredLesson[];
  quiz: StoredQuiz | null;
  resources: StoredResource[];
  completion: StoredCompletionRule;
}

export const moduleKey = (m: ModuleKey) => `${m.packId}/${m.moduleId}`;
export const moduleUrl = (m: ModuleKey) => `/training/modules/${encodeURIComponent(m.packId)}/${encodeURIComponent(m.moduleId)}`;
export const lessonUrl = (m: ModuleKey, lessonId: string) => `${moduleUrl(m)}/lecons/${encodeURIComponent(lessonId)}`;

function summaryColumns(db: DB | Tx) {
  return db
    .selectFrom('content_modules as m')
    .innerJoin('content_packs as p', 'p.id', 'm.pack_id')
    .select([
      'm.pack_id',
      'm.module_id',
      'p.title as pack_title',
      'm.position',
      'm.title',
      'm.summary',
      'm.themes',
      'm.competences',
      'm.requires',
      'm.duration_minutes',
      sql<number>`jsonb_array_length(m.lessons)`.as('lesson_count'),
      sql<boolean>`m.quiz is not null and m.quiz <> 'null'::jsonb`.as('has_quiz'),
    ]);
}

type SummaryRow = Awaited<ReturnType<ReturnType<typeof summaryColumns>['execute']>>[number];

function toSummary(r: SummaryRow): ModuleSummary {
  return {
    packId: r.pack_id,
    moduleId: r.module_id,
    packTitle: r.pack_title,
    position: r.position,
    title: r.title,
    summary: r.summary,
    themes: r.themes,
    competences: r.competences,
    requires: r.requires,
    durationMinutes: r.duration_minutes,
    lessonCount: Number(r.lesson_count),
    hasQuiz: Boolean(r.has_quiz),
  };
}

/** Every module of every installed pack, pack by pack in their order; optionally one theme or one CRCN competence. */
export async function listModules(db: DB | Tx, filter: { theme?: string; competence?: string } = {}): Promise<ModuleSummary[]> {
  let query = summaryColumns(db);
  if (filter.theme) query = query.where(sql<boolean>`m.themes ? ${filter.theme}`);
  if (filter.competence) query = query.where(sql<boolean>`m.competences ? ${filter.competence}`);
  const rows = await query.orderBy('p.title').orderBy('m.position').execute();
  return rows.map(toSummary);
}

export async function loadModule(db: DB | Tx, key: ModuleKey): Promise<ModuleRecord | null> {
  const row = await summaryColumns(db)
    .select(['m.lessons', 'm.quiz', 'm.resources', 'm.completion'])
    .where('m.pack_id', '=', key.packId)
    .where('m.module_id', '=', key.moduleId)
    .executeTakeFirst();
  if (!row) return null;
  return { ...toSummary(row), lessons: row.lessons, quiz: row.quiz, resources: row.resources, completion: row.completion };
}

/** Titles of modules, to name what unlocks a locked one. */
export async function moduleTitles(db: DB | Tx, keys: ModuleKey[]): Promise<Map<string, string>> {
  if (!keys.length) return new Map();
  const rows = await db
    .selectFrom('content_modules')
    .select(['pack_id', 'module_id', 'title'])
    .where((eb) => eb.or(keys.map((k) => eb.and([eb('pack_id', '=', k.packId), eb('module_id', '=', k.moduleId)]))))
    .execute();
  return new Map(rows.map((r) => [moduleKey({ packId: r.pack_id, moduleId: r.module_id }), r.title]));
}
