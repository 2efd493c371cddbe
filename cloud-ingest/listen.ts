// Starting a server on a configured port, with one clear line when that is not possible.
import type { Server, Socket } from 'node:net';
import { PolegateError } from '../config/errors.js';

export interface ListenSpec {
  host: string;
  port: number;
  /** Where the port comes from, for the error: `mqtt.port in cloud.yaml`. */
  origin: string;
  /** What to do when it is taken: `stop the other broker or choose another port`. */
  hint: string;
}

/** Open connections of each listening server, so that closing it does not wait for its clients. */
const connections = new WeakMap<Server, Set<Socket>>();

/** Listens and resolves with the real port (for port 0, a free one). */
export function listen(server: Server, spec: ListenSpec): Promise<number> {
  const open = new Set<Socket>();
  connections.set(server, open);
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const where = `${spec.host}:${spec.port} (${spec.origin})`;
      if (err.code === 'EADDRINUSE') reject(new PolegateError(`cannot listen on ${where}: address already in use — ${spec.hint}`, 'PORT_IN_USE', 1));
      else if (err.code === 'EACCES') reject(new PolegateError(`cannot listen on ${where}: permission denied — use a port above 1023 or grant the capability`, 'PORT_DENIED', 1));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(new PolegateError(`cannot listen on ${where}: no such local address — check the host`, 'HOST_INVALID', 2));
      else reject(new PolegateError(`cannot listen on ${where}: ${err.message}`, 'LISTEN_FAILED', 1));
    };
    server.once('error', onError);
    server.listen(spec.port, spec.host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : spec.port);
    });
  });
}

/** Closes a server, ending its open connections, and resolves when it is down. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    for (const socket of connections.get(server) ?? []) socket.destroy();
  });
}
