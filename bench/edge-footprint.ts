// Edge agent footprint: the real `polegate edge` (compiled, as deployed) polling four Modbus TCP
// devices (LINK=rtu: four units on one RS-485 bus) — 21 values at 1 Hz, all reported (no deadband) —
// and publishing to a private Mosquitto.
// Samples the agent's RSS and CPU for 60 s and prints them against the targets (RSS ≤ 60 MiB,
// CPU ≤ 0.3 % of a core) and against a bare `node -e` process measured in the same run.
// The simulators run in this process, so they do not count against the agent.
// The agent is started as an operator starts it, `bin/polegate edge` (which execs node with the
// agent's memory settings: one process). PSS is printed too: it splits shared pages (Node's binary)
// among the processes that map them.
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
import { startPtyPair } from '../test/peers/pty-pair.js';
import { cpuSeconds, pssMiB, rssMiB } from './lib/proc.js';

const SAMPLE_S = Number(process.env.BENCH_SECONDS ?? 60);
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

const dir = mkdtempSync(join(tmpdir(), 'polegate-bench-'));
const broker = await startMosquitto(dir);
const devices = [
  ['gas-1', 'gas-detector'],
  ['pressure-1', 'pressure-transmitter'],
  ['pressure-2', 'pressure-transmitter'],
  ['level-1', 'water-level'],
] as const;
// LINK=rtu: the same four devices as units 1-4 on one RS-485 bus at 19200 baud (a socat pty pair,
// the RTU simulator on the far end), as many poles wire them; otherwise each is a Modbus TCP device.
const rtu = process.env.LINK === 'rtu';
const line = rtu ? await startPtyPair(dir) : undefined;
const rtuSim = line ? await startModbusRtuSim({ path: line.a, baudRate: 19200 }, await Promise.all(devices.map(async ([, profile], i) => ({ unitId: i + 1, profile: await loadBuiltinProfile(profile), scenario: quietScenario(profile) })))) : undefined;
const sims = rtu ? [] : await Promise.all(devices.map(async ([, profile]) => startModbusSim({ profile: await loadBuiltinProfile(profile), host: '127.0.0.1', port: 0, scenario: quietScenario(profile) })));
let values = 0;
for (const [, profile] of devices) values += (await loadBuiltinProfile(profile)).metrics.length;
const manifest = join(dir, 'pole.yaml');
const link = (i: number) => (rtu ? `bus: rs485, unitId: ${i + 1}` : `host: 127.0.0.1, port: ${sims[i]!.port}, unitId: 1`);
writeFileSync(manifest, `pole: { id: bench-pole-1 }
uplink: { url: "${broker.url}", topicRoot: bench/v1 }
buffer: { path: ./outbox.db }
${rtu ? `buses:\n  - { id: rs485, port: ${line!.b}, baudRate: 19200 }\n` : ''}devices:
${devices.map(([id, profile], i) => `  - { id: ${id}, driver: modbus, ${link(i)}, profile: ${profile}, pollMs: 1000 }`).join('\n')}
`);

try {
  const rec = await record(broker.url, 'bench/v1');
  const agent = spawn(join(root, 'bin/polegate'), ['edge', '--config', manifest], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await waitFor('the agent to publish telemetry', () => rec.of('telemetry').length > 0, 20_000);
  await new Promise((r) => setTimeout(r, 5000)); // warm-up: module loading is not the steady state
  const received0 = rec.of('telemetry');
  const [edge, baseline] = await Promise.all([sample(agent.pid!, SAMPLE_S), sample(bare.pid!, SAMPLE_S)]);
  const pss = pssMiB(agent.pid!);
  const batches = rec.of('telemetry').slice(received0.length);
  const readings = batches.reduce((n, m) => n + m.payload.readings.length, 0);
  agent.kill('SIGTERM');
  bare.kill('SIGTERM');
  await new Promise((r) => agent.once('exit', r));
  await rec.close();

  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log(`pole: ${devices.length} ${rtu ? 'Modbus RTU units on one RS-485 bus (19200 baud, a pty)' : 'Modbus TCP devices'}, ${values} values at 1 Hz; ${readings} readings in ${batches.length} messages in ${SAMPLE_S} s`);
  console.log(`edge agent RSS:  max ${edge.rssMax.toFixed(1)} MiB, mean ${edge.rssMean.toFixed(1)} MiB (target ≤ 60 MiB: ${mark(edge.rssMax <= 60)}; Node-RED on the same job: 124 MiB)`);
  console.log(`edge agent PSS:  ${pss.toFixed(1)} MiB`);
  console.log(`bare node RSS:   max ${baseline.rssMax.toFixed(1)} MiB  → agent/bare ${(edge.rssMax / baseline.rssMax).toFixed(2)}×, +${(edge.rssMax - baseline.rssMax).toFixed(1)} MiB`);
  console.log(`edge agent CPU:  ${edge.cpuPercent.toFixed(3)} % of one core (target ≤ 0.3 %: ${mark(edge.cpuPercent <= 0.3)}); bare node ${baseline.cpuPercent.toFixed(3)} %`);
} finally {
  await Promise.all(sims.map((s) => s.close()));
  await rtuSim?.close();
  await line?.close();
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}
