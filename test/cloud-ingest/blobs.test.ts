// Blobs at the cloud's door, from a real MQTT client: a pole may publish pictures only under its own
// topic, bytes must match the topic's hash, a picture over the payload cap is refused, and the raw
// (non-JSON) payload never goes down the JSON path.
import t from 'tap';
import { createHash } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { nextEvent, waitFor } from '../helpers/wait.js';
import { testJpeg } from '../helpers/jpeg.js';
import { connectPole, publish, ROOT, startTestCloud } from './fixture.js';

const emitter = (client: MqttClient) => client as unknown as NodeJS.EventEmitter;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

t.test('a pole may not publish a blob under another pole\'s topic', async (t) => {
  const tc = await startTestCloud(t);
  const pole = await connectPole(t, tc, 'pole-a');
  const picture = testJpeg('pole-a pretends to be pole-b');
  const closed = nextEvent(emitter(pole), 'close');
  pole.publish(`${ROOT}/pole-b/blob/${sha256(picture)}`, picture, { qos: 1 });
  await closed;
  t.match(tc.lines.find((l) => l.includes('publish refused')), /a pole may publish only under city\/v1\/pole-a\//);
  t.equal((await tc.cloud.store.counts()).blobs, 0);
  t.equal(await tc.cloud.store.blob(sha256(picture)), undefined);
});

t.test('a blob whose bytes do not match its topic\'s hash is dead-lettered; a good one is stored as sent', async (t) => {
  const tc = await startTestCloud(t);
  const pole = await connectPole(t, tc, 'pole-a');
  const picture = testJpeg('a picture', 200_000);
  const other = testJpeg('another picture');
  await publish(pole, `${ROOT}/pole-a/blob/${sha256(other)}`, picture);
  await publish(pole, `${ROOT}/pole-a/blob/${sha256(picture)}`, picture);
  const counts = await tc.cloud.store.counts();
  t.equal(counts.blobs, 1);
  t.equal(counts.deadLetters, 1, 'only the mismatch: the raw picture is not parsed as JSON');
  t.match((await tc.cloud.store.deadLetters({ limit: 10 })).items[0], { pole: 'pole-a', reason: `blob sha256 is ${sha256(picture)}, not the ${sha256(other)} of its topic`, size: picture.length });
  t.same(await tc.cloud.store.blob(sha256(picture)), picture);
});

t.test('a blob over the payload cap is refused and not stored', async (t) => {
  const tc = await startTestCloud(t, { maxPayloadBytes: 100_000 });
  const pole = await connectPole(t, tc, 'pole-a');
  const picture = testJpeg('too large', 150_000);
  const closed = nextEvent(emitter(pole), 'close');
  pole.publish(`${ROOT}/pole-a/blob/${sha256(picture)}`, picture, { qos: 1 });
  await closed;
  await waitFor('the refusal logged', () => tc.lines.find((l) => l.includes('publish refused')));
  t.match(tc.lines.find((l) => l.includes('publish refused')), /payload of 150000 bytes is over the limit of 100000/);
  t.equal((await tc.cloud.store.counts()).blobs, 0);
});
