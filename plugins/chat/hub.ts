import type { Namespace } from 'socket.io';
import type { ChatMessage } from './messages.js';

/**
 * Where HTTP routes and socket handlers meet: the namespace (set when sockets attach) and
 * the socket.io rooms naming. With the PostgreSQL adapter these calls reach every process.
 */
export class ChatHub {
  nsp: Namespace | null = null;

  static room(roomId: number): string {
    return `room:${roomId}`;
  }
  static user(userId: number): string {
    return `user:${userId}`;
  }

  /** New messages waiting for the end of this turn of the event loop, by room, in order. */
  private pending = new Map<number, ChatMessage[]>();

  /**
   * New messages go out as one `messages` event per room and turn of the event loop. The writer
   * stores messages in batches under load; a batch's messages for one room then cost each member
   * one frame instead of one each, so the busier the server, the less each message costs it.
   */
  message(message: ChatMessage): void {
    const waiting = this.pending.get(message.roomId);
    if (waiting) return void waiting.push(message);
    this.pending.set(message.roomId, [message]);
    if (this.pending.size === 1) setImmediate(() => this.flush());
  }

  private flush(): void {
    const rooms = this.pending;
    this.pending = new Map();
    for (const [roomId, messages] of rooms) this.nsp?.to(ChatHub.room(roomId)).emit('messages', messages);
  }

  /** A message changed: edited, deleted, reactions. */
  update(message: ChatMessage): void {
    this.nsp?.to(ChatHub.room(message.roomId)).emit('update', message);
  }
  roomEvent(roomId: number, event: string, payload: unknown): void {
    this.nsp?.to(ChatHub.room(roomId)).emit(event, payload);
  }
  /** Every socket of this person joins (or leaves) the room, in every process. */
  joined(userId: number, roomId: number): void {
    this.nsp?.in(ChatHub.user(userId)).socketsJoin(ChatHub.room(roomId));
  }
  left(userId: number, roomId: number): void {
    this.nsp?.in(ChatHub.user(userId)).socketsLeave(ChatHub.room(roomId));
  }
  /** Someone joined or left a room: its open pages update their member list. */
  memberChanged(roomId: number, change: { userId: number; joined: boolean; name?: string; department?: string | null }): void {
    this.nsp?.to(ChatHub.room(roomId)).emit('members', { roomId, ...change });
  }
  /** Tells a person's open pages how they may take part in a room now (muted or not). */
  membership(userId: number, roomId: number, state: { muted: boolean }): void {
    this.nsp?.to(ChatHub.user(userId)).emit('membership', { roomId, ...state });
  }
  /** Tells a person's open pages (the room list) about a room they are now in. */
  roomAdded(userId: number, room: { id: number; kind: string; label: string }): void {
    this.nsp?.to(ChatHub.user(userId)).emit('joined', room);
  }
  /** Among these people, those with a page showing the room now (socket `viewing`), in every process. */
  async viewers(userIds: number[], roomId: number): Promise<Set<number>> {
    if (!this.nsp || !userIds.length) return new Set();
    const sockets = await this.nsp.in(userIds.map(ChatHub.user)).fetchSockets();
    return new Set(sockets.filter((s) => s.data.viewing === roomId && s.data.user).map((s) => s.data.user.id as number));
  }
}
