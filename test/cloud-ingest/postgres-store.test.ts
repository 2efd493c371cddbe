import t from 'tap';
import { PostgresStore } from '../../cloud-ingest/store/postgres-store.js';
import { emptyBatch } from '../../cloud-ingest/store/store.js';
import { missingService } from '../helpers/services.js';
import { freePort } from '../helpers/mosquitto.js';
import { reading, telemetryPayload } from './fixture.js';
import { postgresSchema } from './postgres.js';
import { storeConformance } from './store-conformance.js';

const skip = await missingService('postgres');

t.test('postgres', { skip }, async (t) => {
  storeConformance(t, 'postgres', async (t) => {
    const store = await PostgresStore.open(await postgresSchema(t));
    t.teardown(() => store.close());
    return store;
  });

  t.test('postgres: dedupe holds across stores on one database, as across cloud nodes', async (t) => {
    const url = await postgresSchema(t);
    const [a, b] = await Promise.all([PostgresStore.open(url), PostgresStore.open(url)]);
    t.teardown(() => Promise.all([a.close(), b.close()]));
    t.same((await a.writeBatch({ ...emptyBatch(1), telemetry: [telemetryPayload('pole-a', 's1', [reading(1), reading(2)])] })).telemetryDuplicates, [0]);
    t.same((await b.writeBatch({ ...emptyBatch(2), telemetry: [telemetryPayload('pole-a', 's1', [reading(2), reading(3)])] })).telemetryDuplicates, [1]);
    t.equal((await a.counts()).readings, 3);
  });
});

t.test('postgres: an unreachable database is one line naming host:port, never the password', async (t) => {
  const port = await freePort();
  const err = await PostgresStore.open(`postgres://city:s3cret-pw@127.0.0.1:${port}/city`, 'store.url in cloud.yaml').then(() => undefined, (e: Error) => e);
  t.match(err, { name: 'PolegateError', code: 'STORE_UNAVAILABLE', exitCode: 1 });
  t.match(err!.message, new RegExp(`^cannot use the PostgreSQL store at 127\\.0\\.0\\.1:${port} \\(store\\.url in cloud\\.yaml\\): .*ECONNREFUSED.* — check that PostgreSQL runs there`));
  t.notMatch(err!.message, /s3cret-pw|\n/);
});

t.test('postgres: a URL that does not parse is bad input', async (t) => {
  await t.rejects(PostgresStore.open('postgres://city:pw@host:notaport/db'), { code: 'STORE_URL_INVALID', exitCode: 2, message: /^store\.url in the cloud config is not a valid postgres:\/\/ URL$/ });
});
