// The cloud under attack, against a real `polegate cloud` (bin/polegate, built dist/):
// 1. pole logins per second (each a pole not yet logged in; registered by add-pole, so its secret is
//    checked with one HMAC, not scrypt — the wrong passwords are scrypt), alone — the baseline —
//    and while 1,000 concurrent wrong HTTP passwords arrive again and again from another address;
//    a pole login's p50/p99 during the attack (goal p99 < 1 s);
// 2. the cloud's RSS while 100 sockets keep sending CONNECT headers declaring 256 MiB (each closed
//    by the cloud, then opened again), against its RSS at rest (goal: growth under 64 MiB).
// Run: npx tsc -p tsconfig.build.json && node --import tsx bench/cloud-hostile.ts [poleLogins]
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startCloudProcess } from '../test/security/cloud-process.js';
import { rawConnect, stream } from '../test/security/raw-mqtt.js';
import { quantile } from './lib/quantile.js';

const LOGINS = Number(process.argv[2] ?? 60);
const ATTACKERS = 1000;
const SOCKETS = 100;
const OVERSIZED_SECONDS = 15;

const dirs: string[] = [];
const teardowns: (() => unknown)[] = [];
const tap = { testdir: () => (dirs.push(mkdtempSync(join(tmpdir(), 'bench-hostile-'))), dirs.at(-1)!), teardown: (fn: () => unknown) => teardowns.push(fn) };
const poles = Array.from({ length: 2 * LOGINS }, (_, i) => `bench-pole-${i}`);
const cloud = await startCloudProcess(tap, { poles, mqtt: { maxConnections: 20_000 } });

function login(pole: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(`mqtt://127.0.0.1:${cloud.mqttPort}`, { clientId: pole, username: pole, password: cloud.secrets[pole], reconnectPeriod: 0, connectTimeout: 60_000 });
    client.once('connect', () => {
      const ms = performance.now() - started;
      client.end(true, () => resolve(ms));
    });
    client.once('error', reject);
  });
}

/** Logs `list` in, four at a time; returns each login's latency and the logins per second. */
async function logins(list: string[]): Promise<{ perSecond: number; latencies: number[] }> {
  const latencies: number[] = [];
  const started = performance.now();
  const queue = [...list];
  await Promise.all([1, 2, 3, 4].map(async () => {
    for (let pole = queue.shift(); pole; pole = queue.shift()) latencies.push(await login(pole));
  }));
  return { perSecond: (list.length * 1000) / (performance.now() - started), latencies };
}

function wrongPassword(i: number): Promise<void> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: cloud.httpPort, path: '/api/poles', localAddress: '127.0.0.2', agent: false, headers: { authorization: `Basic ${Buffer.from(`viewer:wrong-${i}`).toString('base64')}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', () => resolve());
  });
}


try {
  const calm = await logins(poles.slice(0, LOGINS));
  let attacking = true;
  let sent = 0;
  const attack = (async () => {
    while (attacking) {
      await Promise.all(Array.from({ length: ATTACKERS }, (_, i) => wrongPassword(sent + i)));
      sent += ATTACKERS;
    }
  })();
  await new Promise((r) => setTimeout(r, 500)); // the first wave under way
  const attacked = await logins(poles.slice(LOGINS));
  attacking = false;
  await attack;
  console.log(`pole logins alone:          ${calm.perSecond.toFixed(1)}/s, p50 ${quantile(calm.latencies, 0.5).toFixed(0)} ms, p99 ${quantile(calm.latencies, 0.99).toFixed(0)} ms`);
  console.log(`pole logins under attack:   ${attacked.perSecond.toFixed(1)}/s (ratio to alone ${(attacked.perSecond / calm.perSecond).toFixed(2)}), p50 ${quantile(attacked.latencies, 0.5).toFixed(0)} ms, p99 ${quantile(attacked.latencies, 0.99).toFixed(0)} ms (goal < 1000 ms); ${sent} wrong passwords sent in waves of ${ATTACKERS}`);

  const rest = cloud.rssMiB();
  let max = rest;
  let refused = 0;
  const until = Date.now() + OVERSIZED_SECONDS * 1000;
  const sampler = setInterval(() => (max = Math.max(max, cloud.rssMiB())), 100);
  await Promise.all(Array.from({ length: SOCKETS }, async () => {
    while (Date.now() < until) {
      const c = await rawConnect(cloud.mqttPort);
      await stream(c, Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]), 256 * 1024 * 1024);
      await c.closed;
      refused++;
    }
  }));
  clearInterval(sampler);
  // What the flood leaves behind once it stops (garbage collected, sockets gone), beside its peak.
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const after = cloud.rssMiB();
  console.log(`RSS under ${SOCKETS} sockets declaring 256 MiB for ${OVERSIZED_SECONDS} s: at rest ${rest.toFixed(1)} MiB, max ${max.toFixed(1)} MiB, growth ${(max - rest).toFixed(1)} MiB (goal < 64); 10 s after ${after.toFixed(1)} MiB (${(after - rest).toFixed(1)} over rest); ${refused} sockets closed at the header (${(refused / OVERSIZED_SECONDS).toFixed(0)}/s)`);
} finally {
  for (const fn of teardowns.reverse()) await fn();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
