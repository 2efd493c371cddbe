// The cloud end to end on `store: { kind: postgres }`: what a pole publishes comes back through the
// API, and a batch resent after a cloud restart is dropped, as a pole's outbox would resend it.
import t from 'tap';
import { startCloud } from '../../cloud-ingest/cloud.js';
import type { IngestedEvent } from '../../cloud-ingest/ingest.js';
import { missingService } from '../helpers/services.js';
import { nextEvent } from '../helpers/wait.js';
import { birthPayload, connectPole, getJson, memoryLog, publish, reading, ROOT, startTestCloud, statePayload, telemetryPayload } from './fixture.js';
import { postgresSchema } from './postgres.js';

const skip = await missingService('postgres');

t.test('a pole publishes into the PostgreSQL store; its resend after a cloud restart is dropped', { skip }, async (t) => {
  const url = await postgresSchema(t);
  const tc = await startTestCloud(t, { store: { kind: 'postgres', url } });
  const auth = `viewer:${tc.users.viewer}`;
  const batch = telemetryPayload('pole-a', 's1', [reading(1), reading(2), reading(3, { metric: 'fault', value: true, unit: '' })]);
  const pole = await connectPole(t, tc, 'pole-a');
  await publish(pole, `${ROOT}/pole-a/birth`, birthPayload('pole-a'), { retain: true });
  await publish(pole, `${ROOT}/pole-a/state`, statePayload('pole-a', 'online'), { retain: true });
  await publish(pole, `${ROOT}/pole-a/telemetry`, batch);

  const detail = await getJson(`${tc.http}/api/poles/pole-a`, auth);
  t.match(detail.body, { id: 'pole-a', state: 'online', devices: [{ id: 'gas-1', metrics: [{ name: 'lel', latest: { value: 0.2 } }, { name: 'fault', latest: { value: true } }] }] });
  const series = await getJson(`${tc.http}/api/series?pole=pole-a&device=gas-1&metric=lel`, auth);
  t.same(series.body.points.map((p: { value: number }) => p.value), [0.1, 0.2]);
  pole.end(true);
  await tc.cloud.close();

  const { log } = memoryLog();
  const again = await startCloud({ config: tc.config, dir: tc.dir, log, configFile: 'cloud.yaml' });
  t.teardown(() => again.close());
  const resender = await connectPole(t, { ...tc, url: `mqtt://127.0.0.1:${again.ports.mqtt}` }, 'pole-a');
  const ingested = nextEvent<IngestedEvent>(again.events, 'ingested');
  await publish(resender, `${ROOT}/pole-a/telemetry`, telemetryPayload('pole-a', 's1', [...batch.readings, reading(4)]));
  t.same(await ingested, { pole: 'pole-a', kind: 'telemetry', count: 1, duplicates: 3 });
  t.equal((await again.store.counts()).readings, 4);
});
