// Launches test/peers/pymodbus-server.py (Debian's pymodbus) for tests and benches, and waits for
// the line it prints when it serves. Run by /usr/bin/python3: the python3 on PATH may not see
// Debian's packages.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./pymodbus-server.py', import.meta.url));

/** A table: values from address 0, or a block starting at `at`. */
export type PymodbusTable = number[] | { at: number; values: number[] };
/** Unit id → table → values. */
export type PymodbusUnits = Record<number, Partial<Record<'holding' | 'input' | 'coil' | 'discrete', PymodbusTable>>>;

export interface PymodbusServer {
  /** TCP servers: the port it listens on. */
  port?: number;
  pid: number;
  stop(): Promise<void>;
}

export type PymodbusLink = { tcp: number; silentMissing?: boolean } | { rtu: string; baud?: number };

export function startPymodbus(link: PymodbusLink, units: PymodbusUnits, timeoutMs = 15_000): Promise<PymodbusServer> {
  const args = 'tcp' in link
    ? ['--tcp', String(link.tcp), ...(link.silentMissing ? ['--silent-missing'] : [])]
    : ['--rtu', link.rtu, '--baud', String(link.baud ?? 9600)];
  const child = spawn('/usr/bin/python3', [SCRIPT, ...args, '--units', JSON.stringify(units)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    const fail = (why: string) => {
      clearTimeout(timer);
      void stop();
      reject(new Error(`pymodbus server ${args.join(' ')}: ${why}${err ? `\n${err}` : ''}`));
    };
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      const line = /^(listening (\d+)|serving .*)$/m.exec(out);
      if (!line) return;
      clearTimeout(timer);
      resolve({ ...(line[2] ? { port: Number(line[2]) } : {}), pid: child.pid!, stop });
    });
    child.once('exit', (code) => fail(`exited with ${code}`));
  });
}
