// A TCP connection to a serial server (an RS-485 line tunnelled over TCP) as an arbiter's ByteLink.
import net from 'node:net';
import type { ByteLink } from './bus-arbiter.js';

export function openTcpLink(host: string, port: number, timeoutMs: number): Promise<ByteLink> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let closing = false;
    let onLost: (err: Error) => void = () => undefined;
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no TCP connection to ${host}:${port} within ${timeoutMs} ms`)));
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.setNoDelay(true);
      socket.off('error', reject);
      socket.on('error', () => undefined);
      socket.once('close', () => {
        if (!closing) onLost(new Error(`connection to ${host}:${port} closed`));
      });
      resolve({
        write: (bytes) => new Promise((done, fail) => socket.write(bytes, (err) => (err ? fail(new Error(`${host}:${port}: ${err.message}`)) : done()))),
        onData: (listener) => socket.on('data', listener),
        onLost: (listener) => (onLost = listener),
        close: async () => {
          closing = true;
          socket.destroy();
        },
      });
    });
  });
}
