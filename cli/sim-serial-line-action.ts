// What `polegate sim serial-line` runs (cli/sim.ts registers the command): one simulated ASCII
// instrument on a serial path (one end of a socat pty pair) or a TCP port, until Ctrl-C.
import { PolegateError } from '../config/errors.js';
import { startSerialLineSim, type LineFaults } from '../fixtures/serial-line-sim.js';
import type { InstrumentName } from '../fixtures/serial-line-instruments.js';
import { stopSignal } from './run.js';

export interface SimSerialLineOptions extends LineFaults {
  instrument: InstrumentName;
  path?: string;
  host: string;
  port?: number;
  streamMs?: number;
}

export async function simSerialLine(opts: SimSerialLineOptions): Promise<void> {
  if ((opts.path === undefined) === (opts.port === undefined)) {
    throw new PolegateError('polegate sim serial-line: give either --path (a serial port or pty end) or --port (TCP, as a serial server)', 'BAD_ARGUMENTS', 2);
  }
  const faults: LineFaults = { noise: opts.noise, partial: opts.partial, garbage: opts.garbage, foreign: opts.foreign };
  const link = opts.path !== undefined ? { path: opts.path } : { tcp: { host: opts.host, port: opts.port } };
  const sim = await startSerialLineSim(link, { instrument: opts.instrument, streamMs: opts.streamMs, faults });
  const injected = Object.entries(faults).filter(([, on]) => on).map(([name]) => name);
  process.stdout.write(`serial-line simulator of ${opts.instrument} on ${sim.where}${opts.streamMs ? `, streaming every ${opts.streamMs} ms` : ''}${injected.length ? `, injecting ${injected.join(', ')}` : ''}; Ctrl-C stops\n`);
  await stopSignal();
  await sim.close();
}
