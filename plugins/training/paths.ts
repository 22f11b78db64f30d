import { sql } from 'kysely';
import type { DB, Tx } from '../../server/db/schema.js';
import { slugify } from '../../server/content/packReader.js';
import { conflict } from '../../server/web/errors.js';
import { lessonUrl, moduleKey, moduleTitles, moduleUrl, type ModuleKey } from './modules.js';
import { refreshEnrolments } from './enrolments.js';

/** Paths: ordered modules picked from the installed packs, some optional. */

export const DEFAULT_PATH = { slug: 'entree-dans-la-fonction', title: 'Entrée dans la fonction de RUPN' };

export interface PathModuleInput extends ModuleKey {
  optional: boolean;
}

/**
 * Keeps the default path « Entrée dans la fonction de RUPN » made of the modules of the given
 * packs, in that order, as far as they are installed. Module ids are read from the packs,
 * never written here. Once a DANE member edits the path's modules it is theirs (auto_sync off).
 */
export async function defaultPathSeeder(trx: Tx, packIds: string[]): Promise<number> {
  let path = await trx.selectFrom('training_paths').select(['id', 'auto_sync']).where('is_default', '=', true).executeTakeFirst();
  if (!path) {
    path = await trx
      .insertInto('training_paths')
      .values({
        slug: DEFAULT_PATH.slug,
        title: DEFAULT_PATH.title,
        description: 'Le parcours des RUPN nouvellement désignés : la mission, le RGPD, le GAR, Pix et l’administration de l’ENT.',
        is_default: true,
        auto_sync: true,
      })
      .onConflict((oc) => oc.column('slug').doUpdateSet({ is_default: true }))
      .returning(['id', 'auto_sync'])
      .executeTakeFirstOrThrow();
  }
  if (!path.auto_sync) return path.id;
  const wanted = packIds.length
    ? await trx
        .selectFrom('content_modules')
        .select(['pack_id', 'module_id'])
        .where('pack_id', 'in', packIds)
        .orderBy(sql`array_position(${sql.val(packIds)}::text[], pack_id)`)
        .orderBy('position')
        .execute()
    : [];
  const current = await trx.selectFrom('training_path_modules').select(['pack_id', 'module_id', 'optional']).where('path_id', '=', path.id).orderBy('position').execute();
  const same = current.length === wanted.length && current.every((c, i) => !c.optional && c.pack_id === wanted[i]!.pack_id && c.module_id === wanted[i]!.module_id);
  if (!same) {
    await pathModulesSetter(trx, path.id, wanted.map((w) => ({ packId: w.pack_id, moduleId: w.module_id, optional: false })));
  }
  return path.id;
}

/** Replaces a path's modules (in the given order) and refreshes its learners' progress. */
export async function pathModulesSetter(trx: Tx, pathId: number, modules: PathModuleInput[]): Promise<void> {
  await trx.deleteFrom('training_path_modules').where('path_id', '=', pathId).execute();
  const seen = new Set<string>();
  const rows = modules
    .filter((m) => !seen.has(moduleKey(m)) && seen.add(moduleKey(m)))
    .map((m, position) => ({ path_id: pathId, pack_id: m.packId, module_id: m.moduleId, position, optional: m.optional }));
  if (rows.length) await trx.insertInto('training_path_modules').values(rows).execute();
  await trx.updateTable('training_paths').set({ updated_at: new Date() }).where('id', '=', pathId).execute();
  await refreshEnrolments(trx, { pathId });
}

