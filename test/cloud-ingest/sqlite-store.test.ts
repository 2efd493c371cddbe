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
  t.equal((await second.series({ pole: 'pole-a', device: 'gas-1', metric: 'lel', from: 0, to: Number.MAX_SAFE_INTEGER, limit: 10 }))!.length, 2);
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
  t.throws(() => new SqliteStore(file), { code: 'STORE_UNAVAILABLE', message: /old\.db: it was written by another polegate version \(layout 0, this one reads 1\); move it away/ });
});
