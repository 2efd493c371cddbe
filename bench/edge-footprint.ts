// Edge agent footprint: the real `polegate edge` (compiled, as deployed) polling four Modbus TCP
// devices (LINK=rtu: four units on one RS-485 bus) — 21 values at 1 Hz, all reported (no deadband) —
// and publishing to a private Mosquitto.
// Samples the agent's RSS and CPU for 60 s and prints them against the targets (RSS ≤ 60 MiB,
// CPU ≤ 0.3 % of a core) and against a bare `node -e` process measured in the same run.
// The simulators run in this process, so they do not count against the agent.
// The agent is started as an operator starts it, `bin/polegate edge` (which execs node with the
// agent's memory settings: one process). PSS is printed too: it splits shared pages (Node's binary)
// among the processes that map them.
// COMPARE=<another checkout, built>: that checkout's agent runs beside this one, on a pole of its own
// (its own simulators, same broker), and both are sampled in the same windows: on a shared machine,
// the way to tell a change of 10 % from the machine's noise (Modbus TCP poles only). WINDOWS=n samples
// n windows in a row. STATUS=1: this checkout's pole also runs its local status server
// (`status:`), scraped every SCRAPE_MS (1000 by default: /api/status and /metrics) as a page and Prometheus would;
// with COMPARE=. the same build without `status:` runs beside it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startModbusSim } from '../fixtures/modbus-sim.js';
import { startModbusRtuSim } from '../fixtures/modbus-rtu-sim.js';
import { loadBuiltinProfile } from '../fixtures/profiles.js';
import { quietScenario } from '../fixtures/scenarios.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { record } from '../test/helpers/mqtt-recorder.js';
import { waitFor } from '../test/helpers/wait.js';
import { freePort } from '../fixtures/free-port.js';
import { startPtyPair } from '../test/peers/pty-pair.js';
import { cpuSeconds, pssMiB, rssMiB } from './lib/proc.js';

const SAMPLE_S = Number(process.env.BENCH_SECONDS ?? 60);
const WINDOWS = Number(process.env.WINDOWS ?? 1);
const root = join(import.meta.dirname, '..');

async function sample(pid: number, seconds: number): Promise<{ rssMax: number; rssMean: number; cpuPercent: number }> {
  const cpu0 = cpuSeconds(pid);
  const t0 = process.hrtime.bigint();
  const rss: number[] = [];
  for (let i = 0; i < seconds; i++) {
    rss.push(rssMiB(pid));
    await new Promise((r) => setTimeout(r, 1000));
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return { rssMax: Math.max(...rss), rssMean: rss.reduce((a, b) => a + b, 0) / rss.length, cpuPercent: ((cpuSeconds(pid) - cpu0) / wall) * 100 };
}

// LINK=rtu: the same four devices as units 1-4 on one RS-485 bus at 19200 baud (a socat pty pair,
// the RTU simulator on the far end), as many poles wire them; otherwise each is a Modbus TCP device.
const rtu = process.env.LINK === 'rtu';
const statusPort = process.env.STATUS === '1' ? await freePort() : undefined;
if (rtu && process.env.COMPARE) {
  // Two RTU simulators in this process starve the second bus (5 of 630 readings came through).
  console.error('COMPARE runs Modbus TCP poles only: unset LINK or COMPARE');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'polegate-bench-'));
const broker = await startMosquitto(dir);
const devices = [
  ['gas-1', 'gas-detector'],
  ['pressure-1', 'pressure-transmitter'],
  ['pressure-2', 'pressure-transmitter'],
  ['level-1', 'water-level'],
] as const;
let values = 0;
for (const [, profile] of devices) values += (await loadBuiltinProfile(profile)).metrics.length;
const closers: Array<() => Promise<void>> = [];

/** The pole's devices (simulated) and its manifest; returns the manifest's path. */
async function pole(n: number, topicRoot: string): Promise<string> {
  const line = rtu ? await startPtyPair(dir) : undefined;
  if (line) {
    const sim = await startModbusRtuSim({ path: line.a, baudRate: 19200 }, await Promise.all(devices.map(async ([, profile], i) => ({ unitId: i + 1, profile: await loadBuiltinProfile(profile), scenario: quietScenario(profile) }))));
    closers.push(() => sim.close(), () => line.close());
  }
  const sims = rtu ? [] : await Promise.all(devices.map(async ([, profile]) => startModbusSim({ profile: await loadBuiltinProfile(profile), host: '127.0.0.1', port: 0, scenario: quietScenario(profile) })));
  closers.push(...sims.map((sim) => () => sim.close()));
  const manifest = join(dir, `pole-${n}.yaml`);
  const link = (i: number) => (rtu ? `bus: rs485, unitId: ${i + 1}` : `host: 127.0.0.1, port: ${sims[i]!.port}, unitId: 1`);
  writeFileSync(manifest, `pole: { id: bench-pole-${n} }
uplink: { url: "${broker.url}", topicRoot: ${topicRoot} }
buffer: { path: ./outbox-${n}.db }
${n === 1 && statusPort ? `status: { port: ${statusPort} }\n` : ''}${rtu ? `buses:\n  - { id: rs485, port: ${line!.b}, baudRate: 19200 }\n` : ''}devices:
${devices.map(([id, profile], i) => `  - { id: ${id}, driver: modbus, ${link(i)}, profile: ${profile}, pollMs: 1000 }`).join('\n')}
`);
  return manifest;
}

