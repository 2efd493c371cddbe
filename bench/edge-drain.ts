// Drain of a 1,000,000-reading backlog from the edge outbox into the cloud store on loopback: the
// real `polegate cloud` (compiled, a child process with its SQLite store) acknowledges each publish
// only after commit, so readings/s here are readings stored. An alarm appended mid-drain (after a
// third of the backlog) is timed from its commit to its PUBACK. Also prints bytes on disk per
// buffered reading. Targets: ≥ 200,000 readings/s; alarm < 500 ms.
// The backlog's timestamps advance poll by poll, as a real one's do: the store clusters readings by
// (series, ts), and repeating a few polls' timestamps would scatter every commit over the B-tree.
// Run: npx tsc -p tsconfig.build.json && node --import tsx bench/edge-drain.ts (BACKLOG=… to change)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { addPole } from '../cloud-ingest/registry.js';
import { Outbox } from '../edge-agent/outbox.js';
import type { NormalizedReading } from '../edge-agent/reading.js';
import { Uplink, type SentInfo } from '../edge-agent/uplink.js';
import { freePort } from '../test/helpers/mosquitto.js';
import { waitFor } from '../test/helpers/wait.js';
import { cpuSeconds } from './lib/proc.js';

const BACKLOG = Number(process.env.BACKLOG ?? 1_000_000);
const POLE = 'bench-pole-1';
const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'polegate-bench-'));
const fmt = (n: number) => Math.round(n).toLocaleString('en');
const size = (p: string) => { try { return statSync(p).size; } catch { return 0; } };

/** Poll `n` of the pole: 100 series, one second after poll n - 1. */
function poll(n: number): NormalizedReading[] {
  return Array.from({ length: 100 }, (_, i) => ({ device: `dev-${i % 19}`, metric: `m${i % 7}`, value: 101.325 + n * 0.001 + i, unit: 'kPa', ts: 1_700_000_000_000 + n * 1000, quality: 'good' }));
}

const secret = await addPole(join(dir, 'poles.yaml'), POLE);
const port = await freePort();
writeFileSync(join(dir, 'cloud.yaml'), `mqtt: { host: 127.0.0.1, port: ${port} }\nhttp: { host: 127.0.0.1, port: 0 }\nstore: { kind: sqlite, path: ${join(dir, 'city.db')} }\npoles: ${join(dir, 'poles.yaml')}\n`);
const cloud = spawn(process.execPath, [join(root, 'dist/cli/polegate.js'), 'cloud', '--config', join(dir, 'cloud.yaml')], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOG_LEVEL: 'info' } });
let cloudLog = '';
cloud.stdout!.on('data', (d) => (cloudLog += d));
try {
  await waitFor('the cloud', () => cloudLog.includes('cloud ingest running'), 30_000);
  const file = join(dir, 'outbox.db');
  const outbox = Outbox.open(file, { maxBytes: 2 ** 30 });
  for (let n = 0; n < BACKLOG / 100; n++) outbox.appendReadings(poll(n));
  outbox.checkpoint();
  const bytesPerReading = (size(file) + size(`${file}-wal`)) / BACKLOG;

  const uplink = new Uplink(outbox, {
    pole: POLE, urls: [`mqtt://127.0.0.1:${port}`], password: secret, topicRoot: 'city/v1', bootId: 'bench', birth: () => JSON.stringify({ v: 1, pole: POLE, ts: Date.now(), bootId: 'bench', agent: { version: '0' }, configHash: 'x', devices: [] }),
    clock: { now: () => Date.now() }, log: pino({ level: 'warn' }),
    // The agent's defaults unless overridden, to explore the in-flight window.
    ...(process.env.WINDOW ? { window: Number(process.env.WINDOW) } : {}),
    ...(process.env.WINDOW_BYTES ? { windowBytes: Number(process.env.WINDOW_BYTES) } : {}),
  });
  let acked = 0;
  let alarmAt = 0;
  let alarmMs = -1;
  let started = 0n;
  const done = new Promise<void>((resolve) => {
    uplink.on('sent', (s: SentInfo) => {
      if (s.kind === 'alarm') alarmMs = performance.now() - alarmAt;
      if (s.kind !== 'telemetry') return;
      acked += s.count;
      if (alarmAt === 0 && acked >= BACKLOG / 3) {
        alarmAt = performance.now();
        outbox.appendAlarm({ id: 'a1', rule: 'gas-high', device: 'dev-1', metric: 'm1', state: 'raised', severity: 'critical', value: 25, threshold: 20, ts: Date.now() });
        uplink.kick();
      }
      if (acked >= BACKLOG) resolve();
    });
  });
  let cpu0 = { edge: 0, cloud: 0 };
  uplink.once('connected', () => {
    started = process.hrtime.bigint();
    cpu0 = { edge: cpuSeconds(process.pid), cloud: cpuSeconds(cloud.pid!) };
  });
  uplink.start();
  await done;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const busy = { edge: (cpuSeconds(process.pid) - cpu0.edge) / seconds, cloud: (cpuSeconds(cloud.pid!) - cpu0.cloud) / seconds };
  await uplink.close(1000);
  outbox.close();
  const rate = BACKLOG / seconds;
  console.log(`backlog: ${fmt(BACKLOG)} readings, ${bytesPerReading.toFixed(1)} bytes on disk per buffered reading (database + WAL)`);
  console.log(`drain into the cloud store: ${fmt(rate)} readings/s in ${seconds.toFixed(2)} s (target ≥ 200,000: ${rate >= 200_000 ? 'met' : 'NOT met'})`);
  console.log(`CPU during the drain: edge ${(busy.edge * 100).toFixed(0)} % of a core, cloud ${(busy.cloud * 100).toFixed(0)} % of a core`);
  console.log(`alarm raised mid-drain, commit → PUBACK (stored): ${alarmMs.toFixed(1)} ms (target < 500 ms: ${alarmMs >= 0 && alarmMs < 500 ? 'met' : 'NOT met'})`);
} finally {
  cloud.kill('SIGTERM');
  await new Promise((r) => cloud.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
