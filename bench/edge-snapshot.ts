// The alarm that carries a picture, on loopback: a real agent (a test gas detector polled every
// 20 ms and a test camera answering in CAMERA_MS with a PICTURE_BYTES JPEG) and a real cloud
// (aedes + SQLite store). In turn raises an alarm whose rule attaches a snapshot (the default
// snapshotWaitMs), one whose rule sends it after (snapshotWaitMs 0) and one with none (the
// baseline), clearing each before the next, and measures from the raise (the ts of the reading that
// crossed) to the alarm stored in the cloud, and to its blob stored. Targets: blob p95 < 1 s; the
// alarm with snapshotWaitMs 0 as fast as the baseline; the attached one slower by the camera's time.
// Run: node --import tsx bench/edge-snapshot.ts (ROUNDS=…, CAMERA_MS=…, PICTURE_BYTES=…)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEdgeAgent } from '../edge-agent/agent.js';
import type { Alarm } from '../edge-agent/outbox.js';
import type { IngestedEvent } from '../cloud-ingest/ingest.js';
import { ROOT, startTestCloud } from '../test/cloud-ingest/fixture.js';
import { testManifest } from '../test/helpers/edge-manifest.js';
import type { TestDeviceControl, TestMetric } from '../test/helpers/test-driver.js';
import { quantile } from './lib/quantile.js';

const ROUNDS = Number(process.env.ROUNDS ?? 40);
const CAMERA_MS = Number(process.env.CAMERA_MS ?? 30);
const PICTURE_BYTES = Number(process.env.PICTURE_BYTES ?? 200_000);
const POLE = 'bench-snap-001';

const dir = mkdtempSync(join(tmpdir(), 'polegate-bench-snap-'));
const cleanups: Array<() => unknown> = [];
const shim = { teardown: (fn: () => unknown) => cleanups.push(fn), testdir: () => mkdtempSync(join(dir, 'cloud-')) };

/** Resolves at the cloud's next commit of `kind` for the pole, with the time it was reported. */
function nextIngested(events: NodeJS.EventEmitter, kind: IngestedEvent['kind']): Promise<number> {
  return new Promise((resolve) => {
    const on = (e: IngestedEvent) => {
      if (e.pole !== POLE || e.kind !== kind || e.count === 0) return;
      events.off('ingested', on);
      resolve(Date.now());
    };
    events.on('ingested', on);
  });
}

try {
  const tc = await startTestCloud(shim, { poles: [POLE] });
  const withPicture: TestMetric = { name: 'lel', unit: '%LEL', value: 5 };
  const without: TestMetric = { name: 'co', unit: 'ppm', value: 5 };
  const after: TestMetric = { name: 'h2s', unit: 'ppm', value: 5 };
  const camera: TestDeviceControl = { snapshotDelayMs: CAMERA_MS, snapshotBytes: PICTURE_BYTES };
  const loaded = testManifest({
    pole: POLE, url: tc.url, topicRoot: ROOT, bufferPath: join(dir, 'pole', 'outbox.db'),
    devices: [
      { id: 'gas-1', pollMs: 20, metrics: [withPicture, without, after] },
      { id: 'cam-1', pollMs: 60_000, metrics: [], camera: true, control: camera },
    ],
  });
  loaded.manifest.uplink.password = tc.secrets[POLE];
  loaded.manifest.rules = [
    { id: 'lel-high', metric: 'gas-1.lel', above: 20, severity: 'critical', snapshot: 'cam-1' },
    { id: 'co-high', metric: 'gas-1.co', above: 20, severity: 'critical' },
    { id: 'h2s-high', metric: 'gas-1.h2s', above: 20, severity: 'critical', snapshot: 'cam-1', snapshotWaitMs: 0 },
  ];
  const agent = await startEdgeAgent(loaded);
  cleanups.unshift(() => agent.close());
  await new Promise((resolve) => agent.once('connected', resolve));
  const raised = (rule: string) => new Promise<Alarm>((resolve) => {
    const on = (a: Alarm) => {
      if (a.rule !== rule) return;
      agent.off('alarm', on);
      resolve(a);
    };
    agent.on('alarm', on);
  });

  const alarmMs: Record<'picture' | 'after' | 'none', number[]> = { picture: [], after: [], none: [] };
  const blobMs: Record<'picture' | 'after', number[]> = { picture: [], after: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [kind, metric, rule] of [['picture', withPicture, 'lel-high'], ['after', after, 'h2s-high'], ['none', without, 'co-high']] as const) {
      const stored = nextIngested(tc.cloud.events, 'alarm');
      const blob = kind !== 'none' ? nextIngested(tc.cloud.events, 'blob') : undefined;
      const alarm = raised(rule);
      metric.value = 25;
      const { ts } = await alarm;
      alarmMs[kind].push((await stored) - ts);
      if (blob && kind !== 'none') blobMs[kind].push((await blob) - ts);
      const cleared = nextIngested(tc.cloud.events, 'alarm');
      metric.value = 5;
      await cleared;
    }
  }
  const rss = process.memoryUsage().rss / 2 ** 20;
  const row = (name: string, v: number[]) => console.log(`${name.padEnd(34)} p50 ${quantile(v, 0.5).toFixed(0).padStart(5)} ms  p95 ${quantile(v, 0.95).toFixed(0).padStart(5)} ms  max ${Math.max(...v).toFixed(0).padStart(5)} ms`);
  console.log(`${ROUNDS} rounds; camera answers in ${CAMERA_MS} ms with ${PICTURE_BYTES} bytes; polls every 20 ms`);
  row('alarm stored, no snapshot (base)', alarmMs.none);
  row('alarm stored, snapshot attached', alarmMs.picture);
  row('alarm stored, snapshotWaitMs 0', alarmMs.after);
  row('raise → blob stored (attached)', blobMs.picture);
  row('raise → blob stored (wait 0)', blobMs.after);
  const ratio = (a: number[]) => `p50 ${(quantile(a, 0.5) / quantile(alarmMs.none, 0.5)).toFixed(2)}, p95 ${(quantile(a, 0.95) / quantile(alarmMs.none, 0.95)).toFixed(2)}`;
  console.log(`alarm latency / base: attached ${ratio(alarmMs.picture)}; wait 0 ${ratio(alarmMs.after)}`);
  const worst = Math.max(quantile(blobMs.picture, 0.95), quantile(blobMs.after, 0.95));
  console.log(`blob p95 ${worst.toFixed(0)} ms: target < 1000 ms ${worst < 1000 ? 'met' : 'MISSED'}`);
  console.log(`process RSS (agent + cloud in one process) ${rss.toFixed(0)} MiB`);
} finally {
  for (const fn of cleanups) await fn();
  rmSync(dir, { recursive: true, force: true });
}
