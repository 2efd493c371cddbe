// A TCP connection to a serial server (an RS-485 line tunnelled over TCP) as an arbiter's ByteLink.
import { connectTcp } from '../drivers/sdk/connect-tcp.js';
import type { ByteLink } from './bus-arbiter.js';

export async function openTcpLink(host: string, port: number, timeoutMs: number): Promise<ByteLink> {
  const socket = await connectTcp({ host, port }, timeoutMs);
  let closing = false;
  let onLost: (err: Error) => void = () => undefined;
  socket.once('close', () => {
    if (!closing) onLost(new Error(`connection to ${host}:${port} closed`));
  });
  return {
    write: (bytes) => new Promise((done, fail) => socket.write(bytes, (err) => (err ? fail(new Error(`${host}:${port}: ${err.message}`)) : done()))),
    onData: (listener) => socket.on('data', listener),
    onLost: (listener) => (onLost = listener),
    close: async () => {
      closing = true;
      socket.destroy();
    },
  };
}
