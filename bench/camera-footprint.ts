// The camera's cost on a pole: two real `polegate edge` agents side by side, sampled in the same
// windows — one with the four Modbus TCP devices of edge-footprint.ts (the baseline), one with the
// same four plus an ONVIF camera (the simulator, events subscribed, health every 10 s, no snapshots).
// Prints each agent's RSS and CPU against the camera pole's targets (RSS ≤ 64 MiB, CPU ≤ 0.4 % of a
// core) and the camera pole over the baseline. Then the cost of loading the onvif package: a node
// process that imports it against one that does not.
// The simulators run in this process. The camera simulator holds each PullMessages 1 s (CAMERA_HOLD_MS),
// the short end of what cameras do (up to a minute): the driver then makes a request a second.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startModbusSim } from '../fixtures/modbus-sim.js';
import { startOnvifSim } from '../fixtures/onvif-sim.js';
import { loadBuiltinProfile } from '../fixtures/profiles.js';
import { quietScenario } from '../fixtures/scenarios.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { record } from '../test/helpers/mqtt-recorder.js';
import { waitFor } from '../test/helpers/wait.js';
import { cpuSeconds, rssMiB } from './lib/proc.js';

const SAMPLE_S = Number(process.env.BENCH_SECONDS ?? 60);
const HOLD_MS = Number(process.env.CAMERA_HOLD_MS ?? 1000);
const root = join(import.meta.dirname, '..');
const DEVICES = [['gas-1', 'gas-detector'], ['pressure-1', 'pressure-transmitter'], ['pressure-2', 'pressure-transmitter'], ['level-1', 'water-level']] as const;

/** RSS max and CPU % of each pid over the same window. */
async function sampleAll(pids: number[], seconds: number): Promise<Array<{ rssMax: number; cpuPercent: number }>> {
  const cpu0 = pids.map(cpuSeconds);
  const rss = pids.map(() => 0);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < seconds; i++) {
    pids.forEach((pid, n) => (rss[n] = Math.max(rss[n]!, rssMiB(pid))));
    await new Promise((r) => setTimeout(r, 1000));
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return pids.map((pid, n) => ({ rssMax: rss[n]!, cpuPercent: ((cpuSeconds(pid) - cpu0[n]!) / wall) * 100 }));
}

/** A child node's RSS and start-to-exit time for a one-line script, median of 5. */
function loadCost(script: string): { rss: number; ms: number } {
  const runs = Array.from({ length: 5 }, () => {
    const t0 = process.hrtime.bigint();
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', `${script}; console.log(process.memoryUsage.rss())`], { cwd: root, encoding: 'utf8' });
    return { rss: Number(out.stdout.trim()) / 2 ** 20, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  });
  const median = (values: number[]) => values.sort((a, b) => a - b)[2]!;
  return { rss: median(runs.map((r) => r.rss)), ms: median(runs.map((r) => r.ms)) };
}

const dir = mkdtempSync(join(tmpdir(), 'polegate-bench-cam-'));
const broker = await startMosquitto(dir);
const closers: Array<() => Promise<void>> = [];
try {
  const camera = await startOnvifSim({ pullHoldMs: HOLD_MS });
  closers.push(() => camera.close());
  async function pole(n: number, withCamera: boolean): Promise<string> {
    const sims = await Promise.all(DEVICES.map(async ([, profile]) => startModbusSim({ profile: await loadBuiltinProfile(profile), host: '127.0.0.1', port: 0, scenario: quietScenario(profile) })));
    closers.push(...sims.map((sim) => () => sim.close()));
    const file = join(dir, `pole-${n}.yaml`);
    writeFileSync(file, `pole: { id: bench-cam-pole-${n} }
uplink: { url: "${broker.url}", topicRoot: bench-cam-${n}/v1 }
buffer: { path: ./outbox-${n}.db }
devices:
${DEVICES.map(([id, profile], i) => `  - { id: ${id}, driver: modbus, host: 127.0.0.1, port: ${sims[i]!.port}, unitId: 1, profile: ${profile}, pollMs: 1000 }`).join('\n')}
${withCamera ? `  - { id: cam-1, driver: onvif, host: 127.0.0.1, port: ${camera.port}, username: ${camera.username}, password: "${camera.password}", pollMs: 10000, events: [motion, tamper] }\n` : ''}`);
    return file;
  }
  const start = (manifest: string) => spawn(join(root, 'bin/polegate'), ['edge', '--config', manifest], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, LOG_LEVEL: 'warn' } });
  const recs = [await record(broker.url, 'bench-cam-1/v1'), await record(broker.url, 'bench-cam-2/v1')];
  const baseline = start(await pole(1, false));
  const withCamera = start(await pole(2, true));
  await waitFor('both agents to publish telemetry', () => recs.every((rec) => rec.of('telemetry').length > 0), 30_000);
  await waitFor('the camera subscribed', () => camera.subscriptions() === 1, 30_000);
  await new Promise((r) => setTimeout(r, 5000)); // warm-up: module loading is not the steady state
  const pulls0 = camera.counts.get('PullMessages') ?? 0;
  const [base, cam] = await sampleAll([baseline.pid!, withCamera.pid!], SAMPLE_S);
  const pulls = (camera.counts.get('PullMessages') ?? 0) - pulls0;
  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log(`pole: 4 Modbus TCP devices at 1 Hz, + 1 ONVIF camera (events subscribed, ${pulls} PullMessages in ${SAMPLE_S} s, held ${HOLD_MS} ms; health every 10 s; no snapshots)`);
  console.log(`camera pole RSS: max ${cam!.rssMax.toFixed(1)} MiB (target ≤ 64 MiB: ${mark(cam!.rssMax <= 64)}); baseline pole ${base!.rssMax.toFixed(1)} MiB → +${(cam!.rssMax - base!.rssMax).toFixed(1)} MiB, ${(cam!.rssMax / base!.rssMax).toFixed(2)}×`);
  console.log(`camera pole CPU: ${cam!.cpuPercent.toFixed(3)} % of one core (target ≤ 0.4 %: ${mark(cam!.cpuPercent <= 0.4)}); baseline pole ${base!.cpuPercent.toFixed(3)} % → ${(cam!.cpuPercent / base!.cpuPercent).toFixed(2)}×`);
  for (const proc of [baseline, withCamera]) proc.kill('SIGTERM');
  await Promise.all([baseline, withCamera].map((proc) => new Promise((r) => proc.once('exit', r))));
  for (const rec of recs) await rec.close();

  const bare = loadCost('await Promise.resolve()');
  const onvif = loadCost("await import('onvif')");
  console.log(`onvif package load: RSS ${onvif.rss.toFixed(1)} MiB vs bare node ${bare.rss.toFixed(1)} MiB → +${(onvif.rss - bare.rss).toFixed(1)} MiB; process start to exit ${onvif.ms.toFixed(0)} ms vs ${bare.ms.toFixed(0)} ms → +${(onvif.ms - bare.ms).toFixed(0)} ms (median of 5)`);
} finally {
  for (const close of closers) await close();
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}
