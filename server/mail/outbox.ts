import type { DB, MailState } from '../db/schema.js';

export interface OutboxItem {
  id: number;
  to: string;
  subject: string;
  list: string | null;
  state: MailState;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

export const MAIL_STATE_LABELS: Record<MailState, string> = {
  queued: 'En attente',
  sent: 'Envoyé',
  kept: 'Conservé (sans serveur SMTP)',
  failed: 'En échec',
};

/** The admin « Boîte d'envoi »: newest first, filtered by state or recipient. */
export async function listOutbox(
  db: DB,
  filter: { state?: MailState; to?: string; page: number; perPage: number },
): Promise<{ total: number; items: OutboxItem[]; counts: Record<MailState, number> }> {
  let query = db.selectFrom('mail_outbox');
  if (filter.state) query = query.where('state', '=', filter.state);
  if (filter.to) query = query.where('to_address', 'ilike', `%${filter.to.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  const [{ total }, rows, counts] = await Promise.all([
    query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
    query
      .select(['id', 'to_address', 'subject', 'list', 'state', 'attempts', 'last_error', 'created_at', 'sent_at'])
      .orderBy('id', 'desc')
      .limit(filter.perPage)
      .offset((filter.page - 1) * filter.perPage)
      .execute(),
    db.selectFrom('mail_outbox').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('state').execute(),
  ]);
  const byState: Record<MailState, number> = { queued: 0, sent: 0, kept: 0, failed: 0 };
  for (const c of counts) byState[c.state] = Number(c.n);
  return {
    total: Number(total),
    counts: byState,
    items: rows.map((r) => ({
      id: Number(r.id),
      to: r.to_address,
      subject: r.subject,
      list: r.list,
      state: r.state,
      attempts: r.attempts,
      lastError: r.last_error,
      createdAt: r.created_at,
      sentAt: r.sent_at,
    })),
  };
}

export async function outboxMessage(db: DB, id: number) {
  const row = await db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? { ...row, id: Number(row.id), headers: row.headers as Record<string, string> } : null;
}
