import type { ColumnType, Generated } from 'kysely';

/** The training plugin's tables (migrations/001_training.sql), merged into the one typed schema. */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface AnswerRecord {
  questionId: string;
  /** What the learner gave: choice indexes, a boolean, right-hand indexes per left item, or text. */
  given: number[] | boolean | null | (number | null)[] | string;
  /** Share of the question earned, 0 to 1. */
  credit: number;
}

declare module '../../server/db/schema.js' {
  interface Schema {
    training_paths: {
      id: Generated<number>;
      slug: string;
      title: string;
      description: string;
      is_default: ColumnType<boolean, boolean | undefined, boolean>;
      auto_sync: ColumnType<boolean, boolean | undefined, boolean>;
      created_by: number | null;
      created_at: Timestamp;
      updated_at: Timestamp;
    };
    training_path_modules: {
      path_id: number;
      pack_id: string;
      module_id: string;
      position: number;
      optional: ColumnType<boolean, boolean | undefined, boolean>;
    };
    training_cohorts: {
      id: Generated<number>;
      path_id: number;
      school_year: number;
      academy_code: string | null;
      department_code: string | null;
      created_by: number | null;
      created_at: Timestamp;
    };
    training_enrolments: {
      user_id: number;
      path_id: number;
      cohort_id: number | null;
      enrolled_at: Timestamp;
      started_at: Date | null;
      last_activity_at: Date | null;
      required_count: ColumnType<number, number | undefined, number>;
      completed_count: ColumnType<number, number | undefined, number>;
      current_pack_id: string | null;
      current_module_id: string | null;
      completed_at: Date | null;
    };
    training_module_progress: {
      user_id: number;
      pack_id: string;
      module_id: string;
      started_at: Timestamp;
      last_lesson_id: string | null;
      last_seen_at: Timestamp;
      attempts: ColumnType<number, number | undefined, number>;
      best_score: number | null;
      passed_at: Date | null;
      completed_at: Date | null;
    };
    training_lesson_views: {
      user_id: number;
      pack_id: string;
      module_id: string;
      lesson_id: string;
      first_seen_at: Timestamp;
      last_seen_at: Timestamp;
    };
    training_quiz_attempts: {
      id: Generated<number>;
      user_id: number;
      pack_id: string;
      module_id: string;
      score: number;
      pass_mark: number;
      passed: boolean;
      answers: Json<AnswerRecord[]>;
      submitted_at: Timestamp;
    };
    training_badges: {
      id: string;
      user_id: number;
      path_id: number;
      recipient_salt: string;
      recipient_hash: string;
      issued_at: Timestamp;
      revoked_at: Date | null;
      revocation_reason: string | null;
      announced_at: Date | null;
    };
  }
}
