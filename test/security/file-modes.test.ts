// Files that hold secrets or the city's data are the owner's only: 0600 files in 0700 folders that
// polegate creates. The process umask is cleared here, so a mode left to the default would show as
// 0644/0666 and fail: every mode must be stated, not inherited.
import t from 'tap';
import { chmod, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Outbox } from '../../edge-agent/outbox.js';
import { addPole } from '../../cloud-ingest/registry.js';
import { addUser } from '../../cloud-ingest/users.js';
import { SqliteStore } from '../../cloud-ingest/store/sqlite-store.js';
import { emptyBatch } from '../../cloud-ingest/store/store.js';
import { reading, telemetryPayload } from '../cloud-ingest/fixture.js';

const previous = process.umask(0);
t.teardown(() => process.umask(previous));

async function mode(path: string): Promise<string> {
  return ((await stat(path)).mode & 0o777).toString(8);
}

t.test('add-pole writes a new registry 0600, and tightens an existing 0644 one', async (t) => {
  const dir = t.testdir();
  const fresh = join(dir, 'poles.yaml');
  await addPole(fresh, 'pole-1');
  t.equal(await mode(fresh), '600');
  const old = join(dir, 'old-poles.yaml');
  await writeFile(old, 'poles: []\n');
  await chmod(old, 0o644);
  await addPole(old, 'pole-2');
  t.equal(await mode(old), '600');
});

t.test('add-user leaves cloud.yaml 0600 (it now holds a password hash)', async (t) => {
  const dir = t.testdir();
  const config = join(dir, 'cloud.yaml');
  await writeFile(config, 'mqtt: { port: 0 }\nstore: { kind: sqlite, path: ./data/city.db }\npoles: ./poles.yaml\n');
  await chmod(config, 0o644);
  await addUser(config, 'ops', 'read');
  t.equal(await mode(config), '600');
});

t.test('the SQLite store, its WAL and SHM are 0600 in a 0700 folder; an old 0644 store is tightened', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'data', 'city.db');
  const store = new SqliteStore(file);
  await store.writeBatch({ ...emptyBatch(1), telemetry: [telemetryPayload('pole-a', 's1', [reading(1)])] });
  t.equal(await mode(join(dir, 'data')), '700');
  t.same(await Promise.all([file, `${file}-wal`, `${file}-shm`].map(mode)), ['600', '600', '600']);
  await store.close();
  await chmod(file, 0o644);
  const again = new SqliteStore(file);
  t.teardown(() => again.close());
  t.equal(await mode(file), '600');
});

t.test('the edge outbox, its WAL and SHM are 0600 in a 0700 folder', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'var', 'outbox.db');
  const outbox = Outbox.open(file);
  t.teardown(() => outbox.close());
  outbox.appendEvent({ type: 'motion', ts: 1 } as Parameters<Outbox['appendEvent']>[0]);
  t.equal(await mode(join(dir, 'var')), '700');
  t.same(await Promise.all([file, `${file}-wal`, `${file}-shm`].map(mode)), ['600', '600', '600']);
});
