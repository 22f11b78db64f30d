import type { ColumnType, Generated } from 'kysely';

/** The survey plugin's tables (migrations/001_survey.sql), merged into the one typed schema. */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Day = ColumnType<string, string | undefined, string>;
type Json<T> = ColumnType<T, string | undefined, string>;

declare module '../../server/db/schema.js' {
  interface Schema {
    survey_surveys: {
      id: Generated<number>;
      title: string;
      intro: ColumnType<string, string | undefined, string>;
      academy_code: string;
      anonymous: ColumnType<boolean, boolean | undefined, boolean>;
      opens_at: Timestamp;
      closes_at: Timestamp;
      secret: string;
      created_by: number | null;
      created_at: Timestamp;
      updated_at: Timestamp;
    };
    survey_questions: {
      id: Generated<number>;
      survey_id: number;
      position: number;
      kind: 'single' | 'multiple' | 'scale' | 'yesno' | 'text';
      label: string;
      help: ColumnType<string, string | undefined, string>;
      required: ColumnType<boolean, boolean | undefined, boolean>;
      options: Json<string[]>;
      scale_max: number | null;
      statement: ColumnType<string, string | undefined, string>;
      show_if_question: number | null;
      show_if_value: number | null;
    };
    survey_participations: {
      survey_id: number;
      user_id: number;
      answered_on: Day | null;
      reminded_on: Day | null;
    };
    survey_responses: {
      survey_id: number;
      respondent_key: string;
      user_id: number | null;
      department_code: string | null;
      submitted_on: Day;
    };
    survey_tallies: {
      survey_id: number;
      question_id: number;
      department_code: string;
      value: number;
      n: number;
    };
    survey_answers: {
      survey_id: number;
      respondent_key: string;
      question_id: number;
      value: number | null;
      text: string | null;
    };
  }
}
