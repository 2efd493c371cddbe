// Real processes for the fault tests: `polegate cloud` and `polegate edge` (dist/, as deployed) as
// children that can be stopped, SIGKILLed and started again on the same files and ports, and
// read-only views of their SQLite files (the edge's outbox, the cloud's store).
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { waitFor } from '../helpers/wait.js';
import { POLE } from './helpers.js';

const cli = fileURLToPath(new URL('../../dist/cli/polegate.js', import.meta.url));

export interface Proc {
  /** Starts the process (again); resolves when its log shows `ready`. */
  start(): Promise<void>;
  /** SIGKILL, or SIGTERM for a clean stop; resolves when it has exited. */
  stop(signal: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  readonly output: string;
}

/** A child that logs JSON lines; `ready` is the log message that says it is up. */
export function proc(args: string[], env: Record<string, string>, ready: string): Proc {
  let child: ChildProcess | undefined;
  let output = '';
  return {
    get output() {
      return output;
    },
    async start() {
      const started = output.length;
      const c = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      c.stdout!.on('data', (d) => (output += d));
      c.stderr!.on('data', (d) => (output += d));
      await waitFor(`${args[0]} to log '${ready}'`, () => {
        if (c.exitCode !== null) throw new Error(`${args[0]} exited with ${c.exitCode}:\n${output.slice(started)}`);
        return output.indexOf(ready, started) >= 0;
      }, 20_000);
    },
    async stop(signal) {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill(signal);
      await exited;
    },
  };
}

export function cloudProc(dir: string, registry: string, mqttPort: number): Proc {
  const config = path.join(dir, 'cloud.yaml');
  writeFileSync(config, `mqtt: { host: 127.0.0.1, port: ${mqttPort} }
http: { host: 127.0.0.1, port: 0 }
store: { kind: sqlite, path: ${path.join(dir, 'city.db')} }
poles: ${registry}
`);
  return proc(['cloud', '--config', config], {}, 'cloud ingest running');
}

export function edgeProc(manifest: string, secret: string): Proc {
  return proc(['edge', '--config', manifest], { POLE_SECRET: secret }, 'edge agent starting');
}

/** The outbox as its file says: the stream, the next seq, and the seqs still pending. */
export function readOutbox(file: string): { stream: string; nextSeq: number; pending: number[] } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const meta = (key: string) => db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get(key)!.value;
    const pending = db.prepare<[], { seq: number; count: number }>('SELECT seq, count FROM messages').all().flatMap((r) => Array.from({ length: r.count }, (_, i) => r.seq + i));
    return { stream: meta('stream'), nextSeq: Number(meta('nextSeq')), pending };
  } finally {
    db.close();
  }
}

/** Every seq the cloud store holds for the pole's stream, by table, with duplicates (if any) kept. */
export function storedSeqs(file: string, stream: string): { readings: number[]; alarms: number[]; events: number[] } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const of = (table: string) => db.prepare<[string, string], { seq: number }>(
      `SELECT t.seq FROM ${table} t JOIN streams s ON s.id = t.stream_id JOIN poles p ON p.id = s.pole_id WHERE s.name = ? AND p.name = ? ORDER BY t.seq`,
    ).all(stream, POLE).map((r) => r.seq);
    return { readings: of('readings'), alarms: of('alarms'), events: of('events') };
  } finally {
    db.close();
  }
}