/** `bin/polegate edge` of a checkout, as an operator starts it. */
function startAgent(checkout: string, manifest: string) {
  return spawn(join(checkout, 'bin/polegate'), ['edge', '--config', manifest], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, LOG_LEVEL: 'warn' } });
}

try {
  const rec = await record(broker.url, 'bench/v1');
  const agent = startAgent(root, await pole(1, 'bench/v1'));
  const other = process.env.COMPARE ? startAgent(process.env.COMPARE, await pole(2, 'bench-compare/v1')) : undefined;
  const otherRec = other && (await record(broker.url, 'bench-compare/v1'));
  const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  const scraper = statusPort === undefined ? undefined : setInterval(() => {
    for (const path of ['/api/status', '/metrics']) void fetch(`http://127.0.0.1:${statusPort}${path}`).then((res) => res.text(), () => undefined);
  }, Number(process.env.SCRAPE_MS ?? 1000));
  await waitFor('the agent to publish telemetry', () => rec.of('telemetry').length > 0, 20_000);
  await new Promise((r) => setTimeout(r, 5000)); // warm-up: module loading is not the steady state
  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  for (let window = 1; window <= WINDOWS; window++) {
    const received0 = rec.of('telemetry');
    const otherReceived0 = otherRec?.of('telemetry').length ?? 0;
    const [edge, baseline, compared] = await Promise.all([sample(agent.pid!, SAMPLE_S), sample(bare.pid!, SAMPLE_S), other && sample(other.pid!, SAMPLE_S)]);
    const pss = pssMiB(agent.pid!);
    const batches = rec.of('telemetry').slice(received0.length);
    const readings = batches.reduce((n, m) => n + m.payload.readings.length, 0);
    if (WINDOWS > 1) console.log(`window ${window} of ${WINDOWS}:`);
    console.log(`pole: ${devices.length} ${rtu ? 'Modbus RTU units on one RS-485 bus (19200 baud, a pty)' : 'Modbus TCP devices'}, ${values} values at 1 Hz; ${readings} readings in ${batches.length} messages in ${SAMPLE_S} s`);
    console.log(`edge agent RSS:  max ${edge.rssMax.toFixed(1)} MiB, mean ${edge.rssMean.toFixed(1)} MiB (target ≤ 60 MiB: ${mark(edge.rssMax <= 60)}; Node-RED on the same job: 124 MiB)`);
    console.log(`edge agent PSS:  ${pss.toFixed(1)} MiB`);
    console.log(`bare node RSS:   max ${baseline.rssMax.toFixed(1)} MiB  → agent/bare ${(edge.rssMax / baseline.rssMax).toFixed(2)}×, +${(edge.rssMax - baseline.rssMax).toFixed(1)} MiB`);
    console.log(`edge agent CPU:  ${edge.cpuPercent.toFixed(3)} % of one core (target ≤ 0.3 %: ${mark(edge.cpuPercent <= 0.3)}); bare node ${baseline.cpuPercent.toFixed(3)} %`);
    if (compared) {
      const otherReadings = otherRec!.of('telemetry').slice(otherReceived0).reduce((n, m) => n + m.payload.readings.length, 0);
      console.log(`COMPARE agent:   CPU ${compared.cpuPercent.toFixed(3)} % (this checkout/COMPARE ${(edge.cpuPercent / compared.cpuPercent).toFixed(2)}), RSS max ${compared.rssMax.toFixed(1)} MiB; ${otherReadings} readings`);
    }
  }
  clearInterval(scraper);
  for (const proc of [agent, other, bare]) proc?.kill('SIGTERM');
  await Promise.all([agent, other].map((proc) => proc && new Promise((r) => proc.once('exit', r))));
  await rec.close();
  await otherRec?.close();
} finally {
  for (const close of closers) await close();
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}
