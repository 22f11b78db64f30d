import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { Server, type Namespace, type Socket } from 'socket.io';
import { createAdapter } from '@socket.io/postgres-adapter';
import type pg from 'pg';
import type { Access, Permissions } from '../auth/permissions.js';
import type { SessionUser } from '../auth/sessionUser.js';
import type { UserService } from '../users/userService.js';
import { withoutNul } from '../web/nulBytes.js';

declare module 'socket.io' {
  interface SocketData {
    user: SessionUser | null;
  }
}

type SessionRequest = IncomingMessage & { session?: { passport?: { user?: unknown } } };

export interface SocketAuth {
  /** Every connection to the namespace is authenticated from the HTTP session and checked against access. */
  protect(nsp: Namespace, access: Access): void;
}

/**
 * socket.io shares the HTTP session: the cookie that logged a person in on the web is the one
 * that authenticates their socket, and the same capability check decides.
 */
export async function createSocketServer(
  httpServer: HttpServer,
  deps: { session: RequestHandler; permissions: Permissions; users: UserService; maxPayloadBytes?: number; postgresPool?: pg.Pool },
): Promise<{ io: Server; auth: SocketAuth }> {
  const io = new Server(httpServer, {
    serveClient: true,
    maxHttpBufferSize: deps.maxPayloadBytes ?? 64 * 1024,
    connectionStateRecovery: undefined,
  });
  io.engine.use(deps.session);
  // On a PostgreSQL server, every process behind the load balancer shares rooms and broadcasts
  // through LISTEN/NOTIFY (large packets go through a table). PGlite is one process: in memory.
  if (deps.postgresPool) {
    await deps.postgresPool.query(
      'create table if not exists socket_io_attachments (id bigserial unique, created_at timestamptz default now(), payload bytea)',
    );
    const pool = deps.postgresPool;
    // The adapter checks a client out for its LISTENs. It never goes back to the pool (it would
    // keep listening) but is destroyed, once: on close, and when the server drops it — then pg
    // emits 'error', which must not crash the process, and the adapter reconnects on 'end'.
    const listening = {
      connect: async () => {
        const client = await pool.connect();
        const release = client.release.bind(client);
        let destroyed = false;
        client.release = () => {
          if (destroyed) return;
          destroyed = true;
          release(true);
        };
        client.on('error', () => client.release());
        client.on('end', () => client.release());
        return client;
      },
      query: pool.query.bind(pool),
    } as unknown as pg.Pool;
    io.adapter(withoutLonelyPublishes(createAdapter(listening, { errorHandler: () => {} })));
  }

  const auth: SocketAuth = {
    protect(nsp, access) {
      nsp.use((socket: Socket, next) => {
        const userId = (socket.request as SessionRequest).session?.passport?.user;
        const load = typeof userId === 'number' ? deps.users.byId(userId) : Promise.resolve(null);
        load.then(
          (user) => {
            socket.data.user = user;
            if (access !== 'public' && !user) return next(new Error('non connecté'));
            if (!deps.permissions.allows(user, access)) return next(new Error('accès refusé'));
            // Events carry what people type, as forms do: without the NUL that PostgreSQL refuses.
            socket.use((packet, nextPacket) => {
              for (let i = 1; i < packet.length; i++) if (typeof packet[i] !== 'function') packet[i] = withoutNul(packet[i]);
              nextPacket();
            });
            next();
          },
          () => next(new Error('erreur du serveur')),
        );
      });
    },
  };
  return { io, auth };
}

// Message types of socket.io's cluster protocol that only carry work for other processes.
const FOR_PEERS_ONLY = new Set([3 /* BROADCAST */, 4 /* SOCKETS_JOIN */, 5 /* SOCKETS_LEAVE */, 6 /* DISCONNECT_SOCKETS */]);

type AdapterFactory = ReturnType<typeof createAdapter>;
interface ClusterInternals {
  nodesMap: Map<string, number>;
  doPublish(message: { type: number }): Promise<string>;
}

/**
 * The PostgreSQL adapter NOTIFYs every broadcast, even when no other process listens: one
 * round trip per chat message for nothing. Processes announce themselves with a heartbeat
 * when they start (and every 5 s when idle), so a process that knows no peer keeps its
 * broadcasts local; heartbeats and requests still go out, and a new peer is heard at once.
 */
function withoutLonelyPublishes(factory: AdapterFactory): AdapterFactory {
  // socket.io calls it with `new`: a function, not an arrow.
  return function lonelyAware(nsp: Namespace) {
    const adapter = factory(nsp) as unknown as ClusterInternals;
    const publish = adapter.doPublish.bind(adapter);
    adapter.doPublish = (message) => (adapter.nodesMap.size === 0 && FOR_PEERS_ONLY.has(message.type) ? Promise.resolve('') : publish(message));
    return adapter;
  } as unknown as AdapterFactory;
}
