// GET /api/series returns each reading with the type it was sent with, whatever came after it.
import t from 'tap';
import { missingService } from '../helpers/services.js';
import { waitFor } from '../helpers/wait.js';
import { startTestCloud, connectPole, publish, telemetryPayload, reading, getJson, ROOT } from './fixture.js';
import { postgresSchema } from './postgres.js';
import type { CloudConfig } from '../../config/cloud-schema.js';
import type { IngestedEvent } from '../../cloud-ingest/ingest.js';

const stores: [string, (t: Tap) => Promise<CloudConfig['store'] | undefined>, string | undefined][] = [
  ['sqlite', async () => undefined, undefined],
  ['postgres', async (t) => ({ kind: 'postgres', url: await postgresSchema(t) }), await missingService('postgres')],
];
type Tap = Parameters<typeof postgresSchema>[0];

for (const [name, store, skip] of stores) {
  t.test(`${name}: a series read back through the API keeps each value's type after its type changes`, { skip }, async (t) => {
    const tc = await startTestCloud(t, { store: await store(t) });
    const pole = await connectPole(t, tc, 'pole-a');
    let stored = 0;
    tc.cloud.events.on('ingested', (e: IngestedEvent) => (stored += e.count));
    // What the agent sends: numbers, then a boolean, then a `bad` reading carrying the device's text.
    await publish(pole, `${ROOT}/pole-a/telemetry`, telemetryPayload('pole-a', 's1', [reading(1, { value: 312.5 }), reading(2, { value: 1 }), reading(3, { value: 0 })]));
    await publish(pole, `${ROOT}/pole-a/telemetry`, telemetryPayload('pole-a', 's1', [reading(4, { value: true }), reading(5, { value: '0042', quality: 'bad' })]));
    await waitFor('5 readings stored', () => stored === 5);
    const res = await getJson(`${tc.http}/api/series?pole=pole-a&device=gas-1&metric=lel&from=0&to=${Date.now()}`, `viewer:${tc.users.viewer}`);
    t.equal(res.status, 200);
    t.same(res.body.points.map((p: { value: unknown }) => p.value), [312.5, 1, 0, true, '0042']);
    const detail = await getJson(`${tc.http}/api/poles/pole-a`, `viewer:${tc.users.viewer}`);
    t.match(detail.body.devices[0].metrics.find((m: { name: string }) => m.name === 'lel'), { type: 'string', latest: { value: '0042', quality: 'bad' } });
  });
}
