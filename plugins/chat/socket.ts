import { z } from 'zod';
import type { Namespace, Socket } from 'socket.io';
import type { SessionUser } from '../../server/auth/sessionUser.js';
import { ChatHub } from './hub.js';
import { ChatError, changedSince, historyPage } from './messages.js';
import { markRead, membershipOf, roomById, roomIdsOf } from './rooms.js';
import type { ChatService } from './service.js';

/**
 * The /chat socket protocol. Every event that expects an answer gets one through its ack:
 * `{ ok: true, … }` or `{ ok: false, error: '<French message>' }`. Bad payloads never crash the
 * server nor drop the socket; the author of anything is always the socket's own user.
 */

const id = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const clientId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'identifiant client invalide (8 à 64 lettres, chiffres, - ou _)');
export const EMOJI = /^(?:\p{Extended_Pictographic}|\p{Emoji_Component}|\u200d|\ufe0f){1,8}$/u;

/** A number per room id: the last message, or the last change, a client knows of. */
const cursors = z.record(z.string().regex(/^\d{1,12}$/), z.number().int().min(0)).refine((v) => Object.keys(v).length <= 500, 'trop de salons');

function schemas(maxChars: number) {
  const body = z.string().trim().min(1, 'le message est vide').max(maxChars, `le message dépasse ${maxChars} caractères`);
  return {
    send: z.object({ roomId: id, clientId, body, replyTo: id.nullish() }).strict(),
    edit: z.object({ messageId: id, body }).strict(),
    remove: z.object({ messageId: id }).strict(),
    react: z.object({ messageId: id, emoji: z.string().max(32).regex(EMOJI, 'réaction invalide : un émoji attendu') }).strict(),
    report: z.object({ messageId: id, reason: z.string().trim().max(500).default('') }).strict(),
    room: z.object({ roomId: id }).strict(),
    read: z.object({ roomId: id, messageId: id }).strict(),
    viewing: z.object({ roomId: id.nullable() }).strict(),
    catchup: z.object({ since: cursors, changedSince: cursors.optional() }).strict(),
  };
}

type Ack = (reply: unknown) => void;

function explain(error: unknown): string {
  if (error instanceof ChatError) return error.message;
  if (error instanceof z.ZodError) {
    const issue = error.issues[0]!;
    const where = issue.path.length ? ` (${issue.path.join('.')})` : '';
    return `Requête invalide${where} : ${issue.message}`;
  }
  return 'Erreur du serveur : réessayez dans un instant.';
}

