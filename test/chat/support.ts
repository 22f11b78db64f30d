import { io as connect, type Socket } from 'socket.io-client';
import type supertest from 'supertest';
import type { TestApp } from '../support/testApp.js';

/** A person of the chat: a logged-in HTTP client and, on demand, their socket. */
export interface Chatter {
  key: string;
  agent: supertest.Agent;
  cookie: string;
  socket(url?: string): Promise<Socket>;
}

export async function chatter(t: Pick<TestApp, 'url' | 'loginAs'>, key: string): Promise<Chatter> {
  const agent = await t.loginAs(key);
  const cookie = (await agent.get('/chat').expect(200)).request.cookies;
  const sockets: Socket[] = [];
  return {
    key,
    agent,
    cookie,
    socket(url = t.url) {
      const socket = connect(`${url}/chat`, { transports: ['websocket'], extraHeaders: { cookie }, forceNew: true, reconnectionDelay: 50, reconnectionDelayMax: 200 });
      sockets.push(socket);
      return new Promise((resolve, reject) => {
        socket.once('connect', () => resolve(socket));
        socket.once('connect_error', reject);
      });
    },
  };
}

export interface Reply {
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

export function call(socket: Socket, event: string, payload: unknown): Promise<Reply> {
  return socket.timeout(5000).emitWithAck(event, payload) as Promise<Reply>;
}

/** The next `event` the socket receives that matches, or a failure after `ms`. */
export function next<T = any>(socket: Socket, event: string, match: (payload: T) => boolean = () => true, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`aucun « ${event} » reçu en ${ms} ms`));
    }, ms);
    function listener(payload: T) {
      if (!match(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(payload);
    }
    socket.on(event, listener);
  });
}

/** Nothing matching arrives within `ms`. */
export async function nothing(socket: Socket, event: string, match: (payload: any) => boolean = () => true, ms = 300): Promise<void> {
  let seen = false;
  const listener = (payload: unknown) => {
    if (match(payload)) seen = true;
  };
  socket.on(event, listener);
  await new Promise((r) => setTimeout(r, ms));
  socket.off(event, listener);
  if (seen) throw new Error(`« ${event} » reçu alors qu'il ne devait pas l'être`);
}

/** The next new message that matches: they arrive as `messages` events, one list per room. */
export async function nextMessage(socket: Socket, match: (message: any) => boolean = () => true, ms = 5000): Promise<any> {
  const list = await next<any[]>(socket, 'messages', (messages) => messages.some(match), ms);
  return list.find(match);
}

/** No new message that matches arrives within `ms`. */
export function noMessage(socket: Socket, match: (message: any) => boolean = () => true, ms = 300): Promise<void> {
  return nothing(socket, 'messages', (messages: any[]) => messages.some(match), ms);
}

let counter = 0;
export const cid = (prefix = 'c') => `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;

export function csrf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('aucun jeton CSRF');
  return match[1]!;
}
