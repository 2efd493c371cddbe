// Modbus RTU over a pseudo-terminal (socat), the simulator in a child process so that it does not
// share our event loop:
// - agent overhead per transaction: from a read queued on the bus arbiter to its decoded samples,
//   minus the raw round trip of the same frame on the same pty (serialport write → whole answer,
//   no arbiter, no decode), which is what the line and the simulator take; median and p99;
// - transactions per second the arbiter sustains on one bus (inter-frame gap included) against a
//   simulator that answers at once, beside raw back-to-back round trips;
// - RSS.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SerialPort } from 'serialport';
import pino from 'pino';
import modbus from '../drivers/modbus/index.js';
import { readRequest } from '../drivers/modbus/pdu.js';
import { answerCheck, rtuFrame } from '../drivers/modbus/rtu-frame.js';
import { BusArbiter } from '../edge-agent/bus-arbiter.js';
import { interFrameGapMs, openSerialLink } from '../edge-agent/serial-link.js';
import { startModbusRtuSim } from '../fixtures/modbus-rtu-sim.js';
import { loadBuiltinProfile } from '../fixtures/profiles.js';
import type { Profile } from '../config/profile-schema.js';
import { waitFor } from '../test/helpers/wait.js';
import { startPtyPair } from '../test/peers/pty-pair.js';
import { quantile } from './lib/quantile.js';

const SAMPLES = 2000;
const SECONDS = 2.5;
/** The transaction measured: 3 holding registers of unit 1 (an 11-byte answer). */
const request = readRequest('holding', 0, 3);
const frame = rtuFrame(1, request);
const answerLength = 5 + 6;

if (process.argv[2] === 'sim') {
  const profile = await loadBuiltinProfile('gas-detector');
  await startModbusRtuSim({ path: process.argv[3]! }, [{ unitId: 1, profile }]);
  process.stdout.write('ready\n');
} else {
  await main();
}

async function main(): Promise<void> {
  if (!existsSync('/usr/bin/socat')) throw new Error('bench/modbus-rtu.ts needs socat (apt-get install socat)');
  const dir = mkdtempSync(path.join(tmpdir(), 'polegate-rtu-bench-'));
  const line = await startPtyPair(dir);
  let sim: ChildProcess | undefined;
  try {
    const { a, b } = line;
    sim = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'sim', a], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    sim.stdout!.on('data', (d: Buffer) => (out += d));
    await waitFor('the simulator', () => out.includes('ready'), 10_000);
    const profile = await loadBuiltinProfile('gas-detector');
    // One request per poll: the transaction is what is measured, not the plan.
    const oneBlock: Profile = { ...profile, metrics: profile.metrics.filter((m) => m.table === 'holding') };
    const raw = await rawRoundTrips(b);
    await arbiterFigures(b, oneBlock, raw);
  } finally {
    sim?.kill('SIGTERM');
    await line.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`RSS: ${(process.memoryUsage().rss / 1048576).toFixed(1)} MiB`);
}

/** Round trips of the same read with serialport alone: latencies (ms) and back-to-back rate. */
async function rawRoundTrips(portPath: string): Promise<{ median: number; p99: number; rate: number }> {
  const port = new SerialPort({ path: portPath, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  let got = 0;
  let done: () => void = () => undefined;
  port.on('data', (d: Buffer) => {
    got += d.length;
    if (got >= answerLength) done();
  });
  const once = () => new Promise<void>((resolve) => {
    got = 0;
    done = resolve;
    port.write(frame);
  });
  for (let i = 0; i < 200; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await once();
    times.push(performance.now() - t0);
  }
  let count = 0;
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    await once();
    count++;
  }
  await new Promise<void>((resolve) => port.close(() => resolve()));
  times.sort((x, y) => x - y);
  const result = { median: quantile(times, 0.5), p99: quantile(times, 0.99), rate: count / SECONDS };
  console.log(`baseline: raw serialport round trip      median ${(result.median * 1000).toFixed(0)} µs, p99 ${(result.p99 * 1000).toFixed(0)} µs; ${result.rate.toFixed(0)} round trips/s back to back`);
  return result;
}

async function arbiterFigures(portPath: string, profile: Profile, raw: { median: number; p99: number; rate: number }): Promise<void> {
  const config = { id: 'bench', port: portPath, baudRate: 115200 };
  const log = pino({ level: 'silent' });
  const arbiter = new BusArbiter({ id: config.id, where: portPath, gapMs: interFrameGapMs(config), open: () => openSerialLink(config), log });
  const handle = arbiter.handle('bench-1', { timeoutMs: 1000, retries: 0 });
  const driver = modbus.create({ profile, unitId: 1, bus: 'bench' }, { deviceId: 'bench-1', log, clock: { now: Date.now }, timeoutMs: 1000, transport: { bus: handle, tcpBus: () => handle } });
  for (let i = 0; i < 200; i++) await driver.read();
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    // Each read starts after the line's gap, as it would under the scheduler: the gap is line
    // time, not overhead.
    await new Promise((resolve) => setTimeout(resolve, 2));
    const t0 = performance.now();
    await driver.read();
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  const median = quantile(times, 0.5);
  const p99 = quantile(times, 0.99);
  console.log(`arbiter + driver: queued → decoded       median ${(median * 1000).toFixed(0)} µs, p99 ${(p99 * 1000).toFixed(0)} µs`);
  // Two independent distributions: their p99s do not subtract; p99 minus the raw median bounds the overhead at p99.
  console.log(`agent overhead per transaction          median ${((median - raw.median) * 1000).toFixed(0)} µs, p99 at most ${((p99 - raw.median) * 1000).toFixed(0)} µs (ratio to the raw round trip: ${(median / raw.median).toFixed(2)})`);

  // Throughput: 4 devices keep the queue full; each transaction still waits the 1.75 ms gap.
  const check = answerCheck(1, request);
  const handles = [1, 2, 3, 4].map((n) => arbiter.handle(`dev-${n}`, { timeoutMs: 1000, retries: 0 }));
  let count = 0;
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(handles.map(async (h) => {
    while (performance.now() < end) {
      await h.transact(frame, check);
      count++;
    }
  }));
  const rate = count / SECONDS;
  const ceiling = 1000 / (raw.median + interFrameGapMs(config));
  console.log(`arbiter throughput on one bus (115200 baud, gap ${interFrameGapMs(config)} ms): ${rate.toFixed(0)} transactions/s (raw back to back ${raw.rate.toFixed(0)}/s, ratio ${(rate / raw.rate).toFixed(2)}; raw round trip + gap allows ${ceiling.toFixed(0)}/s)`);
  await driver.close();
  await arbiter.close();
}
