// A pseudo-terminal pair from socat: two linked paths that behave as the two
// ends of one serial line, for a server on one end and polegate on the other.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { waitFor } from '../helpers/wait.js';

export interface PtyPair {
  /** The server's end. */
  a: string;
  /** polegate's end. */
  b: string;
  close(): Promise<void>;
}

export async function startPtyPair(dir: string): Promise<PtyPair> {
  const a = path.join(dir, 'ttyA');
  const b = path.join(dir, 'ttyB');
  const child = spawn('/usr/bin/socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(`socat links ${a} and ${b}`, () => existsSync(a) && existsSync(b), 10_000);
  return {
    a,
    b,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
