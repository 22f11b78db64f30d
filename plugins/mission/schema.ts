import type { ColumnType, Generated } from 'kysely';

/** The mission plugin's tables (migrations/001_mission.sql), merged into the one typed schema. */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;
/** Dates are written as 'YYYY-MM-DD' and always read back cast to text (engines differ on date objects). */
type Day = ColumnType<string, string | undefined, string>;

declare module '../../server/db/schema.js' {
  interface Schema {
    mission_designations: {
      id: Generated<number>;
      user_id: number;
      uai: string;
      started_on: Day;
      ended_on: ColumnType<string | null, string | null | undefined, string | null>;
      designated_by: number | null;
      ended_by: number | null;
      created_at: Timestamp;
    };
    mission_letters: {
      id: Generated<number>;
      uai: string;
      school_year: number;
      period_start: Day;
      period_end: Day;
      notes: ColumnType<string, string | undefined, string>;
      revision: ColumnType<number, number | undefined, number>;
      created_by: number | null;
      updated_by: number | null;
      created_at: Timestamp;
      updated_at: Timestamp;
    };
    mission_letter_referents: {
      letter_id: number;
      user_id: number;
      position: ColumnType<number, number | undefined, number>;
      time_split: Json<Record<string, number>>;
      tool_tasks: Json<string[]>;
      imp_amount: number;
      acknowledged_at: Date | null;
    };
  }
}
