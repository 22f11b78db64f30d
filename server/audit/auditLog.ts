import type { DB, Tx } from '../db/schema.js';

export interface AuditEntry {
  action: string;
  actorId?: number | null;
  targetType?: string | null;
  targetId?: string | number | null;
  ip?: string | null;
  details?: Record<string, unknown>;
}

/** Who did what to whom. Written in the caller's transaction so the trace and the change land together. */
export async function recordAudit(db: DB | Tx, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      action: entry.action,
      actor_id: entry.actorId ?? null,
      target_type: entry.targetType ?? null,
      target_id: entry.targetId === undefined || entry.targetId === null ? null : String(entry.targetId),
      ip: entry.ip ?? null,
      details: JSON.stringify(entry.details ?? {}),
    })
    .execute();
}

export interface AuditRow {
  id: number;
  at: Date;
  action: string;
  actorName: string | null;
  actorId: number | null;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

export async function listAudit(
  db: DB,
  filter: { action?: string; page: number; perPage: number },
): Promise<{ total: number; items: AuditRow[] }> {
  let query = db.selectFrom('audit_log as l').leftJoin('users as u', 'u.id', 'l.actor_id');
  if (filter.action) query = query.where('l.action', 'like', `${filter.action.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  const [{ total }, rows] = await Promise.all([
    query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
    query
      .select(['l.id', 'l.at', 'l.action', 'l.actor_id', 'l.target_type', 'l.target_id', 'l.ip', 'l.details', 'u.given_name', 'u.family_name'])
      .orderBy('l.id', 'desc')
      .limit(filter.perPage)
      .offset((filter.page - 1) * filter.perPage)
      .execute(),
  ]);
  return {
    total: Number(total),
    items: rows.map((r) => ({
      id: Number(r.id),
      at: r.at,
      action: r.action,
      actorId: r.actor_id,
      actorName: r.given_name !== null ? `${r.given_name} ${r.family_name ?? ''}`.trim() : null,
      targetType: r.target_type,
      targetId: r.target_id,
      ip: r.ip,
      details: r.details as Record<string, unknown>,
    })),
  };
}
