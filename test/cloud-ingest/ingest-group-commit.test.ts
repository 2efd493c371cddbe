// Group commit in the ingest pipeline, against a real SQLite store whose writes the test can hold
// back (as a PostgreSQL round trip would): what arrives in one turn of the event loop is one
// transaction, what arrives during a write waits for it and goes in the next one, and no publish is
// acknowledged before its transaction has committed.
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { Ingest } from '../../cloud-ingest/ingest.js';
import { SqliteStore } from '../../cloud-ingest/store/sqlite-store.js';
import type { IngestBatch } from '../../cloud-ingest/store/store.js';
import { waitFor } from '../helpers/wait.js';
import { memoryLog, reading, ROOT, telemetryPayload } from './fixture.js';

const topic = `${ROOT}/pole-a/telemetry`;
const payload = (seq: number) => Buffer.from(JSON.stringify(telemetryPayload('pole-a', 's1', [reading(seq)])));
/** The rest of this turn of the event loop: its check phase, where setImmediate callbacks run. */
const turn = () => new Promise((r) => setImmediate(r));

/** A real SQLite store whose writes each wait for the test to open their gate, then commit for real. */
function heldStore(t: Test): { store: SqliteStore; writes: { seqs: number[]; open: () => void }[] } {
  const store = new SqliteStore(join(t.testdir(), 'city.db'));
  t.teardown(() => store.close());
  const writes: { seqs: number[]; open: () => void }[] = [];
  const write = store.writeBatch.bind(store);
  store.writeBatch = async (batch: IngestBatch) => {
    await new Promise<void>((open) => writes.push({ seqs: batch.telemetry.flatMap((p) => p.readings.map((r) => r.seq)), open }));
    return write(batch);
  };
  return { store, writes };
}

t.test('one transaction per turn of the event loop, the next one after the write under way', async (t) => {
  const { store, writes } = heldStore(t);
  const ingest = new Ingest({ store, topicRoot: ROOT, log: memoryLog().log });
  const acked = new Set<number>();
  const accept = (seq: number) => ingest.accept(topic, payload(seq), 'pole-a').then(() => acked.add(seq));

  const first = [0, 1, 2].map(accept);
  await turn();
  t.same(writes.map((w) => w.seqs), [[0, 1, 2]], 'three publishes of one turn: one write');

  const second = [3, 4].map(accept);
  await turn();
  await turn();
  t.equal(writes.length, 1, 'publishes arriving during a write wait for it');
  t.equal(acked.size, 0, 'nothing acknowledged before its commit');

  writes[0]!.open();
  await Promise.all(first);
  t.same([...acked], [0, 1, 2], 'the first group acknowledged after its commit, the second not yet');
  await waitFor('the second write', () => writes.length === 2, 5000, 1);
  t.same(writes[1]!.seqs, [3, 4], 'what arrived during the first write is the next group');
  writes[1]!.open();
  await Promise.all(second);
  t.same((await store.counts()).readings, 5, 'all five stored');
});

t.test('publishes of several turns during a write go in one transaction after it', async (t) => {
  const { store, writes } = heldStore(t);
  const ingest = new Ingest({ store, topicRoot: ROOT, log: memoryLog().log });
  const accept = (seq: number) => ingest.accept(topic, payload(seq), 'pole-a');
  const first = accept(0);
  await turn();
  const later = [accept(1)];
  await turn();
  later.push(accept(2));
  await turn();
  t.equal(writes.length, 1, 'the first write is still under way');
  writes[0]!.open();
  await first;
  await waitFor('the second write', () => writes.length === 2, 5000, 1);
  t.same(writes[1]!.seqs, [1, 2], 'two turns of arrivals, one transaction');
  writes[1]!.open();
  await Promise.all(later);
  t.equal((await store.counts()).readings, 3);
});

t.test('a lone publish is committed at once, with no timer to wait for', async (t) => {
  const store = new SqliteStore(join(t.testdir(), 'city.db'));
  t.teardown(() => store.close());
  const ingest = new Ingest({ store, topicRoot: ROOT, log: memoryLog().log });
  let committed = false;
  const done = ingest.accept(topic, payload(0), 'pole-a').then(() => (committed = true));
  // Timers run in the next turn: a flush timer, however short, would not have fired yet.
  await turn();
  t.ok(committed, 'committed within the turn it arrived in');
  await done;
});

t.test('a turn that brings more than maxBatchReadings is written in several transactions', async (t) => {
  const store = new SqliteStore(join(t.testdir(), 'city.db'));
  t.teardown(() => store.close());
  const writes: number[][] = [];
  const write = store.writeBatch.bind(store);
  store.writeBatch = (batch: IngestBatch) => {
    writes.push(batch.telemetry.flatMap((p) => p.readings.map((r) => r.seq)));
    return write(batch);
  };
  const ingest = new Ingest({ store, topicRoot: ROOT, log: memoryLog().log, maxBatchReadings: 2 });
  await Promise.all([0, 1, 2].map((seq) => ingest.accept(topic, payload(seq), 'pole-a')));
  t.same(writes, [[0, 1], [2]], 'flushed at 2 readings, the rest at the end of the turn');
  t.same((await store.counts()).readings, 3, 'all three stored');
});
