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

  message(message: ChatMessage): void {
    this.nsp?.to(ChatHub.room(message.roomId)).emit('message', message);
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
}
