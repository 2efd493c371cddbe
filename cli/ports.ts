// Choosing ports for the demo: the well-known one when it is free, any free one otherwise.
import { freePort, probePort } from '../fixtures/free-port.js';

export interface ChosenPort {
  port: number;
  /** True when the preferred port was taken and another was chosen. */
  moved: boolean;
}

export async function preferPort(preferred: number, host = '127.0.0.1'): Promise<ChosenPort> {
  const port = await probePort(preferred, host);
  return port !== undefined ? { port, moved: false } : { port: await freePort(host), moved: true };
}
