// Choosing ports for the demo: the well-known one when it is free, any free one otherwise.
import net from 'node:net';

function tryListen(port: number, host: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, host, () => {
      const bound = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(bound));
    });
  });
}

export interface ChosenPort {
  port: number;
  /** True when the preferred port was taken and another was chosen. */
  moved: boolean;
}

export async function preferPort(preferred: number, host = '127.0.0.1'): Promise<ChosenPort> {
  const port = await tryListen(preferred, host);
  if (port !== undefined) return { port, moved: false };
  const free = await tryListen(0, host);
  if (free === undefined) throw new Error(`no free TCP port on ${host}`);
  return { port: free, moved: true };
}
