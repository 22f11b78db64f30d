import type { Request } from 'express';
import { sql } from 'kysely';
import type { PluginContext } from '../../server/plugins/context.js';
import type { SessionUser } from '../../server/auth/sessionUser.js';
import type { ChatSettings } from './settings.js';
import { ChatHub } from './hub.js';
import { RateLimiter } from './rateLimit.js';
import { MessageWriter } from './writer.js';
import { mentionKey, mentionedKeys } from './mentions.js';
import { ChatError, deleteMessage, editMessage, messageById, messageMeta, toggleReaction, type ChatMessage } from './messages.js';
import { membershipOf, roomById, PRIVATE_KINDS, type Membership, type RoomRow } from './rooms.js';
import type { RoomKind } from './schema.js';

export type Ctx = PluginContext<ChatSettings>;

/** Where a link to a message leads: the page of history around it, scrolled to it. */
export function messageUrl(roomId: number, messageId: number): string {
  return `/chat/rooms/${roomId}?around=${messageId}#m${messageId}`;
}

export interface RoomAccess {
  room: RoomRow;
  membership: Membership | null;
  canModerate: boolean;
}

/**
 * What a person may do in the chat, the same over HTTP and over the socket: every write is
 * stored first, then broadcast.
 */
export class ChatService {
  readonly hub = new ChatHub();
  readonly limiter: RateLimiter;
  readonly invitationLimiter: RateLimiter;
  readonly writer: MessageWriter;

  constructor(readonly ctx: Ctx) {
    this.limiter = new RateLimiter(ctx.settings.rateBurst, ctx.settings.ratePerSecond);
    this.invitationLimiter = new RateLimiter(ctx.settings.invitationsPerHour, ctx.settings.invitationsPerHour / 3600);
    this.writer = new MessageWriter(ctx.db);
  }

  render = (body: string): string => this.ctx.markdown.render(body, { images: false, mentions: true });
  toText = (body: string): string => this.ctx.markdown.toText(body);

  /**
   * Members see their rooms; anyone sees a topic room (to join it); the DANE moderates place and
   * topic rooms. A private group or DM is, for anyone else, a room that does not exist.
   */
  async access(user: SessionUser, roomId: number): Promise<RoomAccess> {
    const room = await roomById(this.ctx.db, roomId);
    if (!room) throw new ChatError(404, "Ce salon n'existe pas.");
    const membership = await membershipOf(this.ctx.db, roomId, user.id);
    const dane = this.ctx.permissions.can(user, 'chat:moderate') && !PRIVATE_KINDS.includes(room.kind);
    if (!membership && room.kind !== 'topic' && !dane) throw new ChatError(404, "Ce salon n'existe pas.");
    return { room, membership, canModerate: dane || membership?.role === 'owner' };
  }

  async send(user: SessionUser, input: { roomId: number; clientId: string; body: string; replyTo?: number | null }): Promise<{ message: ChatMessage; duplicate: boolean }> {
    if (!this.limiter.take(user.id)) throw new ChatError(429, 'Vous envoyez trop de messages à la suite : patientez quelques secondes avant de réessayer.');
    const stored = await this.writer.write({ ...input, authorId: user.id });
    if (stored.duplicate) {
      const earlier = await messageById(this.ctx.db, stored.id, this.render, this.toText);
      return { message: earlier!, duplicate: true };
    }
    // The broadcast is built from what we know: no second read on the common path.
    let parent: ChatMessage['parent'] = null;
    if (stored.replyTo !== null) {
      const p = await messageById(this.ctx.db, stored.replyTo, this.render, this.toText);
      parent = p ? { id: p.id, author: p.author?.name ?? '', excerpt: p.deleted ? 'message supprimé' : this.toText(p.body).slice(0, 120) } : null;
    }
    const message: ChatMessage = {
      id: stored.id,
      roomId: input.roomId,
      clientId: input.clientId,
      author: { id: user.id, name: user.displayName, department: user.department?.name ?? null },
      body: input.body,
      html: this.render(input.body),
      replyTo: stored.replyTo,
      createdAt: stored.createdAt.toISOString(),
      editedAt: null,
      deleted: false,
      reactions: [],
      parent,
      mentions: input.body.includes('@') ? mentionedKeys(input.body) : [],
    };
    this.hub.message(message);
    if (input.body.includes('@')) void this.notifyMentions(user, message).catch((err) => this.ctx.log.warn({ err }, 'mentions non notifiées'));
    void this.kindOf(input.roomId)
      .then((kind) => (kind === 'dm' ? this.notifyDirect(user, message) : undefined))
      .catch((err) => this.ctx.log.warn({ err }, 'message direct non notifié'));
    return { message, duplicate: false };
  }

  /** A room's kind never changes: asked once per room and process. */
  private readonly kinds = new Map<number, RoomKind>();
  private async kindOf(roomId: number): Promise<RoomKind | undefined> {
    const known = this.kinds.get(roomId);
    if (known) return known;
    const room = await roomById(this.ctx.db, roomId);
    if (room) this.kinds.set(roomId, room.kind);
    return room?.kind;
  }

