import t from 'tap';
import { createHash } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { waitFor, nextEvent } from '../helpers/wait.js';
import { addPole } from '../../cloud-ingest/registry.js';
import { startTestCloud, connect, connectPole, publish, telemetryPayload, reading, ROOT } from './fixture.js';

// mqtt.js types its events narrowly; the wait helpers take any emitter.
const emitter = (client: MqttClient) => client as unknown as NodeJS.EventEmitter;

function subscribe(client: MqttClient, topic: string): Promise<number> {
  // mqtt.js reports a refused subscription (SUBACK 128) as an error carrying the code.
  return new Promise((resolve, reject) => client.subscribe(topic, { qos: 1 }, (err, granted) => {
    const suback = (err as (Error & { packet?: { granted?: number[] } }) | null)?.packet;
    if (err) return suback?.granted?.[0] === 128 ? resolve(128) : reject(err);
    resolve(granted![0]!.qos);
  }));
}

t.test('credentials: wrong secret, unknown pole and a borrowed client id are refused; refusals never log the secret', async (t) => {
  const tc = await startTestCloud(t);
  await t.rejects(connect(t, tc.url, { clientId: 'pole-a', username: 'pole-a', password: 'not-the-secret' }), /Bad username or password/);
  await t.rejects(connect(t, tc.url, { clientId: 'pole-z', username: 'pole-z', password: tc.secrets['pole-a'] }), /Bad username or password/);
  await t.rejects(connect(t, tc.url, { clientId: 'other-id', username: 'pole-a', password: tc.secrets['pole-a'] }), /Identifier rejected/);
  await t.rejects(connect(t, tc.url, { clientId: 'anon' }), /Bad username or password/);
  await t.rejects(connect(t, tc.url, { clientId: 'v', username: 'viewer', password: 'wrong' }), /Bad username or password/);
  const refusals = tc.lines.filter((l) => l.includes('connection refused'));
  t.equal(refusals.length, 5);
  t.match(refusals[0], /"clientId":"pole-a"/);
  t.notOk(tc.lines.some((l) => l.includes('not-the-secret') || l.includes(tc.secrets['pole-a']!)), 'no secret in the log');
  t.ok(await connectPole(t, tc, 'pole-a'), 'the right secret connects');
  t.ok(await connectPole(t, tc, 'pole-a'), 'and again, from the verification cache');
});

t.test('a pole publishing under another pole is disconnected and nothing is stored', async (t) => {
  const tc = await startTestCloud(t);
  const a = await connectPole(t, tc, 'pole-a');
  const closed = nextEvent(emitter(a), 'close');
  a.publish(`${ROOT}/pole-b/telemetry`, JSON.stringify(telemetryPayload('pole-b', 's1', [reading(1)])), { qos: 1 });
  await closed;
  t.match(tc.lines.find((l) => l.includes('publish refused')), /"clientId":"pole-a".*"topic":"city\/v1\/pole-b\/telemetry"/);
  const counts = await tc.cloud.store.counts();
  t.equal(counts.readings, 0);
  t.equal(counts.poles, 0);
  const b = await connectPole(t, tc, 'pole-b');
  const closedB = nextEvent(emitter(b), 'close');
  b.publish(`${ROOT}/pole-b/cmd`, '{}', { qos: 1 });
  await closedB;
  t.match(tc.lines.filter((l) => l.includes('publish refused'))[1], /a pole may not publish cmd/);
});

t.test('subscriptions: a pole gets only its own cmd; platform users may read everything, only operate may command', async (t) => {
  const tc = await startTestCloud(t);
  const pole = await connectPole(t, tc, 'pole-a');
  t.equal(await subscribe(pole, `${ROOT}/#`), 128, 'pole may not subscribe to the whole tree');
  t.equal(await subscribe(pole, `${ROOT}/pole-b/cmd`), 128, "nor to another pole's commands");
  t.equal(await subscribe(pole, `${ROOT}/pole-a/cmd`), 1);
  t.match(tc.lines.find((l) => l.includes('subscription refused')), /"clientId":"pole-a".*"topic":"city\/v1\/#"/);

  const viewer = await connect(t, tc.url, { clientId: 'viewer:1', username: 'viewer', password: tc.users.viewer });
  t.equal(await subscribe(viewer, `${ROOT}/#`), 1);
  t.equal(await subscribe(viewer, '$SYS/#'), 128);
  const seen = nextEvent<string>(emitter(viewer), 'message');
  await publish(pole, `${ROOT}/pole-a/telemetry`, telemetryPayload('pole-a', 's1', [reading(1)]));
  t.equal(await seen, `${ROOT}/pole-a/telemetry`);

  const operator = await connect(t, tc.url, { clientId: 'operator:1', username: 'operator', password: tc.users.operator });
  const command = nextEvent<string>(emitter(pole), 'message');
  await publish(operator, `${ROOT}/pole-a/cmd`, { v: 1, id: 'c1', name: 'poll', args: {} });
  t.equal(await command, `${ROOT}/pole-a/cmd`);

  const closed = nextEvent(emitter(viewer), 'close');
  viewer.publish(`${ROOT}/pole-a/cmd`, JSON.stringify({ v: 1, id: 'c2', name: 'poll', args: {} }), { qos: 1 });
  await closed;
  t.match(tc.lines.filter((l) => l.includes('publish refused')).pop(), /"clientId":"viewer:1".*role read may not publish/);
});

