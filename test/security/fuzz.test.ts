// A bounded, seeded fuzz of the cloud's entry points, against the real `polegate cloud`: mutated and
// random MQTT packets over raw TCP, and broken HTTP requests, while a real pole sends valid
// readings. The process must live, its memory stay bounded, every valid reading be stored exactly
// once, and no HTTP request be answered with a 500. Set FUZZ_SEED to replay a run.
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { connect, getJson, publish, reading, telemetryPayload } from '../cloud-ingest/fixture.js';
import { startCloudProcess, type CloudProcess } from './cloud-process.js';
import { connectPacket } from './raw-mqtt.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const MQTT_CASES = 150;
const HTTP_CASES = 150;
const VALID_BATCHES = 40;
const READINGS_PER_BATCH = 5;
const FUZZ_ADDRESS = '127.0.0.5'; // so that the fuzz's failed logins throttle only itself

/** mulberry32: a small, fast, seedable generator. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), a | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function mqttCase(random: () => number, cloud: CloudProcess): Buffer {
  const int = (n: number) => Math.floor(random() * n);
  const templates: Packet[] = [
    connectPacket('pole-b', 'pole-b', cloud.secrets['pole-b']),
    { cmd: 'publish', topic: 'city/v1/pole-b/telemetry', qos: 1, messageId: 1 + int(65535), retain: random() < 0.3, dup: false, payload: Buffer.from(JSON.stringify(telemetryPayload('pole-b', 'fuzz', [reading(int(1000))]))) },
    { cmd: 'publish', topic: 'city/v1/pole-b/state', qos: 1, messageId: 7, retain: true, dup: false, payload: Buffer.from('{"v":1,"pole":"pole-b","state":"online","ts":1,"bootId":"x"}') },
    { cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'city/v1/#', qos: 1 }] },
    { cmd: 'pingreq' },
    { cmd: 'disconnect' },
  ] as Packet[];
  const parts: Buffer[] = [mqttPacket.generate(templates[0]!)];
  for (let i = 0, n = 1 + int(4); i < n; i++) parts.push(mqttPacket.generate(templates[int(templates.length)]!));
  const bytes = Buffer.concat(parts);
  switch (int(5)) {
    case 0: // random bytes after a valid CONNECT
      return Buffer.concat([parts[0]!, Buffer.from(Array.from({ length: 1 + int(256) }, () => int(256)))]);
    case 1: // truncated
      return bytes.subarray(0, int(bytes.length));
    case 2: // a declared length made huge
      return Buffer.concat([bytes.subarray(0, 1), Buffer.from([0xff, 0xff, 0xff, 0x7f]), bytes.subarray(2)]);
    default: { // flipped bytes
      const copy = Buffer.from(bytes);
      for (let i = 0, n = 1 + int(8); i < n; i++) copy[int(copy.length)] = int(256);
      return copy;
    }
  }
}

function sendRaw(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: FUZZ_ADDRESS });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
    socket.on('connect', () => socket.end(bytes));
    socket.setTimeout(1000, () => socket.destroy()); // a throttled login may take seconds: the fuzz does not wait
  });
}

const PATHS = ['/api/poles', '/api/poles/%ZZ', '/api/poles/%', '/api/poles/pole-a', '/api/series?pole=pole-a&device=gas-1&metric=lel&from=-1', '/api/series?limit=1e99', '/api/dead-letters?limit=abc', '/api/blobs/zz', '/health', '/../../etc/passwd', '/api/poles/' + '%41'.repeat(2000)];

function httpCase(random: () => number, port: number, viewer: string): Promise<number | undefined> {
  const int = (n: number) => Math.floor(random() * n);
  const path = PATHS[int(PATHS.length)]!.replace(/./g, (c) => (random() < 0.03 ? `%${int(256).toString(16).padStart(2, '0')}` : c));
  const credentials = [viewer, 'viewer:wrong', ':', '', 'x'.repeat(int(5000))][int(5)]!;
  const method = ['GET', 'HEAD', 'POST', 'DELETE', 'OPTIONS'][int(5)]!;
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, localAddress: FUZZ_ADDRESS, agent: false, headers: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(undefined)); // a request line Node's parser refuses: the server closes
    req.setTimeout(2000, () => req.destroy()); // a throttled login waits up to 5 s: the fuzz goes on
    req.end();
  });
}

t.test(`seeded fuzz of MQTT and HTTP (FUZZ_SEED=${SEED}): the cloud lives, keeps its memory, stores every valid reading once`, async (t) => {
  const cloud = await startCloudProcess(t);
  const random = generator(SEED);
  const pole = await connect(t, `mqtt://127.0.0.1:${cloud.mqttPort}`, { clientId: 'pole-a', username: 'pole-a', password: cloud.secrets['pole-a'] });
  let poleClosed = false;
  pole.on('close', () => (poleClosed = true));
  // Growth is measured from a cloud that has served each kind of request once: fastify compiles a
  // route's validator and serializer on first use, a one-time cost that is not the fuzz's doing.
  await publish(pole, 'city/v1/pole-a/telemetry', telemetryPayload('pole-a', 'warm-up', [reading(1, { metric: 'ch4' })]));
  const auth = { authorization: `Basic ${Buffer.from(`viewer:${cloud.users.viewer}`).toString('base64')}` };
  for (const path of ['/api/poles', '/api/poles/pole-a', '/api/series?pole=pole-a&device=d&metric=m', '/api/series', '/api/dead-letters', '/api/openapi.json', '/api/nothing']) {
    await (await fetch(`http://127.0.0.1:${cloud.httpPort}${path}`, { headers: auth })).arrayBuffer();
  }
  const before = cloud.rssMiB();

  const valid = (async () => {
    for (let b = 0; b < VALID_BATCHES; b++) {
      const readings = Array.from({ length: READINGS_PER_BATCH }, (_, i) => reading(b * READINGS_PER_BATCH + i + 1, { ts: 1_700_000_000_000 + b * 1000 + i }));
      await publish(pole, 'city/v1/pole-a/telemetry', telemetryPayload('pole-a', 'valid', readings));
    }
  })();
  const viewer = `viewer:${cloud.users.viewer}`;
  const statuses = new Map<number | undefined, number>();
  const fuzz = (async () => {
    for (let i = 0; i < Math.max(MQTT_CASES, HTTP_CASES); i += 10) {
      const batch: Promise<unknown>[] = [];
      for (let j = i; j < i + 10; j++) {
        if (j < MQTT_CASES) batch.push(sendRaw(cloud.mqttPort, mqttCase(random, cloud)));
        if (j < HTTP_CASES) batch.push(httpCase(random, cloud.httpPort, viewer).then((s) => statuses.set(s, (statuses.get(s) ?? 0) + 1)));
      }
      await Promise.all(batch);
    }
  })();
  await Promise.all([valid, fuzz]);

  t.equal(cloud.child.exitCode, null, 'the cloud process lives');
  t.equal((await getJson(`http://127.0.0.1:${cloud.httpPort}/health`)).status, 200);
  const growth = cloud.rssMiB() - before;
  t.ok(growth < 64, `RSS grew ${growth.toFixed(1)} MiB (limit 64)`);
  t.notOk(poleClosed, 'the valid pole was never disconnected');
  t.notOk(statuses.has(500), `no 500 (statuses: ${JSON.stringify([...statuses])})`);
  const series = await getJson(`http://127.0.0.1:${cloud.httpPort}/api/series?pole=pole-a&device=gas-1&metric=lel&limit=10000`, viewer);
  const seqs = series.body.points.map((p: { ts: number }) => p.ts);
  t.equal(seqs.length, VALID_BATCHES * READINGS_PER_BATCH, 'every valid reading stored');
  t.equal(new Set(seqs).size, seqs.length, 'each exactly once');
});
