import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { Server, type Namespace, type Socket } from 'socket.io';
import type { Access, Permissions } from '../auth/permissions.js';
import type { SessionUser } from '../auth/sessionUser.js';
import type { UserService } from '../users/userService.js';

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
export function createSocketServer(
  httpServer: HttpServer,
  deps: { session: RequestHandler; permissions: Permissions; users: UserService; maxPayloadBytes?: number },
): { io: Server; auth: SocketAuth } {
  const io = new Server(httpServer, {
    serveClient: true,
    maxHttpBufferSize: deps.maxPayloadBytes ?? 64 * 1024,
    connectionStateRecovery: undefined,
  });
  io.engine.use(deps.session);

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
            next();
          },
          () => next(new Error('erreur du serveur')),
        );
      });
    },
  };
  return { io, auth };
}