t.test('bad payloads go to dead letters with reasons while good messages keep flowing', async (t) => {
  const tc = await startTestCloud(t);
  const pole = await connectPole(t, tc, 'pole-a');
  await publish(pole, `${ROOT}/pole-a/telemetry`, Buffer.from([0xde, 0xad, 0xbe, 0xef]));
  await publish(pole, `${ROOT}/pole-a/telemetry`, { v: 1, pole: 'pole-a', stream: 's1', readings: [{ seq: 'x' }] });
  await publish(pole, `${ROOT}/pole-a/telemetry`, telemetryPayload('pole-b', 's1', [reading(1)]));
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 1, 2, 3]);
  const sha = createHash('sha256').update(jpeg).digest('hex');
  await publish(pole, `${ROOT}/pole-a/blob/${'0'.repeat(64)}`, jpeg);
  await publish(pole, `${ROOT}/pole-a/blob/${sha}`, jpeg);
  await publish(pole, `${ROOT}/pole-a/telemetry`, telemetryPayload('pole-a', 's1', [reading(1), reading(2)]));
  await publish(pole, `${ROOT}/pole-a/alarm`, { v: 1, pole: 'pole-a', stream: 's1', seq: 3, alarm: { id: 'a1', rule: 'gas-high', device: 'gas-1', metric: 'lel', state: 'raised', severity: 'critical', value: 25, threshold: 20, ts: 1, snapshot: `sha256:${sha}` } });
  await publish(pole, `${ROOT}/pole-a/event`, { v: 1, pole: 'pole-a', stream: 's1', seq: 4, event: { type: 'motion', device: 'cam-1', ts: 2 } });

  const counts = await tc.cloud.store.counts();
  t.same({ readings: counts.readings, alarms: counts.alarms, events: counts.events, blobs: counts.blobs, deadLetters: counts.deadLetters }, { readings: 2, alarms: 1, events: 1, blobs: 1, deadLetters: 4 });
  const res = await fetch(`${tc.http}/api/dead-letters`, { headers: { authorization: `Basic ${Buffer.from(`viewer:${tc.users.viewer}`).toString('base64')}` } });
  const letters = ((await res.json()) as { deadLetters: { reason: string; pole: string; topic: string; size: number }[] }).deadLetters;
  t.match(letters.map((d) => d.reason), [/blob sha256 is/, /differs from the topic's pole/, /telemetry: \/readings\/0/, /not JSON/]);
  t.equal(letters[3]!.size, 4);
  t.equal(letters[3]!.pole, 'pole-a');
  const poles = await (await fetch(`${tc.http}/api/poles`, { headers: { authorization: `Basic ${Buffer.from(`viewer:${tc.users.viewer}`).toString('base64')}` } })).json() as { poles: { activeAlarms: number }[] };
  t.equal(poles.poles[0]!.activeAlarms, 1);
  const blob = await fetch(`${tc.http}/api/blobs/${sha}`, { headers: { authorization: `Basic ${Buffer.from(`viewer:${tc.users.viewer}`).toString('base64')}` } });
  t.equal(blob.headers.get('content-type'), 'image/jpeg');
  t.same(Buffer.from(await blob.arrayBuffer()), jpeg);
});

t.test('an oversized payload is refused', async (t) => {
  const tc = await startTestCloud(t, { maxPayloadBytes: 1024 });
  const pole = await connectPole(t, tc, 'pole-a');
  const closed = nextEvent(emitter(pole), 'close');
  pole.publish(`${ROOT}/pole-a/telemetry`, Buffer.alloc(2048, 0x20), { qos: 1 });
  await closed;
  t.match(tc.lines.find((l) => l.includes('publish refused')), /over the limit of 1024/);
  t.equal((await tc.cloud.store.counts()).deadLetters, 0);
});

t.test('a pole added to the registry while the cloud runs can connect', async (t) => {
  const tc = await startTestCloud(t);
  await t.rejects(connect(t, tc.url, { clientId: 'pole-new', username: 'pole-new', password: 'x' }), /Bad username or password/);
  const secret = await addPole(tc.registry, 'pole-new');
  const client = await waitFor('pole-new to connect', () => connect(t, tc.url, { clientId: 'pole-new', username: 'pole-new', password: secret }).catch(() => undefined), 5000);
  t.ok(client.connected);
});
