import t from 'tap';
import { waitFor, nextEvent } from '../helpers/wait.js';
import { startTestCloud, connectPole, publish, statePayload, birthPayload, telemetryPayload, reading, getJson, ROOT } from './fixture.js';
import type { IngestedEvent, PresenceEvent } from '../../cloud-ingest/ingest.js';

t.test('a pole publishes birth, state and telemetry; the API shows them with presence online', async (t) => {
  const tc = await startTestCloud(t);
  const auth = `viewer:${tc.users.viewer}`;
  const pole = await connectPole(t, tc, 'pole-a');
  const online = nextEvent<PresenceEvent>(tc.cloud.events, 'presence');
  await publish(pole, `${ROOT}/pole-a/birth`, birthPayload('pole-a'), { retain: true });
  await publish(pole, `${ROOT}/pole-a/state`, statePayload('pole-a', 'online'), { retain: true });
  t.same(await online, { pole: 'pole-a', state: 'online' });
  await publish(pole, `${ROOT}/pole-a/telemetry`, telemetryPayload('pole-a', 's1', [reading(1), reading(2), reading(3, { metric: 'fault', value: true, unit: '' })]));

  const poles = await getJson(`${tc.http}/api/poles`, auth);
  t.equal(poles.status, 200);
  t.match(poles.body.poles, [{ id: 'pole-a', state: 'online', componentCode: '1101050101000123', location: { lat: 39.92, lon: 116.44 }, activeAlarms: 0 }]);
  t.type(poles.body.poles[0].lastSeen, 'number');

  const detail = await getJson(`${tc.http}/api/poles/pole-a`, auth);
  t.equal(detail.status, 200);
  t.match(detail.body, { id: 'pole-a', state: 'online', bootId: 'boot-1', birth: { agent: { version: '0.1.0' }, configHash: 'abc' } });
  t.match(detail.body.devices, [{ id: 'gas-1', driver: 'modbus', model: 'GD-100', metrics: [
    { name: 'lel', unit: '%LEL', latest: { value: 0.2, quality: 'good', ts: 1_700_000_002_000 } },
    { name: 'fault', latest: { value: true } },
  ] }]);

  const series = await getJson(`${tc.http}/api/series?pole=pole-a&device=gas-1&metric=lel&from=1700000001500`, auth);
  t.equal(series.status, 200);
  t.same(series.body.points, [{ ts: 1_700_000_002_000, value: 0.2, quality: 'good' }]);
});

t.test('the same batch published twice is stored once and counted as duplicates', async (t) => {
  const tc = await startTestCloud(t);
  const pole = await connectPole(t, tc, 'pole-a');
  const batch = telemetryPayload('pole-a', 's1', [reading(1), reading(2), reading(3)]);
  const events: IngestedEvent[] = [];
  tc.cloud.events.on('ingested', (e: IngestedEvent) => events.push(e));
  await publish(pole, `${ROOT}/pole-a/telemetry`, batch);
  await publish(pole, `${ROOT}/pole-a/telemetry`, batch);
  await waitFor('two ingested events', () => events.length >= 2);
  t.same(events, [
    { pole: 'pole-a', kind: 'telemetry', count: 3, duplicates: 0 },
    { pole: 'pole-a', kind: 'telemetry', count: 0, duplicates: 3 },
  ]);
  t.equal((await tc.cloud.store.counts()).readings, 3);
});

t.test('a pole that vanishes without DISCONNECT is marked offline by its last will', async (t) => {
  const tc = await startTestCloud(t);
  const will = { topic: `${ROOT}/pole-a/state`, payload: Buffer.from(JSON.stringify(statePayload('pole-a', 'offline'))), qos: 1 as const, retain: true };
  const pole = await connectPole(t, tc, 'pole-a', { will });
  await publish(pole, `${ROOT}/pole-a/state`, statePayload('pole-a', 'online'), { retain: true });
  await waitFor('online', async () => (await tc.cloud.store.getPole('pole-a'))?.state === 'online');
  const offline = nextEvent<PresenceEvent>(tc.cloud.events, 'presence');
  pole.stream.destroy();
  t.same(await offline, { pole: 'pole-a', state: 'offline' });
  const res = await getJson(`${tc.http}/api/poles/pole-a`, `viewer:${tc.users.viewer}`);
  t.equal(res.body.state, 'offline');
});
