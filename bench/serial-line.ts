// The serial-line driver over a pseudo-terminal (socat), the simulated radar-level instrument in a
// child process so that it does not share our event loop:
// - agent overhead per transaction: from a poll queued on the bus arbiter to its parsed samples,
//   minus the raw round trip of the same line on the same pty (serialport write of MEAS? → the whole
//   answer line, no arbiter, no framing, no regex), which is what the line and the simulator take;
//   median and p99;
// - RSS.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SerialPort } from 'serialport';
import pino from 'pino';
import serialLine from '../drivers/serial-line/index.js';
import { builtinProfilePath } from '../drivers/builtin.js';
import { loadLineProfile } from '../config/load-profile.js';
import { BusArbiter } from '../edge-agent/bus-arbiter.js';
import { interFrameGapMs, openSerialLink } from '../edge-agent/serial-link.js';
import { startSerialLineSim } from '../fixtures/serial-line-sim.js';
import { waitFor } from '../test/helpers/wait.js';
import { startPtyPair } from '../test/peers/pty-pair.js';
import { quantile } from './lib/quantile.js';

const SAMPLES = 2000;
const REQUEST = Buffer.from('MEAS?\r\n', 'latin1');

if (process.argv[2] === 'sim') {
  await startSerialLineSim({ path: process.argv[3]! }, { instrument: 'radar-level' });
  process.stdout.write('ready\n');
} else {
  await main();
}

async function main(): Promise<void> {
  if (!existsSync('/usr/bin/socat')) throw new Error('bench/serial-line.ts needs socat (apt-get install socat)');
  const dir = mkdtempSync(path.join(tmpdir(), 'polegate-line-bench-'));
  const line = await startPtyPair(dir);
  let sim: ChildProcess | undefined;
  try {
    sim = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'sim', line.a], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    sim.stdout!.on('data', (d: Buffer) => (out += d));
    await waitFor('the simulator', () => out.includes('ready'), 10_000);
    const raw = await rawRoundTrips(line.b);
    await driverFigures(line.b, raw);
  } finally {
    sim?.kill('SIGTERM');
    await line.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`RSS: ${(process.memoryUsage().rss / 1048576).toFixed(1)} MiB`);
}

/** Round trips of the same request with serialport alone: latencies, ms. */
async function rawRoundTrips(portPath: string): Promise<{ median: number; p99: number }> {
  const port = new SerialPort({ path: portPath, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  let received = Buffer.alloc(0);
  let done: () => void = () => undefined;
  port.on('data', (d: Buffer) => {
    received = Buffer.concat([received, d]);
    if (received.includes('\r\n')) done();
  });
  const once = () => new Promise<void>((resolve) => {
    received = Buffer.alloc(0);
    done = resolve;
    port.write(REQUEST);
  });
  for (let i = 0; i < 200; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await once();
    times.push(performance.now() - t0);
  }
  await new Promise<void>((resolve) => port.close(() => resolve()));
  times.sort((x, y) => x - y);
  const result = { median: quantile(times, 0.5), p99: quantile(times, 0.99) };
  console.log(`baseline: raw serialport round trip      median ${(result.median * 1000).toFixed(0)} µs, p99 ${(result.p99 * 1000).toFixed(0)} µs`);
  return result;
}

async function driverFigures(portPath: string, raw: { median: number; p99: number }): Promise<void> {
  const config = { id: 'bench', port: portPath, baudRate: 115200 };
  const log = pino({ level: 'silent' });
  const arbiter = new BusArbiter({ id: config.id, where: portPath, gapMs: interFrameGapMs(config), open: () => openSerialLink(config), log });
  const handle = arbiter.handle('radar-1', { timeoutMs: 1000, retries: 0 });
  const profile = await loadLineProfile(builtinProfilePath('radar-level', 'serial-line')!);
  const driver = serialLine.create({ profile, bus: 'bench' }, { deviceId: 'radar-1', log, clock: { now: Date.now }, timeoutMs: 1000, transport: { bus: handle, tcpBus: () => handle } });
  await driver.open();
  for (let i = 0; i < 200; i++) await driver.read();
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    // Each poll starts after the line's gap, as under the scheduler: the gap is line time, not overhead.
    await new Promise((resolve) => setTimeout(resolve, 2));
    const t0 = performance.now();
    const samples = await driver.read();
    times.push(performance.now() - t0);
    if (samples[0]!.quality !== 'good') throw new Error(`bad sample in the bench: ${samples[0]!.reason}`);
  }
  times.sort((x, y) => x - y);
  const median = quantile(times, 0.5);
  const p99 = quantile(times, 0.99);
  console.log(`arbiter + driver: queued → parsed        median ${(median * 1000).toFixed(0)} µs, p99 ${(p99 * 1000).toFixed(0)} µs`);
  // Two independent distributions: their p99s do not subtract; p99 minus the raw median bounds the overhead at p99.
  console.log(`agent overhead per transaction          median ${((median - raw.median) * 1000).toFixed(0)} µs, p99 at most ${((p99 - raw.median) * 1000).toFixed(0)} µs (ratio to the raw round trip: ${(median / raw.median).toFixed(2)})`);
  await driver.close();
  await arbiter.close();
}
