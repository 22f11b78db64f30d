import type { ColumnType, Generated, Insertable, Kysely, Selectable, Transaction } from 'kysely';

/**
 * Typed view of the core tables. A plugin adds its own tables by declaration merging:
 *
 *   declare module '../../server/db/schema.js' {
 *     interface Schema { forum_topics: ForumTopicTable }
 *   }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Schema extends CoreSchema {}

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface CoreSchema {
  schema_migrations: {
    scope: string;
    version: number;
    name: string;
    checksum: string;
    applied_at: Timestamp;
  };
  app_state: {
    key: string;
    value: Json<unknown>;
    updated_at: Timestamp;
  };
  academies: {
    code: string;
    name: string;
    region: string;
  };
  departments: {
    code: string;
    name: string;
    academy_code: string;
    uai_prefix: string;
  };
  establishments: {
    uai: string;
    name: string;
    kind: string;
    city: string;
    department_code: string;
    created_at: Timestamp;
  };
  users: {
    id: Generated<number>;
    email: string;
    given_name: string;
    family_name: string;
    academy_code: string | null;
    department_code: string | null;
    status: ColumnType<UserStatus, UserStatus | undefined, UserStatus>;
    created_at: Timestamp;
    updated_at: Timestamp;
    last_login_at: Date | null;
  };
  user_roles: {
    user_id: number;
    role: string;
    granted_at: Timestamp;
    granted_by: number | null;
  };
  user_establishments: {
    user_id: number;
    uai: string;
    function: string | null;
    is_primary: boolean;
  };
  user_identities: {
    provider: string;
    subject: string;
    user_id: number;
    created_at: Timestamp;
    last_login_at: Date | null;
  };
  sessions: {
    sid: string;
    data: Json<Record<string, unknown>>;
    user_id: number | null;
    expires_at: Date;
  };
  audit_log: {
    id: Generated<number>;
    at: Timestamp;
    actor_id: number | null;
    action: string;
    target_type: string | null;
    target_id: string | null;
    ip: string | null;
    details: Json<Record<string, unknown>>;
  };
  plugins: {
    name: string;
    version: string;
    installed_at: Timestamp;
    updated_at: Timestamp;
  };
  content_packs: {
    id: string;
    title: string;
    version: string;
    description: string;
    checksum: string;
    source: string;
    manifest: Json<Record<string, unknown>>;
    installed_at: Timestamp;
    updated_at: Timestamp;
  };
  content_modules: {
    pack_id: string;
    module_id: string;
    position: number;
    title: string;
    summary: string;
    themes: Json<string[]>;
    competences: Json<string[]>;
    requires: Json<string[]>;
    duration_minutes: number | null;
    lessons: Json<StoredLesson[]>;
    quiz: Json<StoredQuiz | null>;
    resources: Json<StoredResource[]>;
    completion: Json<StoredCompletionRule>;
    updated_at: Timestamp;
  };
  saml_requests: {
    id: string;
    idp_id: string;
    created_at: Timestamp;
    expires_at: Date;
  };
  saml_seen_messages: {
    idp_id: string;
    message_id: string;
    expires_at: Date;
  };
  saml_identities: {
    provider: string;
    subject: string;
    name_id: string;
    name_id_format: string | null;
    session_index: string | null;
    attributes: Json<Record<string, string[]>>;
    received_at: Timestamp;
  };
  content_pack_reports: {
    source: string;
    pack_id: string | null;
    state: 'valid' | 'invalid';
    version: string | null;
    errors: Json<PackErrorRecord[]>;
    checked_at: Timestamp;
  };
  jobs: {
    id: Generated<number>;
    kind: string;
    payload: Json<unknown>;
    state: ColumnType<JobState, JobState | undefined, JobState>;
    unique_key: string | null;
    run_at: Timestamp;
    attempts: Generated<number>;
    max_attempts: Generated<number>;
    last_error: string | null;
    locked_by: string | null;
    locked_until: Date | null;
    progress_done: number | null;
    progress_total: number | null;
    created_at: Timestamp;
    started_at: Date | null;
    finished_at: Date | null;
    updated_at: Timestamp;
  };
  mail_outbox: {
    id: Generated<number>;
    to_address: string;
    user_id: number | null;
    subject: string;
    html: string;
    text: string;
    headers: Json<Record<string, string>>;
    attachments: ColumnType<MailAttachment[], string | undefined, string>;
    list: string | null;
    state: ColumnType<MailState, MailState | undefined, MailState>;
    attempts: Generated<number>;
    last_error: string | null;
    message_id: string;
    created_at: Timestamp;
    sent_at: Date | null;
  };
  rate_limit_hits: {
    key: string;
    hits: number;
    reset_at: Date;
  };
  mail_unsubscribes: {
    email: string;
    list: string;
    user_id: number | null;
    at: Timestamp;
  };
  notifications: {
    id: Generated<number>;
    user_id: number;
    kind: string;
    title: string;
    body: string;
    url: string | null;
    created_at: Timestamp;
    read_at: Date | null;
    digest_pending: Generated<boolean>;
  };
  notification_preferences: {
    user_id: number;
    kind: string;
    email: EmailPreference;
    updated_at: Timestamp;
  };
  files: {
    id: string;
    owner: string;
    user_id: number | null;
    name: string;
    mime: string;
    category: FileCategory;
    size: number;
    sha256: string;
    created_at: Timestamp;
  };
}

export type JobState = 'queued' | 'running' | 'done' | 'failed';
export type MailState = 'queued' | 'sent' | 'kept' | 'failed';
/** A text file sent with a mail: `evenement-12.ics`, `text/calendar; method=PUBLISH`. */
export interface MailAttachment {
  filename: string;
  contentType: string;
  content: string;
}
export type EmailPreference = 'immediate' | 'daily' | 'never';
export type FileCategory = 'image' | 'document';

export type UserStatus = 'active' | 'suspended' | 'deleted';

export interface StoredLesson {
  id: string;
  title: string;
  markdown: string;
}
export interface StoredResource {
  title: string;
  href: string;
  kind: 'file' | 'link';
  description?: string;
}
export interface StoredCompletionRule {
  lessons: 'all' | 'none';
  quiz: 'pass' | 'attempt' | 'none';
}
export interface StoredQuiz {
  title: string;
  passMark: number;
  maxAttempts: number | null;
  shuffle: boolean;
  questions: StoredQuestion[];
}
export type StoredQuestion =
  | { id: string; type: 'single' | 'multiple'; prompt: string; choices: { text: string; correct: boolean; feedback?: string }[]; explanation?: string }
  | { id: string; type: 'truefalse'; prompt: string; answer: boolean; explanation?: string }
  | { id: string; type: 'matching'; prompt: string; pairs: { left: string; right: string }[]; explanation?: string }
  | { id: string; type: 'short'; prompt: string; accept: string[]; explanation?: string };
export interface PackErrorRecord {
  file: string;
  line?: number;
  field?: string;
  message: string;
}

export type DB = Kysely<Schema>;
export type Tx = Transaction<Schema>;
export type Row<T extends keyof Schema> = Selectable<Schema[T]>;
export type NewRow<T extends keyof Schema> = Insertable<Schema[T]>;
