import t from 'tap';
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { SqliteStore } from '../../cloud-ingest/store/sqlite-store.js';
import { storeConformance } from './store-conformance.js';
import { telemetryPayload, reading } from './fixture.js';
import { emptyBatch } from '../../cloud-ingest/store/store.js';

storeConformance(t, 'sqlite', async (t) => {
  const store = new SqliteStore(join(t.testdir(), 'data', 'city.db'));
  t.teardown(() => store.close());
  return store;
});

t.test('sqlite: ids and dedupe survive a reopen', async (t) => {
  const file = join(t.testdir(), 'city.db');
  const first = new SqliteStore(file);
  await first.writeBatch({ ...emptyBatch(1), telemetry: [telemetryPayload('pole-a', 's1', [reading(1)])] });
  await first.close();
  const second = new SqliteStore(file);
  t.teardown(() => second.close());
  const result = await second.writeBatch({ ...emptyBatch(2), telemetry: [telemetryPayload('pole-a', 's1', [reading(1), reading(2)])] });
  t.same(result.telemetryDuplicates, [1]);
  t.equal((await second.series({ pole: 'pole-a', device: 'gas-1', metric: 'lel', from: 0, to: Number.MAX_SAFE_INTEGER, limit: 10 }))!.items.length, 2);
});

t.test('sqlite: an unusable path is one clear error', async (t) => {
  const notADir = join(t.testdir(), 'file');
  writeFileSync(notADir, '');
  t.throws(() => new SqliteStore(join(notADir, 'city.db')), { name: 'PolegateError', code: 'STORE_UNAVAILABLE', message: /cannot open the SQLite store .*file\/city.db/ });
});

t.test('sqlite: a file of another store layout is refused, not misread', async (t) => {
  const file = join(t.testdir(), 'old.db');
  const old = new Database(file);
  old.exec('CREATE TABLE readings (stream_id INTEGER, seq INTEGER, PRIMARY KEY (stream_id, seq)) WITHOUT ROWID');
  old.close();
  t.throws(() => new SqliteStore(file), { code: 'STORE_UNAVAILABLE', message: /old\.db: it was written by another polegate version \(layout 0, this one reads 2\); move it away/ });
});

t.test('sqlite: a layout-1 store is migrated; its values read back as before, new ones keep their type', async (t) => {
  const file = join(t.testdir(), 'v1.db');
  const old = new Database(file);
  // Layout 1's value tables: plain (NUMERIC affinity), booleans as 0 / 1 by the series' type.
  old.exec(`
    CREATE TABLE series (id INTEGER PRIMARY KEY, pole_id INTEGER NOT NULL, device TEXT NOT NULL, metric TEXT NOT NULL,
      unit TEXT NOT NULL, vtype INTEGER NOT NULL, UNIQUE (pole_id, device, metric));
    CREATE TABLE readings (series_id INTEGER NOT NULL, ts INTEGER NOT NULL, stream_id INTEGER NOT NULL, seq INTEGER NOT NULL,
      value ANY, quality INTEGER NOT NULL, PRIMARY KEY (series_id, ts, stream_id, seq)) WITHOUT ROWID;
    CREATE TABLE latest (series_id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, value ANY, quality INTEGER NOT NULL);
    CREATE TABLE alarms (stream_id INTEGER NOT NULL, seq INTEGER NOT NULL, pole_id INTEGER NOT NULL, alarm_id TEXT NOT NULL,
      rule TEXT NOT NULL, device TEXT NOT NULL, metric TEXT NOT NULL, state TEXT NOT NULL, severity TEXT NOT NULL,
      value ANY, threshold REAL, ts INTEGER NOT NULL, snapshot TEXT, PRIMARY KEY (stream_id, seq)) WITHOUT ROWID;
    CREATE TABLE poles (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, state TEXT, state_ts INTEGER, boot_id TEXT,
      last_seen INTEGER, birth TEXT, component_code TEXT, lat REAL, lon REAL, grid TEXT);
    CREATE TABLE streams (id INTEGER PRIMARY KEY, pole_id INTEGER NOT NULL, name TEXT NOT NULL, UNIQUE (pole_id, name));
    CREATE TABLE seq_ranges (stream_id INTEGER NOT NULL, lo INTEGER NOT NULL, hi INTEGER NOT NULL, PRIMARY KEY (stream_id, lo)) WITHOUT ROWID;
    INSERT INTO poles (id, name) VALUES (1, 'pole-a');
    INSERT INTO streams (id, pole_id, name) VALUES (1, 1, 's1');
    INSERT INTO seq_ranges VALUES (1, 1, 4);
    INSERT INTO series VALUES (1, 1, 'gas-1', 'fault', '', 1), (2, 1, 'gas-1', 'lel', '%LEL', 0), (3, 1, 'gas-1', 'mode', '', 2);
    INSERT INTO readings VALUES (1, 1, 1, 1, 1, 0), (2, 2, 1, 2, 0.5, 0), (3, 3, 1, 3, 'auto', 0), (3, 4, 1, 4, 12, 0);
    INSERT INTO latest VALUES (1, 1, 0, 0);
    PRAGMA user_version = 1;`);
  old.close();
  const store = new SqliteStore(file);
  t.teardown(() => store.close());
  const q = { pole: 'pole-a', device: 'gas-1', from: 0, to: Number.MAX_SAFE_INTEGER, limit: 10 };
  t.same((await store.series({ ...q, metric: 'fault' }))!.items.map((p) => p.value), [true]);
  t.same((await store.series({ ...q, metric: 'lel' }))!.items.map((p) => p.value), [0.5]);
  t.same((await store.series({ ...q, metric: 'mode' }))!.items.map((p) => p.value), ['auto', '12']);
  t.match((await store.getPole('pole-a'))!.devices[0]!.metrics.find((m) => m.name === 'fault'), { latest: { value: false } });
  const result = await store.writeBatch({ ...emptyBatch(2), telemetry: [telemetryPayload('pole-a', 's1', [reading(4), reading(5, { metric: 'fault', value: 7 })])] });
  t.same(result.telemetryDuplicates, [1], 'dedupe state survives the migration');
  t.same((await store.series({ ...q, metric: 'fault' }))!.items.map((p) => p.value), [true, 7]);
  const reopened = new Database(file, { readonly: true });
  t.teardown(() => reopened.close());
  t.equal(reopened.pragma('user_version', { simple: true }), 2);
});
