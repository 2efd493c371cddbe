// The PostgreSQL store's write path: seq ranges instead of a unique key on readings, one binary
// COPY per batch. A store made by the previous layout migrates in place; two nodes writing one
// stream at once keep each seq once; a write that dies between its COPY and its commit leaves nothing.
import t from 'tap';
import pg from 'pg';
import { PostgresStore } from '../../cloud-ingest/store/postgres-store.js';
import { emptyBatch } from '../../cloud-ingest/store/store.js';
import { missingService } from '../helpers/services.js';
import { waitFor } from '../helpers/wait.js';
import { reading, telemetryPayload } from './fixture.js';
import { postgresSchema } from './postgres.js';

const skip = await missingService('postgres');
const all = { pole: 'pole-a', device: 'gas-1', metric: 'lel', from: 0, to: Number.MAX_SAFE_INTEGER, limit: 1000 };

async function client(t: Tap, url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  t.teardown(() => c.end());
  return c;
}
type Tap = Parameters<typeof postgresSchema>[0];

t.test('postgres write path', { skip }, async (t) => {
  t.test('a store of the previous layout (a primary key on readings) migrates: what it holds stays deduped', async (t) => {
    const url = await postgresSchema(t);
    const old = await client(t, url);
    await old.query(`
      CREATE TABLE poles (id SERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, state TEXT, state_ts BIGINT, boot_id TEXT,
        last_seen BIGINT, birth TEXT, component_code TEXT, lat DOUBLE PRECISION, lon DOUBLE PRECISION, grid TEXT);
      CREATE TABLE streams (id SERIAL PRIMARY KEY, pole_id INTEGER NOT NULL, name TEXT NOT NULL, UNIQUE (pole_id, name));
      CREATE TABLE series (id SERIAL PRIMARY KEY, pole_id INTEGER NOT NULL, device TEXT NOT NULL, metric TEXT NOT NULL,
        unit TEXT NOT NULL, vtype SMALLINT NOT NULL, UNIQUE (pole_id, device, metric));
      CREATE TABLE readings (stream_id INTEGER NOT NULL, seq BIGINT NOT NULL, series_id INTEGER NOT NULL, ts BIGINT NOT NULL,
        num DOUBLE PRECISION, str TEXT, bool BOOLEAN, quality SMALLINT NOT NULL, PRIMARY KEY (stream_id, seq));
      CREATE TABLE alarms (stream_id INTEGER NOT NULL, seq BIGINT NOT NULL, pole_id INTEGER NOT NULL, alarm_id TEXT NOT NULL,
        rule TEXT NOT NULL, device TEXT NOT NULL, metric TEXT NOT NULL, state TEXT NOT NULL, severity TEXT NOT NULL,
        num DOUBLE PRECISION, str TEXT, bool BOOLEAN, threshold DOUBLE PRECISION, ts BIGINT NOT NULL, snapshot TEXT, PRIMARY KEY (stream_id, seq));
      CREATE TABLE events (stream_id INTEGER NOT NULL, seq BIGINT NOT NULL, pole_id INTEGER NOT NULL, type TEXT NOT NULL, device TEXT,
        ts BIGINT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (stream_id, seq));
      INSERT INTO poles (id, name) VALUES (1, 'pole-a');
      INSERT INTO streams VALUES (1, 1, 's1');
      INSERT INTO series VALUES (1, 1, 'gas-1', 'lel', '%LEL', 0);
      INSERT INTO readings VALUES (1, 1, 1, 1, 0.1, NULL, NULL, 0), (1, 2, 1, 2, 0.2, NULL, NULL, 0), (1, 3, 1, 3, 0.3, NULL, NULL, 0), (1, 7, 1, 7, 0.7, NULL, NULL, 0);
      INSERT INTO alarms VALUES (1, 5, 1, 'a1', 'r', 'gas-1', 'lel', 'raised', 'major', 1, NULL, NULL, NULL, 5, NULL);
      INSERT INTO events VALUES (1, 10, 1, 'motion', NULL, 10, '{"type":"motion","ts":10}');`);
    const store = await PostgresStore.open(url);
    t.teardown(() => store.close());
    t.same((await old.query('SELECT lo, hi FROM seq_ranges ORDER BY lo')).rows, [{ lo: '1', hi: '3' }, { lo: '5', hi: '5' }, { lo: '7', hi: '7' }, { lo: '10', hi: '10' }]);
    t.same((await old.query("SELECT conname FROM pg_constraint WHERE conrelid = 'readings'::regclass")).rows, [], 'readings lost its key');
    const result = await store.writeBatch({ ...emptyBatch(1), telemetry: [telemetryPayload('pole-a', 's1', Array.from({ length: 12 }, (_, i) => reading(i + 1)))] });
    t.same(result.telemetryDuplicates, [6], 'seqs 1-3 and 7 (readings), 5 (an alarm), 10 (an event) were held');
    t.same((await store.series(all))!.items.map((p) => p.value), [0.1, 0.2, 0.3, 0.7, 0.4, 0.6, 0.8, 0.9, 1.1, 1.2], 'the old rows (dated 1 to 7 ms) first');
    const again = await PostgresStore.open(url);
    await again.close();
    t.same((await old.query('SELECT lo, hi FROM seq_ranges ORDER BY lo')).rows, [{ lo: '1', hi: '12' }], 'a second start migrates nothing');
  });

  t.test('two stores on one database writing one stream at once keep each seq once', async (t) => {
    const url = await postgresSchema(t);
    const [a, b] = await Promise.all([PostgresStore.open(url), PostgresStore.open(url)]);
    t.teardown(() => Promise.all([a.close(), b.close()]));
    let duplicates = 0;
    for (let round = 0; round < 10; round++) {
      // Each round both write seqs [100 r, 100 r + 150): 50 overlap the next round's, and all of a round overlap each other.
      const readings = Array.from({ length: 150 }, (_, i) => reading(round * 100 + i));
      const results = await Promise.all([a, b].map((s) => s.writeBatch({ ...emptyBatch(round), telemetry: [telemetryPayload('pole-a', 's1', readings)] })));
      duplicates += results.reduce((n, r) => n + r.telemetryDuplicates[0]!, 0);
    }
    t.equal((await a.counts()).readings, 1050, 'seqs 0 to 1049, each once');
    t.equal(duplicates, 2 * 10 * 150 - 1050, 'every other one counted as a duplicate');
  });

  t.test('a write that dies between its COPY and its commit leaves nothing; its resend is stored whole', async (t) => {
    const url = await postgresSchema(t);
    const store = await PostgresStore.open(url);
    t.teardown(() => store.close());
    const admin = await client(t, url);
    // Holding `latest` makes the write wait right after its COPY, its rows written but not committed.
    await admin.query('BEGIN');
    await admin.query('LOCK TABLE latest IN ACCESS EXCLUSIVE MODE');
    const batch = { ...emptyBatch(1), telemetry: [telemetryPayload('pole-a', 's1', Array.from({ length: 2000 }, (_, i) => reading(i)))] };
    const write = store.writeBatch(batch).then(() => undefined, (err: Error) => err);
    const pid = await waitFor('the write waiting after its COPY', async () => (await admin.query('SELECT pid FROM pg_stat_activity WHERE pg_blocking_pids(pid) @> ARRAY[pg_backend_pid()]')).rows[0]?.pid as number | undefined);
    // pg_stat_activity is read once per transaction: ask from outside the one holding the lock.
    const watch = await client(t, url);
    t.match((await watch.query('SELECT query FROM pg_stat_activity WHERE pid = $1', [pid])).rows[0].query, /^INSERT INTO latest/);
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    t.match(await write, { message: /terminat/ }, 'the write fails');
    await admin.query('ROLLBACK');
    t.same((await admin.query('SELECT (SELECT count(*) FROM readings) AS readings, (SELECT count(*) FROM seq_ranges) AS ranges')).rows, [{ readings: '0', ranges: '0' }]);
    t.same((await store.writeBatch(batch)).telemetryDuplicates, [0]);
    t.equal((await store.counts()).readings, 2000);
  });

  t.test('large batches: 60,000 readings of three value types in one batch, then half of them again', async (t) => {
    const store = await PostgresStore.open(await postgresSchema(t));
    t.teardown(() => store.close());
    const value = (i: number) => (i % 3 === 0 ? i / 4 : i % 3 === 1 ? i % 2 === 0 : `code-${i}`);
    const many = (from: number, n: number) => Array.from({ length: n }, (_, i) => reading(from + i, { metric: `m${(from + i) % 3}`, value: value(from + i) }));
    t.same((await store.writeBatch({ ...emptyBatch(1), telemetry: [telemetryPayload('pole-a', 's1', many(0, 60_000))] })).telemetryDuplicates, [0]);
    t.same((await store.writeBatch({ ...emptyBatch(2), telemetry: [telemetryPayload('pole-a', 's1', many(30_000, 40_000))] })).telemetryDuplicates, [30_000]);
    t.equal((await store.counts()).readings, 70_000);
    for (const metric of ['m0', 'm1', 'm2']) {
      const points = (await store.series({ ...all, metric, limit: 3 }))!.items;
      t.same(points.map((p) => p.value), points.map((_, i) => value(i * 3 + Number(metric[1]))), `${metric} keeps its type`);
    }
    const pole = (await store.getPole('pole-a'))!;
    t.match(pole.devices[0]!.metrics.find((m) => m.name === 'm2'), { type: 'string', latest: { value: 'code-69998' } });
  });
});
