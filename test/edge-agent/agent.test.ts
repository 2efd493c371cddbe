// The agent against the shared Mosquitto on 127.0.0.1:1883: what the platform sees on the wire.
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startEdgeAgent, type EdgeAgent } from '../../edge-agent/agent.js';
import type { SentInfo } from '../../edge-agent/uplink.js';
import { validatePayload } from '../../contract/validate.js';
import type { JsonTopicKind } from '../../contract/topics.js';
import { missingService } from '../helpers/services.js';
import { testManifest, type TestPole } from '../helpers/edge-manifest.js';
import { clearRetained, record } from '../helpers/mqtt-recorder.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

const BROKER = 'mqtt://127.0.0.1:1883';
const skip = await missingService('mosquitto');

/** A pole on a topic root of its own, recorded from the start, with its retained messages cleared after. */
async function freshPole(t: Test, devices: TestPole['devices']) {
  const id = randomBytes(4).toString('hex');
  const root = `test-${id}/v1`;
  const pole = `pole-${id}`;
  const rec = await record(BROKER, root);
  t.teardown(() => rec.close());
  t.teardown(() => clearRetained(BROKER, root, pole));
  const loaded = testManifest({ pole, topicRoot: root, bufferPath: join(t.testdir(), 'outbox.db'), devices });
  return { root, pole, rec, loaded };
}

t.test('an agent publishes presence, birth, telemetry and alarms that follow the contract', { skip }, async (t) => {
  const { root, pole, rec, loaded } = await freshPole(t, [
    { id: 'level-1', pollMs: 40, model: 'LV-9', metrics: [{ name: 'level', unit: 'cm', value: 100, step: 2 }, { name: 'float', unit: '', type: 'boolean', value: true }] },
    { id: 'pressure-1', pollMs: 40, metrics: [{ name: 'pressure', unit: 'MPa', value: 0.3 }, { name: 'broken', unit: 'bar', value: null }] },
  ]);
  loaded.manifest.rules = [{ id: 'flood', metric: 'level-1.level', above: 1.2, severity: 'major' }];
  const agent: EdgeAgent = await startEdgeAgent(loaded, { version: '9.9.9-test' });
  let closed = false;
  t.teardown(() => (closed ? undefined : agent.close()));
  const sent: SentInfo[] = [];
  agent.on('sent', (s: SentInfo) => sent.push(s));
  const alarms: unknown[] = [];
  agent.on('alarm', (a) => alarms.push(a));

  await waitFor('200 readings and the alarm on the wire', () => rec.of('telemetry').flatMap((m) => m.payload.readings).length >= 200 && rec.of('alarm').length >= 1, 20_000);

  for (const m of rec.messages) {
    const check = validatePayload(m.kind as JsonTopicKind, m.payload);
    t.ok(check.ok, `${m.kind} payload is valid${check.ok ? '' : `: ${check.reason}`}`);
  }
  t.match(rec.of('state')[0], { payload: { v: 1, pole, state: 'online', bootId: agent.bootId } }, 'state online');
  const late = await record(BROKER, root);
  t.teardown(() => late.close());
  await waitFor('retained state and birth', () => late.of('state').length > 0 && late.of('birth').length > 0, 5000);
  t.match(late.of('state')[0], { retain: true, payload: { state: 'online' } }, 'state online is retained');
  const birth = late.of('birth')[0];
  t.match(birth, { retain: true, payload: { pole, agent: { version: '9.9.9-test' }, configHash: 'test-config-hash', componentCode: '1101050101000123' } }, 'birth is retained');
  const levelDevice = birth!.payload.devices.find((d: { id: string }) => d.id === 'level-1');
  t.same(levelDevice, { id: 'level-1', driver: 'test-device', model: 'LV-9', metrics: [{ name: 'level', type: 'number', unit: 'm' }, { name: 'float', type: 'boolean', unit: '' }] }, 'birth lists canonical units');

  const readings = rec.of('telemetry').flatMap((m) => m.payload.readings);
  t.ok(rec.of('telemetry').every((m) => m.payload.stream === agent.stream), 'every batch names the stream');
  const level = readings.find((r) => r.metric === 'level')!;
  t.equal(level.unit, 'm');
  t.equal(readings.find((r) => r.metric === 'pressure')!.value, 300, 'MPa became kPa');
  t.match(readings.find((r) => r.metric === 'broken'), { quality: 'bad', value: 'sensor fault', unit: 'kPa' }, 'a bad sample is sent, marked bad');

  const [alarm] = rec.of('alarm');
  t.match(alarm!.payload, { stream: agent.stream, alarm: { rule: 'flood', device: 'level-1', metric: 'level', state: 'raised', severity: 'major', threshold: 1.2 } });
  t.notOk('snapshot' in alarm!.payload.alarm);
  t.equal(alarms.length, 1, 'the agent emitted the alarm');

  const seqs = rec.seqs();
  t.equal(new Set(seqs).size, seqs.length, 'no seq twice on a healthy link');
  const sorted = [...seqs].sort((a, b) => a - b);
  t.same(sorted, Array.from({ length: sorted.length }, (_, i) => i), 'seqs from 0 without gaps, shared by alarms and telemetry');
  const alarmSeq = alarm!.payload.seq;
  t.ok(readings.some((r) => r.seq > alarmSeq) && readings.some((r) => r.seq < alarmSeq), 'the alarm seq sits among the readings');
  t.ok(sent.some((s) => s.kind === 'alarm' && s.seqFirst === alarmSeq), "'sent' reports the alarm after its PUBACK");
  t.ok(sent.filter((s) => s.kind === 'telemetry').every((s) => s.count >= 1 && s.seqLast >= s.seqFirst));

  closed = true;
  await agent.close();
  const after = await record(BROKER, root);
  t.teardown(() => after.close());
  await waitFor('retained state', () => after.of('state').length > 0, 5000);
  t.match(after.of('state')[0], { retain: true, payload: { state: 'offline', bootId: agent.bootId } }, 'retained state is offline after close');
});

t.test('a report deadband holds back readings that say nothing new', { skip }, async (t) => {
  const { rec, loaded } = await freshPole(t, [{ id: 'still', pollMs: 20, metrics: [{ name: 'level', unit: 'm', value: 1 }] }]);
  loaded.manifest.report = { deadband: { default: 0.1 } };
  const agent = await startEdgeAgent(loaded);
  t.teardown(() => agent.close());
  let polled = 0;
  agent.on('reading', () => polled++);
  await nextEvent(agent, 'connected');
  await waitFor('20 polls', () => polled >= 20, 10_000);
  await waitFor('the first reading on the wire', () => rec.of('telemetry').length > 0, 5000);
  t.equal(rec.of('telemetry').flatMap((m) => m.payload.readings).length, 1, 'an unchanging value is sent once');
});
