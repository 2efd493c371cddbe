import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Outbox, type OutboxBatch } from '../../edge-agent/outbox.js';
import type { NormalizedReading } from '../../edge-agent/reading.js';
import { waitFor } from '../helpers/wait.js';

const LIMITS = { maxReadings: 500, maxBytes: 256 * 1024 };

function readings(n: number, device = 'd1'): NormalizedReading[] {
  return Array.from({ length: n }, (_, i) => ({ device, metric: 'level', value: i / 10, unit: 'm', ts: 1_700_000_000_000 + i, quality: 'good' }));
}

const alarm = { id: 'a1', rule: 'flood', device: 'level-1', metric: 'level', state: 'raised' as const, severity: 'major' as const, value: 1.6, threshold: 1.5, ts: 5 };

function parseReadings(batch: OutboxBatch): Array<{ seq: number }> {
  return JSON.parse(`[${batch.body}]`);
}

function drain(outbox: Outbox): OutboxBatch[] {
  const batches: OutboxBatch[] = [];
  for (let b = outbox.nextBatch(LIMITS); b; b = outbox.nextBatch(LIMITS)) batches.push(b);
  return batches;
}

t.test('seq is monotonic and shared by telemetry, alarms and events', async (t) => {
  const outbox = Outbox.open(join(t.testdir(), 'o.db'));
  t.teardown(() => outbox.close());
  t.same(outbox.appendReadings(readings(3)), { seqFirst: 0, seqLast: 2 });
  t.equal(outbox.appendAlarm(alarm), 3);
  t.equal(outbox.appendEvent({ type: 'device-offline', device: 'd1', ts: 9 }), 4);
  t.same(outbox.appendReadings(readings(2)), { seqFirst: 5, seqLast: 6 });
  t.equal(outbox.appendReadings([]), undefined, 'nothing to append, no seq used');
  t.same(outbox.stats().pending, { alarm: 1, event: 1, telemetry: 5 });
  t.equal(outbox.stats().nextSeq, 7);
});

t.test('batches come out alarms first, then events, then telemetry; ack deletes', async (t) => {
  const outbox = Outbox.open(join(t.testdir(), 'o.db'));
  t.teardown(() => outbox.close());
  outbox.appendReadings(readings(3));
  outbox.appendEvent({ type: 'device-online', device: 'd1', ts: 1 });
  outbox.appendAlarm(alarm);
  outbox.appendAlarm({ ...alarm, state: 'cleared' });
  const batches = drain(outbox);
  const order = batches.map((b) => `${b.kind}:${b.seqFirst}-${b.seqLast}`);
  t.same(order, ['alarm:4-4', 'alarm:5-5', 'event:3-3', 'telemetry:0-2']);
  t.same(JSON.parse(batches[0]!.body), alarm, 'an alarm body is the alarm object');
  t.same(parseReadings(batches[3]!).map((r) => r.seq), [0, 1, 2], 'readings carry their seq');
  t.equal(outbox.nextBatch(LIMITS), undefined, 'everything is in flight');
  for (const b of batches) outbox.ack(b);
  t.same(outbox.stats().pending, { alarm: 0, event: 0, telemetry: 0 });
  t.equal(outbox.stats().inFlightRows, 0);
});

t.test('telemetry batches respect maxReadings and maxBytes, and never skip a reading', async (t) => {
  const outbox = Outbox.open(join(t.testdir(), 'o.db'), { rowReadings: 10 });
  t.teardown(() => outbox.close());
  outbox.appendReadings(readings(95));
  const a = outbox.nextBatch({ maxReadings: 40, maxBytes: 1 << 20 })!;
  t.equal(a.count, 40);
  const b = outbox.nextBatch({ maxReadings: 1000, maxBytes: 3000 })!;
  t.ok(Buffer.byteLength(b.body) <= 3000, 'within the byte budget');
  t.ok(b.count >= 10 && b.count < 55, `a byte-limited batch (${b.count} readings)`);
  const seqs: number[] = [];
  for (const batch of [a, b, ...drain(outbox)]) seqs.push(...parseReadings(batch).map((r) => r.seq));
  t.same(seqs.sort((p, q) => p - q), Array.from({ length: 95 }, (_, i) => i));
  const tiny = Outbox.open(join(t.testdir(), 'p.db'), { rowReadings: 10 });
  t.teardown(() => tiny.close());
  tiny.appendReadings(readings(10));
  t.equal(tiny.nextBatch({ maxReadings: 1, maxBytes: 1 })!.count, 10, 'a row larger than the limits still leaves, alone');
});

t.test('release offers a batch again; acked batches are gone', async (t) => {
  const outbox = Outbox.open(join(t.testdir(), 'o.db'), { rowReadings: 5 });
  t.teardown(() => outbox.close());
  outbox.appendReadings(readings(15));
  const first = outbox.nextBatch({ maxReadings: 5, maxBytes: 1 << 20 })!;
  const second = outbox.nextBatch({ maxReadings: 5, maxBytes: 1 << 20 })!;
  outbox.ack(second);
  outbox.release(first);
  const again = outbox.nextBatch({ maxReadings: 5, maxBytes: 1 << 20 })!;
  t.same([again.seqFirst, again.seqLast], [first.seqFirst, first.seqLast], 'the released batch comes back first');
  const third = outbox.nextBatch({ maxReadings: 5, maxBytes: 1 << 20 })!;
  t.same([third.seqFirst, third.seqLast], [10, 14], 'the acked batch does not');
  t.equal(outbox.nextBatch(LIMITS), undefined);
});

