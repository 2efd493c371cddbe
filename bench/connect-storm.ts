// Many poles on one `polegate cloud` node (bin/polegate over dist/), keepalive traffic only:
// 1. memory per connected pole: the node's RSS and live V8 heap (after a full GC, read through its
//    inspector) idle — the baseline — and with POLES poles connected (goal ≤ 20 KiB a pole);
// 2. a connect storm: the node restarted (SIGTERM, start again on the same port and registry, its
//    caches empty) while every pole reconnects as a pole agent does (first retry after 0.5–1.5 s):
//    the time from the new node's start until all are back (the node takes the storm while it
//    starts), the p50/p99 of a pole's outage (connection lost → CONNACK) and of its wait from the
//    new node's start, and how many CONNACKs refused a pole (goal 0).
// The poles are a separate process (bench/lib/pole-swarm.ts), so their memory is not counted. Each
// process needs a descriptor a pole: the bench checks `ulimit -n` (here 20,000 soft and hard).
// Run: npx tsc -p tsconfig.build.json && node --import tsx bench/connect-storm.ts [poles]
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execSync } from 'node:child_process';
import { stringify } from 'yaml';
import { hashGeneratedSecret, newSecret } from '../cloud-ingest/secrets.js';
import { startCloudProcess, type CloudProcess } from '../test/security/cloud-process.js';
import { waitFor } from '../test/helpers/wait.js';
import { inspect } from './lib/inspector-memory.js';
import { quantile } from './lib/quantile.js';

const POLES = Number(process.argv[2] ?? 10_000);

const limit = Number(execSync('ulimit -n', { shell: '/bin/sh' }).toString());
if (limit < POLES + 1000) {
  console.error(`ulimit -n is ${limit}: ${POLES} poles need ${POLES + 1000} descriptors in the node and in the swarm; raise it (ulimit -n ${POLES + 1000}) or run fewer poles`);
  process.exit(2);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const dirs: string[] = [];
const teardowns: (() => unknown)[] = [];
const tap = { testdir: () => (dirs.push(mkdtempSync(join(tmpdir(), 'bench-storm-'))), dirs.at(-1)!), teardown: (fn: () => unknown) => teardowns.push(fn) };

const poles: [string, string][] = Array.from({ length: POLES }, (_, i) => [`storm-${String(i).padStart(5, '0')}`, newSecret()]);
const [mqttPort, inspectPort] = [await freePort(), await freePort()];
const env = { NODE_OPTIONS: `--inspect=127.0.0.1:${inspectPort}` };
const start = async (restartOf?: CloudProcess) => {
  const cloud = await startCloudProcess(tap, { poles: [], mqtt: { port: mqttPort, maxConnections: POLES + 1000 }, env, restartOf, startTimeoutMs: 600_000 });
  return { cloud, inspector: await inspect(inspectPort) };
};

type Status = { connected: number; refused: number };
try {
  let { cloud, inspector } = await start();
  writeFileSync(join(cloud.dir, 'poles.yaml'), stringify({ poles: poles.map(([id, secret]) => ({ id, secretHash: hashGeneratedSecret(secret) })) }));
  const idle = await inspector.memory();

  const swarm = fork(join(import.meta.dirname, 'lib', 'pole-swarm.ts'), { execArgv: ['--import', 'tsx'] });
  teardowns.push(() => swarm.kill());
  let status: Status = { connected: 0, refused: 0 };
  let report: { outages: number[]; backAt: number[] } | undefined;
  swarm.on('message', (m: Status | NonNullable<typeof report>) => {
    if ('connected' in m) status = m;
    else report = m;
  });
  const filling = Date.now();
  swarm.send({ port: mqttPort, poles, inFlight: 200 });
  await waitFor(`${POLES} poles connected`, () => status.connected === POLES, 600_000, 200);
  const fillSeconds = (Date.now() - filling) / 1000;
  const loaded = await inspector.memory();
  const kib = (mib: number) => (mib * 1024) / POLES;
  console.log(`${POLES} poles connected in ${fillSeconds.toFixed(1)} s (200 attempts at a time), ${status.refused} refused`);
  console.log(`node idle: RSS ${idle.rss.toFixed(1)} MiB, heap used ${idle.heapUsed.toFixed(1)} MiB (after a full GC)`);
  console.log(`node with ${POLES} poles: RSS ${loaded.rss.toFixed(1)} MiB, heap used ${loaded.heapUsed.toFixed(1)} MiB, external ${loaded.external.toFixed(1)} MiB`);
  console.log(`per connected pole: RSS ${kib(loaded.rss - idle.rss).toFixed(1)} KiB, heap ${kib(loaded.heapUsed - idle.heapUsed).toFixed(1)} KiB (goal ≤ 20 KiB); ratio to idle RSS ${(loaded.rss / idle.rss).toFixed(2)}`);

  // The storm: the node restarts; every pole comes back on its own.
  inspector.close();
  const refusedBefore = status.refused;
  const stopping = Date.now();
  cloud.child.kill('SIGTERM');
  await once(cloud.child, 'close');
  const up = Date.now();
  const stopSeconds = (up - stopping) / 1000;
  ({ cloud, inspector } = await start(cloud));
  const runningSeconds = (Date.now() - up) / 1000;
  await waitFor(`${POLES} poles back`, () => status.connected === POLES, 600_000, 100);
  const allBackSeconds = (Date.now() - up) / 1000;
  swarm.send('report');
  const { outages, backAt } = await waitFor('the swarm\'s report', () => report, 60_000);
  const afterUp = backAt.map((t) => t - up);
  const after = await inspector.memory();
  console.log(`restart: old node stopped in ${stopSeconds.toFixed(1)} s; new node running (all listeners) ${runningSeconds.toFixed(1)} s after its start`);
  console.log(`storm: all ${POLES} back ${allBackSeconds.toFixed(1)} s after the new node's start; a pole's outage p50 ${(quantile(outages, 0.5) / 1000).toFixed(1)} s, p99 ${(quantile(outages, 0.99) / 1000).toFixed(1)} s; after the new node's start p50 ${(quantile(afterUp, 0.5) / 1000).toFixed(1)} s, p99 ${(quantile(afterUp, 0.99) / 1000).toFixed(1)} s; ${status.refused - refusedBefore} CONNACKs refused a pole (goal 0); ${cloud.logged('login throttled').length} throttle warnings`);
  console.log(`node after the storm: RSS ${after.rss.toFixed(1)} MiB, heap used ${after.heapUsed.toFixed(1)} MiB`);
  inspector.close();
} finally {
  for (const fn of teardowns.reverse()) await fn();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
