/**
 * The ceiling for bench/chat.ts: a bare socket.io server doing only what the chat must do at
 * least — each client joins its room, and a `send` is acknowledged and broadcast to the room.
 * No database, no validation, no session. Prints its port on stdout.
 */
import http from 'node:http';
import { Server } from 'socket.io';

const server = http.createServer();
const io = new Server(server, { serveClient: false });
let next = 1;
io.of('/chat').on('connection', (socket) => {
  const room = `room:${String(socket.handshake.query.room)}`;
  void socket.join(room);
  socket.on('send', (payload: { roomId: number; clientId: string; body: string }, ack?: (r: unknown) => void) => {
    const id = next++;
    const createdAt = new Date().toISOString();
    ack?.({ ok: true, id, createdAt });
    io.of('/chat').to(room).emit('message', { id, roomId: payload.roomId, clientId: payload.clientId, body: payload.body, createdAt });
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => {
  io.close();
  process.exit(0);
});
