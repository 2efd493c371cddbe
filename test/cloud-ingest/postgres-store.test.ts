import t from 'tap';
import pg from 'pg';
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

  t.test('postgres: tables without the bool column get it; old booleans read back as before', async (t) => {
    const url = await postgresSchema(t);
    const old = new pg.Client({ connectionString: url });
    await old.connect();
    await old.query(`
      CREATE TABLE series (id SERIAL PRIMARY KEY, pole_id INTEGER NOT NULL, device TEXT NOT NULL, metric TEXT NOT NULL,
        unit TEXT NOT NULL, vtype SMALLINT NOT NULL, UNIQUE (pole_id, device, metric));
      CREATE TABLE readings (stream_id INTEGER NOT NULL, seq BIGINT NOT NULL, series_id INTEGER NOT NULL, ts BIGINT NOT NULL,
        num DOUBLE PRECISION, str TEXT, quality SMALLINT NOT NULL, PRIMARY KEY (stream_id, seq));
      CREATE TABLE latest (series_id INTEGER PRIMARY KEY, ts BIGINT NOT NULL, num DOUBLE PRECISION, str TEXT, quality SMALLINT NOT NULL);
      CREATE TABLE alarms (stream_id INTEGER NOT NULL, seq BIGINT NOT NULL, pole_id INTEGER NOT NULL, alarm_id TEXT NOT NULL,
        rule TEXT NOT NULL, device TEXT NOT NULL, metric TEXT NOT NULL, state TEXT NOT NULL, severity TEXT NOT NULL,
        num DOUBLE PRECISION, str TEXT, threshold DOUBLE PRECISION, ts BIGINT NOT NULL, snapshot TEXT, PRIMARY KEY (stream_id, seq));
      CREATE TABLE poles (id SERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, state TEXT, state_ts BIGINT, boot_id TEXT,
        last_seen BIGINT, birth TEXT, component_code TEXT, lat DOUBLE PRECISION, lon DOUBLE PRECISION, grid TEXT);
      INSERT INTO poles (id, name) VALUES (1, 'pole-a');
      INSERT INTO series VALUES (1, 1, 'gas-1', 'fault', '', 1), (2, 1, 'gas-1', 'lel', '%LEL', 0);
      INSERT INTO readings VALUES (1, 1, 1, 1, 1, NULL, 0), (1, 2, 2, 2, 1, NULL, 0);
      INSERT INTO latest VALUES (1, 1, 1, NULL, 0);`);
    await old.end();
    const store = await PostgresStore.open(url);
    t.teardown(() => store.close());
    const q = { pole: 'pole-a', device: 'gas-1', from: 0, to: Number.MAX_SAFE_INTEGER, limit: 10 };
    t.same((await store.series({ ...q, metric: 'fault' }))!.items.map((p) => p.value), [true]);
    t.same((await store.series({ ...q, metric: 'lel' }))!.items.map((p) => p.value), [1]);
    t.match((await store.getPole('pole-a'))!.devices[0]!.metrics.find((m) => m.name === 'fault'), { latest: { value: true } });
    const again = await PostgresStore.open(url);
    await again.close();
    t.same((await store.series({ ...q, metric: 'fault' }))!.items.map((p) => p.value), [true], 'a second start migrates nothing');
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
