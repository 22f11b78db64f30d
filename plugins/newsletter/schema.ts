import type { ColumnType, Generated } from 'kysely';

/** The newsletter plugin's tables (migrations/001_newsletter.sql), merged into the one typed schema. */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type IssueState = 'draft' | 'scheduled' | 'sending' | 'sent' | 'paused';
export type DeliveryState = 'pending' | 'claimed' | 'sending' | 'sent' | 'kept' | 'failed' | 'bounced' | 'skipped';

declare module '../../server/db/schema.js' {
  interface Schema {
    newsletter_issues: {
      id: Generated<number>;
      slug: string;
      title: string;
      summary: ColumnType<string, string | undefined, string>;
      body: ColumnType<string, string | undefined, string>;
      academy_code: string | null;
      state: ColumnType<IssueState, IssueState | undefined, IssueState>;
      scheduled_at: Date | string | null;
      send_run: ColumnType<number, number | undefined, number>;
      filled_at: Date | string | null;
      recipient_count: ColumnType<number, number | undefined, number>;
      last_error: string | null;
      started_at: Date | string | null;
      sent_at: Date | string | null;
      created_by: number | null;
      created_at: Timestamp;
      updated_at: Timestamp;
    };
    newsletter_subscribers: {
      user_id: number;
      subscribed_at: Timestamp;
    };
    newsletter_deliveries: {
      id: Generated<number>;
      issue_id: number;
      email: string;
      user_id: number | null;
      state: ColumnType<DeliveryState, DeliveryState | undefined, DeliveryState>;
      attempts: ColumnType<number, number | undefined, number>;
      next_attempt_at: Timestamp;
      last_error: string | null;
      sent_at: Date | string | null;
    };
  }
}
