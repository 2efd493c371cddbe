// The uplink after link cuts, as the field soak cut it: the pole's link to its broker refused for
// CUT_S seconds of every CUT_S + UP_S (default 10 of 30), CYCLES times (default 6). For each cut:
// how long after the link's return the pole was connected again, and the uplink time the cut cost
// (disconnected → connected) against the cut itself (the ratio: 1.0 is a pole back the instant its
// link is). Readings are counted end to end: every seq arrives, none twice.
// The soak that motivated it: backoff alone (0.5 s doubling to 30 s) took a median 6.9 s, max 10.8 s,
// after each 10 s cut, so a cut cost 17 s of uplink (ratio 1.7).
// Run: node --import tsx bench/uplink-reconnect.ts (CUT_S, UP_S, CYCLES to change)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEdgeAgent } from '../edge-agent/agent.js';
import { startTcpProxy } from '../fixtures/tcp-proxy.js';
import { testManifest } from '../test/helpers/edge-manifest.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { record } from '../test/helpers/mqtt-recorder.js';
import { nextEvent, waitFor } from '../test/helpers/wait.js';
import { quantile } from './lib/quantile.js';

const CUT_S = Number(process.env.CUT_S ?? 10);
const UP_S = Number(process.env.UP_S ?? 20);
const CYCLES = Number(process.env.CYCLES ?? 6);
const ROOT = 'bench-reconnect/v1';
const dir = mkdtempSync(join(tmpdir(), 'polegate-bench-'));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const broker = await startMosquitto(dir);
const link = await startTcpProxy({ target: { host: '127.0.0.1', port: broker.port } });
const rec = await record(broker.url, ROOT);
const agent = await startEdgeAgent(testManifest({
  pole: 'bench-reconnect-1', topicRoot: ROOT, url: `mqtt://127.0.0.1:${link.port}`, bufferPath: join(dir, 'outbox.db'),
  devices: [{ id: 'gauge', pollMs: 1000, metrics: [{ name: 'level', unit: 'm', value: 1, step: 0.01 }] }],
}));
let produced = 0;
agent.on('reading', () => produced++);
try {
  await nextEvent(agent, 'connected', 10_000);
  const afterReturn: number[] = [];
  const lost: number[] = [];
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    await sleep(UP_S * 1000);
    const down = nextEvent(agent, 'disconnected', 10_000);
    const cutAt = Date.now();
    link.cut();
    await down;
    const disconnectedAt = Date.now();
    await sleep(CUT_S * 1000 - (disconnectedAt - cutAt));
    const back = nextEvent(agent, 'connected', 120_000);
    await link.restore();
    const restoredAt = Date.now();
    await back;
    const connectedAt = Date.now();
    afterReturn.push(connectedAt - restoredAt);
    lost.push(connectedAt - disconnectedAt);
    process.stdout.write(`cut ${cycle + 1}: back ${connectedAt - restoredAt} ms after the link, uplink lost ${((connectedAt - disconnectedAt) / 1000).toFixed(1)} s for a ${CUT_S} s cut\n`);
  }
  const target = produced;
  await waitFor(`all ${target} readings at the broker`, () => new Set(rec.seqs().filter((s) => s < target)).size >= target, 30_000);
  const seqs = rec.seqs().filter((s) => s < target);
  const ms = (v: number) => `${Math.round(v)} ms`;
  process.stdout.write([
    `reconnect after the link's return: median ${ms(quantile(afterReturn, 0.5))}, max ${ms(Math.max(...afterReturn))} (goal < 2000 ms)`,
    `uplink lost per ${CUT_S} s cut: median ${(quantile(lost, 0.5) / 1000).toFixed(1)} s, ratio ${(quantile(lost, 0.5) / (CUT_S * 1000)).toFixed(2)} of the cut (backoff alone, in the field soak: 1.7)`,
    `readings: ${target} produced, ${new Set(seqs).size} at the broker, ${seqs.length - new Set(seqs).size} duplicates on the wire (the cloud drops them)`,
    `bench process RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(1)} MiB`,
    '',
  ].join('\n'));
} finally {
  await agent.close();
  await rec.close();
  await link.close();
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}
