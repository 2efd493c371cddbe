// Redis restart: two `polegate cloud` nodes on a redis-server of this test's own (a free port, no
// persistence, so it comes back empty), a `polegate edge` pole with both nodes in its urls and a
// platform subscriber on the other node. Redis is SIGKILLed and started again while the pole
// publishes: the brokers reconnect, cross-node delivery resumes, and the store ends with every seq
// the outbox gave exactly once (nothing acknowledged is lost).
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import { connect } from '../cloud-ingest/fixture.js';
import { edgeProc } from '../e2e/fault-procs.js';
import { POLE, sims, writeManifest } from '../e2e/helpers.js';
import { freePort } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/wait.js';
import { expectEveryReadingOnce } from './every-reading-once.js';
import { clusterServicesMissing, startClusterFixture } from './cluster-fixture.js';

t.setTimeout(85_000);

const skip = await clusterServicesMissing();

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d));
  await waitFor(`redis-server on ${port} (${output})`, () => {
    if (child.exitCode !== null) throw new Error(`redis-server exited ${child.exitCode}: ${output}`);
    return output.includes('Ready to accept connections');
  });
  return child;
}

/** Seqs of the telemetry the subscriber receives. */
function seqsSeen(client: MqttClient): number[] {
  const seen: number[] = [];
  client.on('message', (_topic, payload) => seen.push(...(JSON.parse(payload.toString()) as { readings: { seq: number }[] }).readings.map((r) => r.seq)));
  return seen;
}

t.test('Redis restarts empty: brokers reconnect, delivery resumes, nothing acknowledged is lost', { skip }, async (t) => {
  const redisPort = await freePort();
  let redis = await startRedis(redisPort);
  // Registered first, so it runs after the fixture's teardown (tap runs them last in, first out).
  t.teardown(async () => {
    redis.kill('SIGKILL');
    if (redis.exitCode === null) await once(redis, 'close');
  });
  const c = await startClusterFixture(t, { poles: [POLE], redisUrl: `redis://127.0.0.1:${redisPort}` });
  const [a, b] = [await c.start('node-a'), await c.start('node-b')];

  const subscriber = await connect(t, `mqtt://127.0.0.1:${b.mqttPort}`, { clientId: 'platform:sub', username: c.platform.username, password: c.platform.password });
  const seen = seqsSeen(subscriber);
  await subscriber.subscribeAsync(`city/v1/${POLE}/telemetry`, { qos: 1 });

  const devices = await sims(t);
  const manifest = writeManifest(c.dir, { mqttPort: [a.mqttPort, b.mqttPort], gasPort: devices.gas.port, pressurePort: devices.pressure.port, pollMs: 50 });
  const edge = edgeProc(manifest, c.secrets[POLE]!);
  await edge.start();
  t.teardown(() => edge.stop('SIGKILL'));
  const outbox = path.join(c.dir, 'outbox.db');
  await waitFor('telemetry from node A on node B', () => seen.length > 20, 20_000);

  redis.kill('SIGKILL');
  await once(redis, 'close');
  await waitFor('the nodes to notice', () => [a, b].every((n) => n.logged('Redis unreachable; cluster traffic waits for it').length > 0));
  const before = Math.max(...seen);
  redis = await startRedis(redisPort);
  await waitFor('the nodes to reconnect', () => [a, b].every((n) => n.logged('Redis reachable again').length > 0), 20_000);
  const after = await waitFor('new telemetry across nodes after the restart', () => seen.find((s) => s > before + 20), 30_000);
  t.ok(after > before, `delivery across nodes resumed (seq ${after} after ${before})`);

  await expectEveryReadingOnce(t, c, { devices, edge, outbox });
});
