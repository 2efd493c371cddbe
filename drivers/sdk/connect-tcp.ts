// A TCP connection as a driver or a byte link wants it: the connect bounded by a timeout that names
// where it went, and Nagle off (a request is one small segment that must leave at once). Shared by
// the Modbus TCP client and the link to a serial server.
import net from 'node:net';

/**
 * Connects within `timeoutMs`, or rejects saying so. Once connected, errors are left to the caller's
 * 'close' listener (an error is always followed by 'close').
 */
export function connectTcp(options: net.TcpNetConnectOpts & { host: string }, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(options);
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no TCP connection to ${options.host}:${options.port} within ${timeoutMs} ms`)));
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.setNoDelay(true);
      socket.off('error', reject);
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}
