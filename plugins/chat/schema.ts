import type { ColumnType, Generated } from 'kysely';

/** The chat plugin's tables (migrations/), merged into the one typed schema. */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type RoomKind = 'departement' | 'academie' | 'topic' | 'group' | 'dm';

declare module '../../server/db/schema.js' {
  interface Schema {
    chat_rooms: {
      id: Generated<number>;
      kind: RoomKind;
      slug: string | null;
      name: string;
      description: ColumnType<string, string | undefined, string>;
      locked: ColumnType<boolean, boolean | undefined, boolean>;
      created_by: number | null;
      created_at: Timestamp;
    };
    chat_members: {
      room_id: number;
      user_id: number;
      role: ColumnType<'owner' | 'member', 'owner' | 'member' | undefined, 'owner' | 'member'>;
      muted: ColumnType<boolean, boolean | undefined, boolean>;
      last_read_id: ColumnType<number, number | undefined, number>;
      joined_at: Timestamp;
    };
    chat_messages: {
      id: Generated<number>;
      room_id: number;
      author_id: number | null;
      client_id: string;
      body: string;
      reply_to: number | null;
      created_at: Timestamp;
      edited_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
      deleted_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
      deleted_by: number | null;
      /** The message's last change (edit, deletion, reaction), from the chat_message_changes sequence. */
      change_id: ColumnType<number | null, never, number | null>;
      search: Generated<string>;
    };
    chat_reactions: { message_id: number; user_id: number; emoji: string };
    chat_invitations: { room_id: number; user_id: number; invited_by: number | null; created_at: Timestamp };
    chat_reports: {
      id: Generated<number>;
      message_id: number;
      reporter_id: number | null;
      reason: ColumnType<string, string | undefined, string>;
      created_at: Timestamp;
      resolved_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
      resolved_by: number | null;
      outcome: 'removed' | 'dismissed' | null;
    };
  }
}