export function chatSockets(nsp: Namespace, service: ChatService): void {
  const { ctx, hub } = service;
  const s = schemas(ctx.settings.maxMessageChars);
  hub.nsp = nsp;

  nsp.on('connection', (socket: Socket) => {
    const user = socket.data.user as SessionUser;
    // Rooms are joined before any handler answers: an early event waits for them.
    const ready = (async () => {
      const rooms = await roomIdsOf(ctx.db, user.id);
      await socket.join([ChatHub.user(user.id), ...rooms.map(ChatHub.room)]);
      for (const roomId of rooms) socket.to(ChatHub.room(roomId)).emit('presence', { roomId, userId: user.id, name: user.displayName, online: true });
    })();
    ready.catch((err) => ctx.log.warn({ err }, 'salons du socket non rejoints'));

    /** Validates, runs, and always answers; a missing ack is fine, a thrown error is an answer. */
    function on<S extends z.ZodType>(event: string, schema: S, run: (input: z.output<S>) => Promise<Record<string, unknown>>): void {
      socket.on(event, async (payload: unknown, ack?: unknown) => {
        const reply: Ack = typeof ack === 'function' ? (ack as Ack) : () => {};
        try {
          await ready;
          const input = schema.parse(payload);
          reply({ ok: true, ...(await run(input)) });
        } catch (error) {
          if (!(error instanceof ChatError) && !(error instanceof z.ZodError)) ctx.log.error({ err: error, event }, 'erreur du salon de discussion');
          reply({ ok: false, error: explain(error) });
        }
      });
    }

    on('send', s.send, async (input) => {
      const { message, duplicate } = await service.send(user, input);
      return { id: message.id, createdAt: message.createdAt, duplicate };
    });
    on('edit', s.edit, async ({ messageId, body }) => ({ message: await service.edit(user, messageId, body) }));
    on('delete', s.remove, async ({ messageId }) => ({ message: await service.remove(user, messageId) }));
    on('react', s.react, async ({ messageId, emoji }) => ({ message: await service.react(user, messageId, emoji) }));
    on('report', s.report, async ({ messageId, reason }) => {
      await service.report(user, messageId, reason);
      return {};
    });
    on('read', s.read, async ({ roomId, messageId }) => {
      await markRead(ctx.db, roomId, user.id, messageId);
      return {};
    });
    on('typing', s.room, async ({ roomId }) => {
      if (!socket.rooms.has(ChatHub.room(roomId))) throw new ChatError(404, "Ce salon n'existe pas ou vous n'en êtes pas membre.");
      socket.to(ChatHub.room(roomId)).emit('typing', { roomId, userId: user.id, name: user.displayName });
      return {};
    });
    // The room this page shows, while it is visible (null otherwise): no notification of a direct
    // message to someone who sees it arrive.
    on('viewing', s.viewing, async ({ roomId }) => {
      socket.data.viewing = roomId !== null && socket.rooms.has(ChatHub.room(roomId)) ? roomId : null;
      return {};
    });
    // Who is online in a room, across every process (the adapter asks the others).
    on('who', s.room, async ({ roomId }) => {
      if (!socket.rooms.has(ChatHub.room(roomId))) throw new ChatError(404, "Ce salon n'existe pas ou vous n'en êtes pas membre.");
      const sockets = await nsp.in(ChatHub.room(roomId)).fetchSockets();
      const users = new Map<number, string>();
      for (const other of sockets) if (other.data.user) users.set(other.data.user.id, other.data.user.displayName);
      return { users: [...users].map(([userId, name]) => ({ userId, name })).sort((a, b) => a.name.localeCompare(b.name, 'fr')) };
    });
    // After a reconnection, per room the client is in: everything after the last id it holds, and
    // the current state of the messages it holds that changed (edited, deleted, reactions) since
    // the last change it knows of (`changedSince`); `changes` is where to start next time.
    on('catchup', s.catchup, async ({ since, changedSince: knownChanges }) => {
      const out: Record<string, unknown[]> = {};
      const changed: Record<string, unknown[]> = {};
      const changes: Record<string, number> = {};
      const state: Record<string, { locked: boolean; muted: boolean }> = {};
      let more = false;
      for (const [room, lastId] of Object.entries(since)) {
        const roomId = Number(room);
        const membership = await membershipOf(ctx.db, roomId, user.id);
        if (!membership) continue;
        // Locked or muted meanwhile: the page learns whether its composer may write.
        state[room] = { locked: (await roomById(ctx.db, roomId))?.locked ?? false, muted: membership.muted };
        const page = await historyPage(ctx.db, roomId, { after: lastId, limit: 500 }, service.render, service.toText);
        out[room] = page.messages;
        if (page.messages.length === 500) more = true;
        const known = knownChanges?.[room];
        if (known === undefined) continue;
        const edits = await changedSince(ctx.db, roomId, { changeId: known, upTo: lastId, limit: 500 }, service.render, service.toText);
        changed[room] = edits.messages;
        changes[room] = edits.changeId;
        if (edits.messages.length === 500) more = true;
      }
      return { messages: out, changed, changes, state, more };
    });

    socket.on('disconnecting', () => {
      for (const room of socket.rooms) {
        if (!room.startsWith('room:')) continue;
        socket.to(room).emit('presence', { roomId: Number(room.slice(5)), userId: user.id, name: user.displayName, online: false });
      }
    });
  });
}
