// The snapshot store on a real SQLite file: a picture leaves only after its message, once; the age
// budget; a reopened file; the same picture twice.
import t from 'tap';
import { join } from 'node:path';
import { SnapshotStore, snapshotPath } from '../../edge-agent/snapshot-store.js';
import { testJpeg } from '../helpers/jpeg.js';

const budget = { maxBytes: 1024 * 1024, maxAgeMs: 60_000, maxSnapshotBytes: 512 * 1024 };

t.test('the file lives beside the outbox', async (t) => {
  t.equal(snapshotPath('/var/lib/polegate/outbox.db'), '/var/lib/polegate/outbox-snapshots.db');
});

t.test('a picture waits for its message to be committed and then to leave the outbox; deleted only on ack', async (t) => {
  const store = SnapshotStore.open(join(t.testdir(), 'outbox-snapshots.db'), budget);
  t.teardown(() => store.close());
  const pending = new Set<number>();
  const { sha256 } = store.put(testJpeg('one'), 'cam-1', Date.now());
  t.equal(store.next((seq) => pending.has(seq)), undefined, 'not before its message is committed');
  store.link(sha256, 7);
  pending.add(7);
  t.equal(store.next((seq) => pending.has(seq)), undefined, 'not while its message waits in the outbox');
  pending.delete(7);
  const blob = store.next((seq) => pending.has(seq));
  t.equal(blob?.sha256, sha256);
  t.same(blob?.bytes, testJpeg('one'));
  t.equal(store.next(() => false), undefined, 'in flight: not offered twice');
  store.release(sha256);
  t.equal(store.next(() => false)?.sha256, sha256, 'released: offered again');
  store.ack(sha256);
  t.same(store.stats(), { count: 0, bytes: 0 });
});

t.test('the age budget drops old pictures, never one in flight; the same picture is kept once', async (t) => {
  let now = 1_000_000;
  const store = SnapshotStore.open(join(t.testdir(), 'outbox-snapshots.db'), budget, () => now);
  t.teardown(() => store.close());
  const a = store.put(testJpeg('a'), 'cam-1', now).sha256;
  const b = store.put(testJpeg('b'), 'cam-2', now + 10).sha256;
  t.equal(store.put(testJpeg('a'), 'cam-1', now + 20).sha256, a);
  t.equal(store.stats().count, 2, 'the same bytes twice: one copy');
  store.link(b, null);
  t.equal(store.next(() => false)?.sha256, b);
  now += 60_005;
  // a was taken again at +20: newer than the bound by 15 ms; b is in flight.
  t.same(store.expire(), []);
  now += 100;
  t.same(store.expire().map((d) => d.sha256), [a]);
  t.equal(store.stats().count, 1, 'b, in flight, stays');
});

t.test('a reopened file offers what waited for a message that was never committed', async (t) => {
  const path = join(t.testdir(), 'outbox-snapshots.db');
  const first = SnapshotStore.open(path, budget);
  const { sha256 } = first.put(testJpeg('before the crash'), 'cam-1', Date.now());
  first.close();
  const again = SnapshotStore.open(path, budget);
  t.teardown(() => again.close());
  t.equal(again.next(() => true)?.sha256, sha256);
  t.equal(again.stats().count, 1);
});

t.test('a picture over maxSnapshotBytes is refused; the byte budget drops the oldest', async (t) => {
  const store = SnapshotStore.open(join(t.testdir(), 'outbox-snapshots.db'), budget);
  t.teardown(() => store.close());
  t.throws(() => store.put(testJpeg('big', 600 * 1024), 'cam-1', Date.now()), { code: 'SNAPSHOT_TOO_LARGE' });
  const ts = Date.now();
  const first = store.put(testJpeg('1', 400 * 1024), 'cam-1', ts).sha256;
  store.put(testJpeg('2', 400 * 1024), 'cam-1', ts + 1);
  const { dropped } = store.put(testJpeg('3', 400 * 1024), 'cam-1', ts + 2);
  t.same(dropped, [{ sha256: first, device: 'cam-1', ts }]);
  t.ok(store.stats().bytes <= budget.maxBytes);
});