  /**
   * A direct message notifies the other person once until they read the conversation: not when
   * earlier messages of the conversation are still unread (they were told then), nor while they
   * are looking at it (they see it come).
   */
  private async notifyDirect(user: SessionUser, message: ChatMessage): Promise<void> {
    const recipients = await this.ctx.db
      .selectFrom('chat_members as m')
      .select('m.user_id')
      .where('m.room_id', '=', message.roomId)
      .where('m.user_id', '<>', user.id)
      .where(({ not, exists, selectFrom }) => not(exists(
        selectFrom('chat_messages as x').select('x.id')
          .whereRef('x.room_id', '=', 'm.room_id').whereRef('x.id', '>', 'm.last_read_id').where('x.id', '<', message.id)
          .where('x.deleted_at', 'is', null).where(sql<boolean>`x.author_id is distinct from m.user_id`),
      )))
      .execute();
    if (!recipients.length) return;
    const watching = await this.hub.viewers(recipients.map((r) => r.user_id), message.roomId);
    const ids = recipients.map((r) => r.user_id).filter((id) => !watching.has(id));
    if (!ids.length) return;
    await this.ctx.notifications.notify(ids, {
      kind: 'chat:direct',
      title: `${user.displayName} vous a écrit un message direct`,
      body: message.body.slice(0, 500),
      url: messageUrl(message.roomId, message.id),
    });
  }

  private async notifyMentions(user: SessionUser, message: ChatMessage): Promise<void> {
    const keys = mentionedKeys(message.body);
    if (!keys.length) return;
    const members = await this.ctx.db
      .selectFrom('chat_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['u.id', 'u.given_name', 'u.family_name'])
      .where('m.room_id', '=', message.roomId)
      .execute();
    const ids = members.filter((m) => m.id !== user.id && keys.includes(mentionKey(m.given_name, m.family_name))).map((m) => m.id);
    if (!ids.length) return;
    const room = await roomById(this.ctx.db, message.roomId);
    await this.ctx.notifications.notify(ids, {
      kind: 'chat:mention',
      title: `${user.displayName} vous mentionne dans « ${room?.kind === 'dm' ? 'message direct' : room?.name} »`,
      body: message.body.slice(0, 500),
      url: messageUrl(message.roomId, message.id),
    });
  }

  async edit(user: SessionUser, messageId: number, body: string): Promise<ChatMessage> {
    await editMessage(this.ctx.db, messageId, user.id, body);
    const message = (await messageById(this.ctx.db, messageId, this.render, this.toText))!;
    this.hub.update(message);
    return message;
  }

  /** Authors delete their own messages; owners and the DANE remove others' (audited). */
  async remove(user: SessionUser, messageId: number, req?: Request): Promise<ChatMessage> {
    const meta = await messageMeta(this.ctx.db, messageId);
    if (!meta) throw new ChatError(404, "Ce message n'existe pas.");
    const access = await this.access(user, meta.roomId);
    const own = meta.authorId === user.id && access.membership !== null;
    if (!own && !access.canModerate) throw new ChatError(403, 'Vous ne pouvez supprimer que vos propres messages.');
    if (!meta.deleted) {
      await deleteMessage(this.ctx.db, messageId, user.id);
      if (!own) await this.ctx.audit({ action: 'chat.message.remove', req, actorId: user.id, targetType: 'chat_message', targetId: String(messageId), details: { roomId: meta.roomId, authorId: meta.authorId } });
    }
    if (!own) await this.settleReports(user, messageId, 'removed', req);
    const message = (await messageById(this.ctx.db, messageId, this.render, this.toText))!;
    this.hub.update(message);
    return message;
  }

  /**
   * One decision settles every open report of a message: from the moderation queue, or when a
   * moderator removes the message from the room, so that no report waits on a message already gone.
   */
  async settleReports(user: SessionUser, messageId: number, outcome: 'removed' | 'dismissed', req?: Request): Promise<number> {
    const done = await this.ctx.db.updateTable('chat_reports').set({ resolved_at: new Date(), resolved_by: user.id, outcome })
      .where('message_id', '=', messageId).where('resolved_at', 'is', null).executeTakeFirst();
    const settled = Number(done.numUpdatedRows);
    if (settled) await this.ctx.audit({ action: `chat.report.${outcome}`, req, actorId: user.id, targetType: 'chat_message', targetId: String(messageId), details: { reports: settled } });
    return settled;
  }

  async react(user: SessionUser, messageId: number, emoji: string): Promise<ChatMessage> {
    const meta = await messageMeta(this.ctx.db, messageId);
    if (!meta || meta.deleted) throw new ChatError(404, "Ce message n'existe pas.");
    const membership = await membershipOf(this.ctx.db, meta.roomId, user.id);
    if (!membership) throw new ChatError(404, "Ce message n'existe pas.");
    await toggleReaction(this.ctx.db, messageId, user.id, emoji);
    const message = (await messageById(this.ctx.db, messageId, this.render, this.toText))!;
    this.hub.update(message);
    return message;
  }

  async report(user: SessionUser, messageId: number, reason: string, req?: Request): Promise<void> {
    const meta = await messageMeta(this.ctx.db, messageId);
    if (!meta || meta.deleted) throw new ChatError(404, "Ce message n'existe pas.");
    const membership = await membershipOf(this.ctx.db, meta.roomId, user.id);
    if (!membership) throw new ChatError(404, "Ce message n'existe pas.");
    await this.ctx.db
      .insertInto('chat_reports')
      .values({ message_id: messageId, reporter_id: user.id, reason })
      .onConflict((oc) => oc.columns(['message_id', 'reporter_id']).doUpdateSet({ reason, resolved_at: null, outcome: null }))
      .execute();
    await this.ctx.audit({ action: 'chat.message.report', req, actorId: user.id, targetType: 'chat_message', targetId: String(messageId), details: { roomId: meta.roomId, reason } });
  }
}
