// Defects 2, 5 and 8 of the outside probe, against the real `polegate cloud`: a deeply nested event
// or birth is dead-lettered without failing anyone else's publish, what ingest refuses reaches no
// subscriber and replaces no retained message, and a reading dated in the future is refused.
import t from 'tap';
import type { MqttClient } from 'mqtt';
import { birthPayload, connect, getJson, type Tap, publish, reading, statePayload, telemetryPayload } from '../cloud-ingest/fixture.js';
import { waitFor } from '../helpers/wait.js';
import { startCloudProcess, type CloudProcess } from './cloud-process.js';

const deep = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);

function poleClient(t: Tap, cloud: CloudProcess, pole: string): Promise<MqttClient> {
  return connect(t, `mqtt://127.0.0.1:${cloud.mqttPort}`, { clientId: pole, username: pole, password: cloud.secrets[pole] });
}

async function api(cloud: CloudProcess, path: string): Promise<any> {
  const res = await getJson(`http://127.0.0.1:${cloud.httpPort}${path}`, `viewer:${cloud.users.viewer}`);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function deadLetters(cloud: CloudProcess): Promise<{ reason: string; topic: string }[]> {
  return (await api(cloud, '/api/dead-letters')).deadLetters;
}

t.test('an event nested 30,000 deep or a birth nested 100,000 deep is dead-lettered and acknowledged; the other pole of its group is stored', async (t) => {
  const cloud = await startCloudProcess(t);
  const a = await poleClient(t, cloud, 'pole-a');
  const b = await poleClient(t, cloud, 'pole-b');
  let closes = 0;
  a.on('close', () => closes++);
  const event = `{"v":1,"pole":"pole-a","stream":"s1","seq":1,"event":{"type":"motion","ts":1700000000000,"x":${deep(30_000)}}}`; // 60 KB, under the event size limit
  const birth = JSON.stringify(birthPayload('pole-a')).replace(/}$/, `,"extra":${deep(100_000)}}`);
  // Sent together, so that they share the cloud's group commit.
  await Promise.all([
    publish(a, 'city/v1/pole-a/event', Buffer.from(event)),
    publish(a, 'city/v1/pole-a/birth', Buffer.from(birth)),
    publish(b, 'city/v1/pole-b/telemetry', telemetryPayload('pole-b', 's1', [reading(1), reading(2)])),
  ]);
  t.equal(closes, 0, 'the sender was not disconnected');
  const letters = await deadLetters(cloud);
  t.match(letters.map((l) => l.reason).sort(), [/^birth nests objects or arrays more than 32 levels deep$/, /^event nests objects or arrays more than 32 levels deep$/]);
  const series = await api(cloud, '/api/series?pole=pole-b&device=gas-1&metric=lel');
  t.equal(series.points.length, 2, "the other pole's readings are stored");
  // A valid event from the same pole goes through after it.
  await publish(a, 'city/v1/pole-a/event', { v: 1, pole: 'pole-a', stream: 's1', seq: 2, event: { type: 'motion', ts: 1_700_000_000_000, zone: { id: 1 } } });
  t.equal((await deadLetters(cloud)).length, 2);
  t.notOk(cloud.log().some((l) => l.includes('store write failed')), 'no store write failed');
});

t.test('what ingest refuses reaches no subscriber and replaces no retained state', async (t) => {
  const cloud = await startCloudProcess(t);
  const url = `mqtt://127.0.0.1:${cloud.mqttPort}`;
  const a = await poleClient(t, cloud, 'pole-a');
  await publish(a, 'city/v1/pole-a/state', statePayload('pole-a', 'online', 'good-boot'), { retain: true });
  const viewer = await connect(t, url, { clientId: 'viewer:live', username: 'viewer', password: cloud.users.viewer });
  const received: { topic: string; payload: string; retain: boolean }[] = [];
  viewer.on('message', (topic, payload, packet) => received.push({ topic, payload: payload.toString(), retain: packet.retain }));
  await viewer.subscribeAsync('city/v1/#', { qos: 1 });
  await waitFor('the retained state', () => received.length === 1);
  received.length = 0;

  await publish(a, 'city/v1/pole-a/telemetry', Buffer.from('not json at all'));
  await publish(a, 'city/v1/pole-a/telemetry', { v: 1, pole: 'pole-a', readings: 'wrong' });
  await publish(a, 'city/v1/pole-a/state', Buffer.from('{"broken"'), { retain: true });
  await publish(a, 'city/v1/pole-a/state', { v: 1, pole: 'pole-b', state: 'offline', ts: Date.now(), bootId: 'x' }, { retain: true });
  await publish(a, 'city/v1/pole-a/telemetry', telemetryPayload('pole-a', 's1', [reading(7)]));
  await waitFor('the valid reading', () => received.some((m) => m.topic === 'city/v1/pole-a/telemetry'));
  t.same(received.map((m) => JSON.parse(m.payload).readings?.[0]?.seq), [7], 'only the valid publish was forwarded');
  t.equal((await deadLetters(cloud)).length, 4);

  const late = await connect(t, url, { clientId: 'viewer:late', username: 'viewer', password: cloud.users.viewer });
  const retained: string[] = [];
  late.on('message', (topic, payload) => retained.push(payload.toString()));
  await late.subscribeAsync('city/v1/pole-a/state', { qos: 1 });
  await waitFor('the retained state', () => retained.length === 1);
  t.equal(JSON.parse(retained[0]!).bootId, 'good-boot', 'the retained state is the last valid one');
});

t.test('readings dated beyond ingest.maxFutureMs are dead-lettered with the reason; the latest value still moves', async (t) => {
  const cloud = await startCloudProcess(t, { extra: { ingest: { maxFutureMs: 60_000 } } });
  const a = await poleClient(t, cloud, 'pole-a');
  const now = Date.now();
  await publish(a, 'city/v1/pole-a/telemetry', telemetryPayload('pole-a', 's1', [
    reading(1, { ts: now - 1000, value: 1 }),
    reading(2, { ts: Date.UTC(2100, 0, 1), value: 99 }),
  ]));
  await publish(a, 'city/v1/pole-a/telemetry', telemetryPayload('pole-a', 's1', [reading(3, { ts: now, value: 3 })]));
  const [letter] = await deadLetters(cloud);
  t.match(letter!.reason, /^1 of 2 readings dated more than ingest\.maxFutureMs \(60000 ms\) ahead of the cloud's clock \(first: gas-1\.lel at 2100-01-01T00:00:00\.000Z\)$/);
  const pole = await api(cloud, '/api/poles/pole-a');
  const lel = pole.devices.find((d: { id: string }) => d.id === 'gas-1').metrics.find((m: { name: string }) => m.name === 'lel');
  t.equal(lel.latest.value, 3, 'the latest value is the newest valid reading');
  const series = await api(cloud, '/api/series?pole=pole-a&device=gas-1&metric=lel');
  t.same(series.points.map((p: { value: number }) => p.value), [1, 3], 'the future reading is not stored');
});