t.test('reopening keeps the stream, continues seq and offers unacked messages again', async (t) => {
  const path = join(t.testdir(), 'sub', 'dir', 'o.db');
  const first = Outbox.open(path);
  const stream = first.stream;
  t.match(stream, /^[0-9a-f-]{36}$/);
  first.appendReadings(readings(4));
  first.appendAlarm(alarm);
  const inFlight = first.nextBatch(LIMITS)!;
  t.equal(inFlight.kind, 'alarm');
  first.ack(first.nextBatch(LIMITS)!);
  first.close();

  const second = Outbox.open(path);
  t.teardown(() => second.close());
  t.equal(second.stream, stream);
  t.equal(second.appendEvent({ type: 'gap', ts: 1 }), 5, 'seq continues after the last one given');
  const again = second.nextBatch(LIMITS)!;
  t.same([again.kind, again.seqFirst], ['alarm', 4], 'the alarm in flight at close is sent again');
  t.same(second.stats().pending, { alarm: 1, event: 1, telemetry: 0 });
  const other = Outbox.open(join(t.testdir(), 'other.db'));
  t.not(other.stream, stream, 'a new file gets a new stream');
  other.close();
});

t.test('whatever the order of commits, batches, acks and releases, every message leaves, none twice at once', async (t) => {
  // A model check over random operations with a fixed seed: releases, reopens, batches of every size
  // and kind interleaved must neither skip a row nor offer one twice.
  let seed = 20261129;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const path = join(t.testdir(), 'o.db');
  let outbox = Outbox.open(path, { rowReadings: 4 });
  t.teardown(() => outbox.close());
  const committed = new Set<number>();
  const delivered = new Set<number>();
  let inFlight: OutboxBatch[] = [];
  const seqsOf = (b: OutboxBatch) => (b.kind === 'telemetry' ? parseReadings(b).map((r) => r.seq) : [b.seqFirst]);
  let problems = 0;
  for (let step = 0; step < 3000; step++) {
    const r = random();
    if (r < 0.3) {
      const n = 1 + Math.floor(random() * 9);
      const span = outbox.appendReadings(readings(n))!;
      for (let seq = span.seqFirst; seq <= span.seqLast; seq++) committed.add(seq);
    } else if (r < 0.34) {
      committed.add(outbox.appendEvent({ type: 'device-online', device: 'd1', ts: step }));
    } else if (r < 0.6) {
      const b = outbox.nextBatch({ maxReadings: 1 + Math.floor(random() * 20), maxBytes: 64 * 1024 });
      if (!b) continue;
      const busy = new Set(inFlight.flatMap(seqsOf));
      if (seqsOf(b).some((seq) => busy.has(seq) || delivered.has(seq))) problems++;
      inFlight.push(b);
    } else if (r < 0.85 && inFlight.length > 0) {
      const b = inFlight.splice(Math.floor(random() * inFlight.length), 1)[0]!;
      outbox.ack(b);
      for (const seq of seqsOf(b)) delivered.add(seq);
    } else if (r < 0.95 && inFlight.length > 0) {
      outbox.release(inFlight.splice(Math.floor(random() * inFlight.length), 1)[0]!);
    } else if (r >= 0.995) {
      outbox.close();
      outbox = Outbox.open(path, { rowReadings: 4 });
      inFlight = [];
    }
  }
  t.equal(problems, 0, 'no batch offered a message in flight or already delivered');
  for (const b of inFlight) outbox.release(b);
  for (let b = outbox.nextBatch(LIMITS); b; b = outbox.nextBatch(LIMITS)) {
    for (const seq of seqsOf(b)) delivered.add(seq);
    outbox.ack(b);
  }
  t.equal(delivered.size, committed.size, `every message left (${committed.size})`);
  t.same(outbox.stats().pending, { alarm: 0, event: 0, telemetry: 0 }, 'nothing left behind');
});

t.test('a file that is not a database is refused with a message that says where and what to do', async (t) => {
  const dir = t.testdir({ 'bad.db': 'this is not sqlite, just text that is long enough to be read as a header'.repeat(10) });
  t.throws(() => Outbox.open(join(dir, 'bad.db')), { code: 'OUTBOX_OPEN', message: /bad\.db.*buffer\.path/s });
});

t.test('a writer killed with SIGKILL loses no committed reading', async (t) => {
  const path = join(t.testdir(), 'killed.db');
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../helpers/outbox-writer.ts'), path, '50'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let committed = 0;
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) committed = Number(line.split(' ')[1]);
  });
  await waitFor('the writer to commit 20000 readings', () => committed >= 20_000, 30_000);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  const reopened = Outbox.open(path);
  t.teardown(() => reopened.close());
  const { pending, nextSeq } = reopened.stats();
  t.ok(pending.telemetry >= committed, `${pending.telemetry} readings on disk, ${committed} reported committed`);
  t.equal(pending.telemetry, nextSeq, 'no gap: every seq given is on disk');
  t.equal(pending.telemetry % 50, 0, 'whole transactions only');
});

t.test('a reading that is not good keeps its reason through the outbox; a good one has no reason key', async (t) => {
  const outbox = Outbox.open(join(t.testdir(), 'o.db'));
  t.teardown(() => outbox.close());
  outbox.appendReadings([
    { device: 'plc-1', metric: 'level', value: 2.5, unit: 'm', ts: 1, quality: 'uncertain', reason: 'UncertainLastUsableValue "quoted"' },
    { device: 'plc-1', metric: 'level', value: 2.6, unit: 'm', ts: 2, quality: 'good' },
  ]);
  const [batch] = drain(outbox);
  const parsed = parseReadings(batch!) as Array<Record<string, unknown>>;
  t.same(parsed[0], { seq: 0, device: 'plc-1', metric: 'level', value: 2.5, unit: 'm', ts: 1, quality: 'uncertain', reason: 'UncertainLastUsableValue "quoted"' });
  t.notOk('reason' in parsed[1]!);
});
