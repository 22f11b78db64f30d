import type { DB, Tx } from '../../server/db/schema.js';
import { conflict } from '../../server/web/errors.js';
import { moduleTitles, type ModuleKey, type ModuleRecord } from './modules.js';
import type { QuizResult } from './quiz.js';
import { refreshEnrolments } from './enrolments.js';

/** What one learner did on one module, and the commands that record their steps. */

export interface LearnerModuleState {
  started: boolean;
  lessonsSeen: Set<string>;
  lastLessonId: string | null;
  attempts: number;
  bestScore: number | null;
  passed: boolean;
  completedAt: Date | null;
  /** Modules of the same pack still to complete before this one opens. */
  missing: (ModuleKey & { title: string })[];
  locked: boolean;
  attemptsLeft: number | null;
}

export async function learnerState(db: DB | Tx, userId: number, module: ModuleRecord): Promise<LearnerModuleState> {
  const [progress, views, doneRequired] = await Promise.all([
    db
      .selectFrom('training_module_progress')
      .selectAll()
      .where('user_id', '=', userId)
      .where('pack_id', '=', module.packId)
      .where('module_id', '=', module.moduleId)
      .executeTakeFirst(),
    db
      .selectFrom('training_lesson_views')
      .select('lesson_id')
      .where('user_id', '=', userId)
      .where('pack_id', '=', module.packId)
      .where('module_id', '=', module.moduleId)
      .execute(),
    module.requires.length
      ? db
          .selectFrom('training_module_progress')
          .select('module_id')
          .where('user_id', '=', userId)
          .where('pack_id', '=', module.packId)
          .where('module_id', 'in', module.requires)
          .where('completed_at', 'is not', null)
          .execute()
      : Promise.resolve([]),
  ]);
  const done = new Set(doneRequired.map((r) => r.module_id));
  const missingKeys = module.requires.filter((id) => !done.has(id)).map((moduleId) => ({ packId: module.packId, moduleId }));
  const titles = await moduleTitles(db, missingKeys);
  const attempts = progress?.attempts ?? 0;
  const max = module.quiz?.maxAttempts ?? null;
  return {
    started: Boolean(progress),
    lessonsSeen: new Set(views.map((v) => v.lesson_id)),
    lastLessonId: progress?.last_lesson_id ?? null,
    attempts,
    bestScore: progress?.best_score ?? null,
    passed: Boolean(progress?.passed_at),
    completedAt: progress?.completed_at ?? null,
    missing: missingKeys.map((k) => ({ ...k, title: titles.get(`${k.packId}/${k.moduleId}`) ?? k.moduleId })),
    locked: missingKeys.length > 0 && !progress?.completed_at,
    attemptsLeft: max === null ? null : Math.max(0, max - attempts),
  };
}

async function touchProgress(trx: Tx, userId: number, module: ModuleKey, lessonId: string | null, at: Date): Promise<void> {
  await trx
    .insertInto('training_module_progress')
    .values({ user_id: userId, pack_id: module.packId, module_id: module.moduleId, started_at: at, last_seen_at: at, last_lesson_id: lessonId })
    .onConflict((oc) =>
      oc.columns(['user_id', 'pack_id', 'module_id']).doUpdateSet(lessonId ? { last_seen_at: at, last_lesson_id: lessonId } : { last_seen_at: at }),
    )
    .execute();
}

/** A lesson was shown to a learner: it counts as seen, becomes where « Reprendre » leads, and may complete the module. */
export async function lessonViewRecorder(trx: Tx, props: { userId: number; module: ModuleRecord; lessonId: string; at?: Date }): Promise<void> {
  const at = props.at ?? new Date();
  const { userId, module, lessonId } = props;
  await trx
    .insertInto('training_lesson_views')
    .values({ user_id: userId, pack_id: module.packId, module_id: module.moduleId, lesson_id: lessonId, first_seen_at: at, last_seen_at: at })
    .onConflict((oc) => oc.columns(['user_id', 'pack_id', 'module_id', 'lesson_id']).doUpdateSet({ last_seen_at: at }))
    .execute();
  await touchProgress(trx, userId, module, lessonId, at);
  await moduleCompleter(trx, userId, module, at);
}

/**
 * Stores a quiz attempt and keeps the best score. Refused with a 409 once the pack's
 * `maxAttempts` is reached (the progress row is locked, so two tabs cannot both slip through).
 */
export async function quizAttemptRecorder(trx: Tx, props: { userId: number; module: ModuleRecord; result: QuizResult; at?: Date }): Promise<number> {
  const at = props.at ?? new Date();
  const { userId, module, result } = props;
  const quiz = module.quiz!;
  await touchProgress(trx, userId, module, null, at);
  const progress = await trx
    .selectFrom('training_module_progress')
    .select(['attempts', 'best_score'])
    .where('user_id', '=', userId)
    .where('pack_id', '=', module.packId)
    .where('module_id', '=', module.moduleId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (quiz.maxAttempts !== null && progress.attempts >= quiz.maxAttempts) {
    throw conflict(`Vous avez déjà utilisé vos ${quiz.maxAttempts} tentatives pour ce quiz : votre meilleur score (${progress.best_score ?? 0} %) est conservé.`);
  }
  const { id } = await trx
    .insertInto('training_quiz_attempts')
    .values({
      user_id: userId,
      pack_id: module.packId,
      module_id: module.moduleId,
      score: result.score,
      pass_mark: quiz.passMark,
      passed: result.passed,
      answers: JSON.stringify(result.answers),
      submitted_at: at,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx
    .updateTable('training_module_progress')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      best_score: Math.max(result.score, progress.best_score ?? 0),
      passed_at: result.passed ? eb.fn.coalesce('passed_at', eb.val(at)) : eb.ref('passed_at'),
    }))
    .where('user_id', '=', userId)
    .where('pack_id', '=', module.packId)
    .where('module_id', '=', module.moduleId)
    .execute();
  await moduleCompleter(trx, userId, module, at);
  return id;
}

/** Marks the module completed once its rule (stored in content_modules.completion) is met, then refreshes the learner's paths. */
async function moduleCompleter(trx: Tx, userId: number, module: ModuleRecord, at: Date): Promise<void> {
  const state = await learnerState(trx, userId, module);
  if (!state.completedAt && isComplete(module, state)) {
    await trx
      .updateTable('training_module_progress')
      .set({ completed_at: at })
      .where('user_id', '=', userId)
      .where('pack_id', '=', module.packId)
      .where('module_id', '=', module.moduleId)
      .execute();
  }
  await refreshEnrolments(trx, { userId });
}

export function isComplete(module: ModuleRecord, state: Pick<LearnerModuleState, 'lessonsSeen' | 'attempts' | 'passed'>): boolean {
  const rule = module.completion;
  const lessonsOk = rule.lessons === 'none' || module.lessons.every((l) => state.lessonsSeen.has(l.id));
  const quizOk = !module.quiz || rule.quiz === 'none' || (rule.quiz === 'attempt' ? state.attempts > 0 : state.passed);
  return lessonsOk && quizOk;
}