/** Creates a path; its slug comes from the title, made unique. */
export async function pathCreator(trx: Tx, props: { title: string; description: string; createdBy: number }): Promise<number> {
  const base = slugify(props.title);
  let slug = base;
  for (let n = 2; await trx.selectFrom('training_paths').select('id').where('slug', '=', slug).executeTakeFirst(); n++) slug = `${base}-${n}`;
  const { id } = await trx
    .insertInto('training_paths')
    .values({ slug, title: props.title, description: props.description, created_by: props.createdBy })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/** Deletes a path nobody holds a badge for; its cohorts and enrolments go with it. */
export async function pathDeleter(trx: Tx, pathId: number): Promise<void> {
  const path = await trx.selectFrom('training_paths').select(['is_default']).where('id', '=', pathId).executeTakeFirst();
  if (!path) return;
  if (path.is_default) throw conflict('Le parcours par défaut ne peut pas être supprimé : retirez-lui des modules si besoin.');
  const badge = await trx.selectFrom('training_badges').select('id').where('path_id', '=', pathId).limit(1).executeTakeFirst();
  if (badge) throw conflict('Des badges ont été délivrés pour ce parcours : il ne peut plus être supprimé.');
  await trx.deleteFrom('training_paths').where('id', '=', pathId).execute();
}

export interface PathRow {
  id: number;
  slug: string;
  title: string;
  description: string;
  isDefault: boolean;
  autoSync: boolean;
}

/** The path shown when none is chosen (the follow-up, the DANE's dashboard): the default one, else the first made. */
export function defaultPath(db: DB) {
  return db.selectFrom('training_paths').select(['id', 'title']).orderBy('is_default', 'desc').orderBy('id').executeTakeFirst();
}

export async function loadPath(db: DB | Tx, by: { id: number } | { slug: string }): Promise<PathRow | null> {
  let q = db.selectFrom('training_paths').select(['id', 'slug', 'title', 'description', 'is_default', 'auto_sync']);
  q = 'id' in by ? q.where('id', '=', by.id) : q.where('slug', '=', by.slug);
  const r = await q.executeTakeFirst();
  return r ? { id: r.id, slug: r.slug, title: r.title, description: r.description, isDefault: r.is_default, autoSync: r.auto_sync } : null;
}

export interface PathStep extends ModuleKey {
  title: string;
  summary: string;
  packTitle: string;
  optional: boolean;
  durationMinutes: number | null;
  state: 'done' | 'in-progress' | 'todo' | 'locked';
  /** Titles of the modules that unlock a locked one. */
  unlockedBy: string[];
  href: string;
}

export interface PathView {
  path: PathRow;
  steps: PathStep[];
  requiredCount: number;
  doneCount: number;
  /** The first required module not done yet. */
  next: PathStep | null;
  /**
   * Where to go on in a path not finished: the first lesson not seen yet (or the quiz, once every
   * lesson is seen) of the unfinished module worked on last; the next module's page when none is
   * under way (« Continuer »). Null before anything is started (« Commencer » leads to `next`) and
   * once the path is finished (the attestation and « Revoir le parcours » take its place).
   */
  resume: { href: string; label: 'Reprendre' | 'Continuer'; detail: string; moduleHref: string } | null;
  /** The first module of the path, where « Revoir le parcours » leads. */
  first: PathStep | null;
  completedAt: Date | null;
  badgeId: string | null;
}

/** A learner's path: modules in order with their state, where to resume, and the badge once completed. */
export async function pathView(db: DB | Tx, userId: number, path: PathRow): Promise<PathView> {
  const rows = await db
    .selectFrom('training_path_modules as pm')
    .innerJoin('content_modules as m', (j) => j.onRef('m.pack_id', '=', 'pm.pack_id').onRef('m.module_id', '=', 'pm.module_id'))
    .innerJoin('content_packs as p', 'p.id', 'm.pack_id')
    .leftJoin('training_module_progress as mp', (j) =>
      j.onRef('mp.pack_id', '=', 'pm.pack_id').onRef('mp.module_id', '=', 'pm.module_id').on('mp.user_id', '=', userId),
    )
    .select([
      'pm.pack_id',
      'pm.module_id',
      'pm.optional',
      'm.title',
      'm.summary',
      'm.requires',
      'm.duration_minutes',
      'p.title as pack_title',
      'mp.completed_at',
      'mp.last_seen_at',
      // Prerequisites may name modules outside the path: the completed ones come with each row,
      // and so does the enrolment, so that a dashboard costs one round trip per path.
      sql<string[]>`(select coalesce(json_agg(c.module_id), '[]'::json) from training_module_progress c
        join content_modules cm on cm.pack_id = c.pack_id and cm.module_id = c.module_id
        where c.user_id = ${userId} and c.pack_id = pm.pack_id and c.completed_at is not null and m.requires ? c.module_id)`.as('done_requires'),
      sql<Date | null>`(select e.completed_at from training_enrolments e where e.user_id = ${userId} and e.path_id = pm.path_id)`.as('enrolment_completed_at'),
      sql<string | null>`(select b.id from training_badges b where b.user_id = ${userId} and b.path_id = pm.path_id)`.as('badge_id'),
    ])
    .where('pm.path_id', '=', path.id)
    .orderBy('pm.position')
    .execute();
  const titles = new Map(rows.map((r) => [moduleKey({ packId: r.pack_id, moduleId: r.module_id }), r.title]));
  const missingTitles = await missingRequirementTitles(db, rows, titles);
  const steps: PathStep[] = rows.map((r) => {
    const key = { packId: r.pack_id, moduleId: r.module_id };
    const missing = r.requires.filter((id) => !r.done_requires.includes(id));
    const state = r.completed_at ? 'done' : missing.length ? 'locked' : r.last_seen_at ? 'in-progress' : 'todo';
    return {
      ...key,
      title: r.title,
      summary: r.summary,
      packTitle: r.pack_title,
      optional: r.optional,
      durationMinutes: r.duration_minutes,
      state,
      unlockedBy: missing.map((id) => missingTitles.get(moduleKey({ packId: r.pack_id, moduleId: id })) ?? id),
      href: moduleUrl(key),
    };
  });
  const enrolment = rows[0] ? { completed_at: rows[0].enrolment_completed_at, badge_id: rows[0].badge_id } : null;
  const required = steps.filter((s) => !s.optional);
  const next = required.find((s) => s.state !== 'done') ?? null;
  const completedAt = enrolment?.completed_at ?? null;
  // The unfinished module worked on last, if any; a finished module is never where one resumes.
  const underWay = rows
    .map((r, i) => ({ r, step: steps[i]! }))
    .filter(({ r, step }) => r.last_seen_at && step.state === 'in-progress')
    .sort((a, b) => b.r.last_seen_at!.getTime() - a.r.last_seen_at!.getTime())[0]?.step;
  const started = rows.some((r) => r.last_seen_at);
  return {
    path,
    steps,
    requiredCount: required.length,
    doneCount: required.filter((s) => s.state === 'done').length,
    next,
    resume: completedAt
      ? null
      : underWay
        ? await resumeIn(db, userId, underWay)
        : started && next
          ? { href: next.href, label: 'Continuer', detail: `Module suivant : « ${next.title} »`, moduleHref: next.href }
          : null,
    first: steps[0] ?? null,
    completedAt,
    badgeId: enrolment?.badge_id ?? null,
  };
}

/** In a module under way: its first lesson not seen yet, else its quiz, else its page. */
async function resumeIn(db: DB | Tx, userId: number, step: PathStep): Promise<NonNullable<PathView['resume']>> {
  const [module, seen] = await Promise.all([
    db
      .selectFrom('content_modules')
      .select([
        sql<{ id: string; title: string }[]>`(select coalesce(json_agg(json_build_object('id', l->>'id', 'title', l->>'title') order by n), '[]'::json) from jsonb_array_elements(lessons) with ordinality as x(l, n))`.as('lessons'),
        sql<boolean>`quiz is not null and quiz <> 'null'::jsonb`.as('has_quiz'),
      ])
      .where('pack_id', '=', step.packId)
      .where('module_id', '=', step.moduleId)
      .executeTakeFirst(),
    db.selectFrom('training_lesson_views').select('lesson_id').where('user_id', '=', userId).where('pack_id', '=', step.packId).where('module_id', '=', step.moduleId).execute(),
  ]);
  const seenIds = new Set(seen.map((v) => v.lesson_id));
  const lesson = module?.lessons.find((l) => !seenIds.has(l.id));
  if (lesson) return { href: lessonUrl(step, lesson.id), label: 'Reprendre', detail: `Leçon suivante : « ${lesson.title} », ${step.title}`, moduleHref: step.href };
  if (module?.has_quiz) return { href: `${step.href}/quiz`, label: 'Reprendre', detail: `Il vous reste le quiz du module « ${step.title} »`, moduleHref: step.href };
  return { href: step.href, label: 'Reprendre', detail: `Module en cours : « ${step.title} »`, moduleHref: step.href };
}

/**
 * The few steps a dashboard shows of a path: those the learner can work on now, in path order,
 * each with its place in the path. When none is open (prerequisites outside the path), the
 * first ones not done.
 */
export function nextSteps(view: PathView, max: number): { step: PathStep; position: number }[] {
  const numbered = view.steps.map((step, i) => ({ step, position: i + 1 }));
  const notDone = numbered.filter(({ step }) => step.state !== 'done');
  const open = notDone.filter(({ step }) => step.state !== 'locked');
  return (open.length ? open : notDone).slice(0, max);
}

async function missingRequirementTitles(db: DB | Tx, rows: { pack_id: string; requires: string[] }[], known: Map<string, string>): Promise<Map<string, string>> {
  const wanted = rows.flatMap((r) => r.requires.map((moduleId) => ({ packId: r.pack_id, moduleId }))).filter((k) => !known.has(moduleKey(k)));
  if (!wanted.length) return known;
  return new Map([...known, ...(await moduleTitles(db, wanted))]);
}

/** The paths a learner follows, oldest enrolment first. */
export async function learnerPaths(db: DB | Tx, userId: number): Promise<PathRow[]> {
  const rows = await db
    .selectFrom('training_enrolments as e')
    .innerJoin('training_paths as p', 'p.id', 'e.path_id')
    .select(['p.id', 'p.slug', 'p.title', 'p.description', 'p.is_default', 'p.auto_sync'])
    .where('e.user_id', '=', userId)
    .orderBy('e.enrolled_at')
    .orderBy('p.id')
    .execute();
  return rows.map((r) => ({ id: r.id, slug: r.slug, title: r.title, description: r.description, isDefault: r.is_default, autoSync: r.auto_sync }));
}
