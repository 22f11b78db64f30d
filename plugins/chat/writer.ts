import { sql } from 'kysely';
import type { DB } from '../../server/db/schema.js';
import { storeMessage, type NewMessage, type Stored } from './messages.js';

/**
 * Group commit for messages: while one insert is on its way to the database, the messages
 * that arrive wait and then go together in one statement (at most `maxBatch`). At low load a
 * message is written at once, alone; under load the database sees one round trip per batch.
 * Each message is still acknowledged only after its row is stored.
 */
export class MessageWriter {
  private queue: { message: NewMessage; resolve: (s: Stored) => void; reject: (e: unknown) => void }[] = [];
  private flushing = false;

  constructor(private readonly db: DB, private readonly maxBatch = 200) {}

  write(message: NewMessage): Promise<Stored> {
    return new Promise((resolve, reject) => {
      this.queue.push({ message, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.maxBatch);
        if (batch.length === 1) {
          const [one] = batch;
          await storeMessage(this.db, one!.message).then(one!.resolve, one!.reject);
          continue;
        }
        let rows: { id: number; created_at: Date; reply_to: number | null; author_id: number; client_id: string }[];
        try {
          rows = await insertBatch(this.db, batch.map((b) => b.message));
        } catch (error) {
          for (const b of batch) b.reject(error);
          continue;
        }
        const byKey = new Map(rows.map((r) => [`${r.author_id}\u0000${r.client_id}`, r]));
        for (const b of batch) {
          const key = `${b.message.authorId}\u0000${b.message.clientId}`;
          const row = byKey.get(key);
          if (row) {
            byKey.delete(key); // a second copy in the same batch is a retry: the slow path finds the first
            b.resolve({ id: Number(row.id), createdAt: new Date(row.created_at), duplicate: false, replyTo: row.reply_to === null ? null : Number(row.reply_to) });
          } else {
            // Refused or already stored: the one-message path says which, with its French reason.
            await storeMessage(this.db, b.message).then(b.resolve, b.reject);
          }
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}

/** The same checks as storeMessage, for many messages in one statement. */
async function insertBatch(db: DB, messages: NewMessage[]) {
  const values = sql.join(
    messages.map((m, i) => sql`(${m.roomId}::int, ${m.authorId}::int, ${m.clientId}::text, ${m.body}::text, ${m.replyTo ?? null}::bigint, ${i}::int)`),
  );
  const { rows } = await sql<{ id: number; created_at: Date; reply_to: number | null; author_id: number; client_id: string }>`
    with input (room_id, author_id, client_id, body, reply_to, ord) as (values ${values})
    insert into chat_messages (room_id, author_id, client_id, body, reply_to)
    select i.room_id, i.author_id, i.client_id, i.body,
           (select coalesce(p.reply_to, p.id) from chat_messages p where p.id = i.reply_to and p.room_id = i.room_id and p.deleted_at is null)
    from input i
    where exists (select 1 from chat_members cm join chat_rooms r on r.id = cm.room_id
                  where cm.room_id = i.room_id and cm.user_id = i.author_id and not cm.muted and not r.locked)
      and (i.reply_to is null or exists (select 1 from chat_messages p where p.id = i.reply_to and p.room_id = i.room_id and p.deleted_at is null))
    order by i.ord
    on conflict (author_id, client_id) do nothing
    returning id, created_at, reply_to, author_id, client_id`.execute(db);
  return rows;
}
