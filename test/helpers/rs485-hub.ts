// An RS-485 line with several drops, out of socat pty pairs: whatever any end writes, every other
// end hears (the master's requests reach every unit, a unit's answer reaches the master and the other
// units), as on a real two-wire multi-drop line. Each write is logged with its direction.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { startPtyPair, type PtyPair } from '../peers/pty-pair.js';

export interface Rs485Hub {
  /** The master's path (polegate opens it). */
  master: string;
  /** One path per drop, for a simulator or an instrument script. */
  drops: string[];
  /** Who wrote, in order: 'master' or the drop's index; consecutive writes of one end count once. */
  readonly turns: Array<'master' | number>;
  close(): Promise<void>;
}

function open(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
  return new Promise((resolve, reject) => port.open((err) => (err ? reject(err) : resolve(port))));
}

/** A hub with `drops` drops beside the master; each pty pair lives in a folder of its own under `root`. */
export async function startRs485Hub(root: string, drops: number): Promise<Rs485Hub> {
  const dir = (name: string) => {
    const folder = join(root, name);
    mkdirSync(folder, { recursive: true });
    return folder;
  };
  const pairs: PtyPair[] = [];
  const ports: SerialPort[] = [];
  const turns: Array<'master' | number> = [];
  const ends: Array<{ who: 'master' | number; port: SerialPort }> = [];
  for (let i = -1; i < drops; i++) {
    const pair = await startPtyPair(dir(i < 0 ? 'master' : `drop-${i}`));
    pairs.push(pair);
    const port = await open(pair.a);
    port.on('error', () => undefined);
    ports.push(port);
    ends.push({ who: i < 0 ? 'master' : i, port });
  }
  for (const end of ends) {
    end.port.on('data', (bytes: Buffer) => {
      if (turns.at(-1) !== end.who) turns.push(end.who);
      for (const other of ends) if (other !== end && other.port.isOpen) other.port.write(bytes);
    });
  }
  return {
    master: pairs[0]!.b,
    drops: pairs.slice(1).map((p) => p.b),
    turns,
    async close() {
      await Promise.all(ports.map((p) => new Promise<void>((resolve) => (p.isOpen ? p.close(() => resolve()) : resolve()))));
      await Promise.all(pairs.map((p) => p.close()));
    },
  };
}
