// One message the store cannot take must not fail the others of its group, nor be resent forever;
// a store that takes nothing leaves every publish unacknowledged. Real SQLite store, whose writes
// the test makes fail for one kind of message (as a store-side limit would) or for all.
import t from 'tap';
import { join } from 'node:path';
import { Ingest } from '../../cloud-ingest/ingest.js';
import { SqliteStore } from '../../cloud-ingest/store/sqlite-store.js';
import type { IngestBatch } from '../../cloud-ingest/store/store.js';
import { memoryLog, reading, ROOT, telemetryPayload, type Tap } from './fixture.js';

const telemetry = (pole: string, seq: number) => Buffer.from(JSON.stringify(telemetryPayload(pole, 's1', [reading(seq)])));
const poison = Buffer.from(JSON.stringify({ v: 1, pole: 'pole-a', stream: 's1', seq: 99, event: { type: 'poison', ts: 1_700_000_000_000 } }));

function storeFailing(t: Tap, fails: (batch: IngestBatch) => boolean): { store: SqliteStore; writes: IngestBatch[] } {
  const store = new SqliteStore(join(t.testdir(), 'city.db'));
  t.teardown(() => store.close());
  const writes: IngestBatch[] = [];
  const write = store.writeBatch.bind(store);
  store.writeBatch = async (batch) => {
    writes.push(batch);
    if (fails(batch)) throw new Error('value too large for the column');
    return write(batch);
  };
  return { store, writes };
}

t.test('a message the store refuses is dead-lettered alone; the rest of its group is stored and acknowledged', async (t) => {
  const { store, writes } = storeFailing(t, (b) => b.events.some((e) => e.event.type === 'poison'));
  const { log, lines } = memoryLog();
  const ingest = new Ingest({ store, topicRoot: ROOT, log });
  const forwarded = await Promise.all([
    ingest.accept(`${ROOT}/pole-a/telemetry`, telemetry('pole-a', 1), 'pole-a'),
    ingest.accept(`${ROOT}/pole-a/event`, poison, 'pole-a'),
    ingest.accept(`${ROOT}/pole-b/telemetry`, telemetry('pole-b', 1), 'pole-b'),
  ]);
  t.ok(forwarded[0] && forwarded[2], 'the good publishes are acknowledged and forwarded');
  t.equal(forwarded[1], undefined, 'the poison one is acknowledged, not forwarded');
  t.equal(writes.length, 1 + 3 + 1, 'the group, each message alone, and the dead letter');
  const counts = await store.counts();
  t.equal(counts.readings, 2);
  t.equal(counts.events, 0);
  const [letter] = (await store.deadLetters({ limit: 10 })).items;
  t.equal(letter!.reason, 'the store refused it: value too large for the column');
  t.equal(letter!.topic, `${ROOT}/pole-a/event`);
  t.match(lines.join('\n'), /store write failed; writing its messages one by one/);
});

t.test('a store that takes nothing leaves every publish of the group unacknowledged', async (t) => {
  const { store, writes } = storeFailing(t, () => true);
  const ingest = new Ingest({ store, topicRoot: ROOT, log: memoryLog().log });
  const results = await Promise.allSettled([1, 2, 3].map((seq) => ingest.accept(`${ROOT}/pole-a/telemetry`, telemetry('pole-a', seq), 'pole-a')));
  t.same(results.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
  t.equal(writes.length, 1 + 2, 'the group, the first message alone and its dead letter: then it stops trying');
});
