// A private Mosquitto broker for one test: its own port on 127.0.0.1, no persistence, logs to a file.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { waitFor } from './wait.js';
import { freePort } from '../../fixtures/free-port.js';

export { freePort };

export interface PrivateBroker {
  port: number;
  url: string;
  stop(): Promise<void>;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** Starts `mosquitto -c FILE` on `port` (a free one if not given) and waits until it accepts. */
export async function startMosquitto(dir: string, port?: number): Promise<PrivateBroker> {
  const listen = port ?? (await freePort());
  const conf = join(dir, `mosquitto-${listen}.conf`);
  writeFileSync(conf, [`listener ${listen} 127.0.0.1`, 'allow_anonymous true', 'persistence false', `log_dest file ${join(dir, `mosquitto-${listen}.log`)}`, ''].join('\n'));
  const child: ChildProcess = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(`mosquitto on port ${listen}`, () => accepts(listen), 10_000);
  return {
    port: listen,
    url: `mqtt://127.0.0.1:${listen}`,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
