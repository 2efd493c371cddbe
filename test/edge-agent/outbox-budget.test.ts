// buffer.maxBytes: the database and its WAL stay within the budget on disk (measured on the files),
// the oldest telemetry goes first, events next and alarms never, and every eviction is a gap event.
import t from 'tap';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Outbox, type OutboxBatch } from '../../edge-agent/outbox.js';
import type { NormalizedReading } from '../../edge-agent/reading.js';
import type { GapEvent } from '../../contract/schemas.js';

const MiB = 2 ** 20;
const LIMITS = { maxReadings: 100_000, maxBytes: 64 * MiB };

function poll(n: number, perDevice = 10): NormalizedReading[] {
  return ['pressure-1', 'level-1'].flatMap((device) =>
    Array.from({ length: perDevice }, (_, i) => ({ device, metric: `m${i}`, value: n + i / 7, unit: 'kPa', ts: 1_700_000_000_000 + n * 1000, quality: 'good' as const })));
}

const alarm = (n: number) => ({ id: `a${n}`, rule: 'flood', device: 'level-1', metric: 'level', state: 'raised' as const, severity: 'major' as const, value: n, threshold: 1.5, ts: n });

/** Bytes of the database and its WAL as the file system sees them. */
function onDisk(path: string): number {
  const size = (p: string) => { try { return statSync(p).size; } catch { return 0; } };
  return size(path) + size(`${path}-wal`);
}

function everything(outbox: Outbox): OutboxBatch[] {
  const batches: OutboxBatch[] = [];
  for (let b = outbox.nextBatch(LIMITS); b; b = outbox.nextBatch(LIMITS)) batches.push(b);
  return batches;
}

t.test('a full buffer evicts the oldest telemetry, stays within maxBytes on disk, and reports gaps', async (t) => {
  const path = join(t.testdir(), 'o.db');
  const maxBytes = 2 * MiB;
  const outbox = Outbox.open(path, { maxBytes, now: () => 42 });
  t.teardown(() => outbox.close());
  let largest = 0;
  let produced = 0;
  const alarmSeqs: number[] = [];
  for (let n = 0; n < 2500; n++) {
    outbox.appendReadings(poll(n));
    produced += 20;
    if (n % 250 === 0) alarmSeqs.push(outbox.appendAlarm(alarm(n)));
    largest = Math.max(largest, onDisk(path));
  }
  const { evicted, pending } = outbox.stats();
  t.ok(evicted.readings > 0, `${evicted.readings} of ${produced} readings evicted`);
  t.ok(largest <= maxBytes, `database + WAL at most ${largest} bytes on disk, budget ${maxBytes}`);
  t.equal(pending.alarm, alarmSeqs.length, 'no alarm evicted');
  t.equal(pending.telemetry + evicted.readings, produced, 'every reading is either kept or counted as evicted');

  const batches = everything(outbox);
  const kept = batches.filter((b) => b.kind === 'telemetry').flatMap((b) => JSON.parse(`[${b.body}]`) as Array<{ seq: number; ts: number }>);
  const gaps = batches.filter((b) => b.kind === 'event').map((b) => JSON.parse(b.body) as GapEvent);
  t.same(batches.filter((b) => b.kind === 'alarm').map((b) => b.seqFirst), alarmSeqs, 'alarms still first, all of them');
  t.ok(gaps.length > 0 && gaps.every((g) => g.type === 'gap' && g.reason === 'buffer-full' && g.kind === 'telemetry' && g.ts === 42), 'gap events say what and why');
  t.same(new Set(gaps.map((g) => g.device)), new Set(['pressure-1', 'level-1']), 'one gap per device and round');
  t.equal(gaps.reduce((n, g) => n + g.count, 0), evicted.readings, 'gap counts add up to what was evicted');
  t.ok(gaps.every((g) => g.metrics === 10), 'each gap counts the distinct metrics');
  const oldestKept = Math.min(...kept.map((r) => r.ts));
  t.ok(gaps.every((g) => g.from <= g.to && g.to < oldestKept), 'what was evicted is older than anything kept');
  t.equal(Math.min(...gaps.map((g) => g.from)), 1_700_000_000_000, 'from the very first reading');
  const seqs = kept.map((r) => r.seq).sort((a, b) => a - b);
  t.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!), 'no reading twice');
});

t.test('events are evicted only for events and alarms, alarms never; telemetry is refused first', async (t) => {
  const path = join(t.testdir(), 'o.db');
  const outbox = Outbox.open(path, { maxBytes: 1 * MiB });
  t.teardown(() => outbox.close());
  outbox.appendReadings(poll(0));
  const big = 'x'.repeat(2000);
  let events = 0;
  for (; outbox.stats().evicted.readings === 0; events++) outbox.appendEvent({ type: 'motion', device: 'cam-1', ts: events, note: big } as never);
  t.equal(outbox.stats().pending.telemetry, 0, 'telemetry went first');
  let alarms = 0;
  for (; outbox.stats().evicted.events === 0; alarms++) outbox.appendAlarm({ ...alarm(alarms), rule: big });
  t.ok(outbox.stats().evicted.events > 0, `an alarm evicted events (${outbox.stats().evicted.events})`);
  t.throws(() => {
    for (let i = 0; i < 100_000; i++) outbox.appendReadings(poll(i, 50));
  }, { code: 'OUTBOX_FULL' }, 'telemetry that would need an alarm evicted is refused');
  t.equal(outbox.stats().pending.alarm, alarms, 'every alarm kept');
  const gaps = everything(outbox).filter((b) => b.kind === 'event').map((b) => JSON.parse(b.body)).filter((e) => e.type === 'gap');
  t.ok(gaps.some((g) => g.kind === 'event' && g.device === 'cam-1'), 'evicted events are reported as a gap too');
  t.ok(onDisk(path) <= MiB, `${onDisk(path)} bytes on disk`);
});

t.test('a budget lowered below the file: at open, eviction in the usual order, then the files shrink', async (t) => {
  const path = join(t.testdir(), 'o.db');
  const big = Outbox.open(path, { maxBytes: 8 * MiB, now: () => 7 });
  const alarmSeqs: number[] = [];
  for (let n = 0; n < 1200; n++) {
    big.appendReadings(poll(n));
    if (n % 300 === 0) alarmSeqs.push(big.appendAlarm(alarm(n)));
  }
  const before = big.stats();
  t.equal(before.evicted.readings, 0, 'nothing evicted within the first budget');
  big.close();
  const maxBytes = 2 * MiB;
  t.ok(onDisk(path) > 2 * maxBytes, `${onDisk(path)} bytes on disk before, the new budget is ${maxBytes}`);

  const small = Outbox.open(path, { maxBytes, now: () => 8 });
  t.teardown(() => small.close());
  t.ok(onDisk(path) <= maxBytes, `database + WAL ${onDisk(path)} bytes right after open`);
  const { stream, evicted, pending } = small.stats();
  t.equal(stream, before.stream, 'the same stream');
  t.ok(evicted.readings > 0, `${evicted.readings} readings evicted`);
  t.equal(pending.telemetry + evicted.readings, before.pending.telemetry, 'every reading is either kept or counted as evicted');
  const batches = everything(small);
  t.same(batches.filter((b) => b.kind === 'alarm').map((b) => b.seqFirst), alarmSeqs, 'every alarm kept');
  const gaps = batches.filter((b) => b.kind === 'event').map((b) => JSON.parse(b.body) as GapEvent);
  t.equal(gaps.reduce((n, g) => n + g.count, 0), evicted.readings, 'gap events count what was evicted');
  const oldestKept = Math.min(...batches.filter((b) => b.kind === 'telemetry').flatMap((b) => (JSON.parse(`[${b.body}]`) as Array<{ ts: number }>).map((r) => r.ts)));
  t.ok(gaps.every((g) => g.reason === 'buffer-full' && g.ts === 8 && g.to < oldestKept), 'the oldest readings went, reported as buffer-full gaps');
  t.equal(Math.min(...gaps.map((g) => g.from)), 1_700_000_000_000, 'from the very first reading');
  t.same(batches.filter((b) => b.kind === 'event').map((b) => b.seqFirst), gaps.map((_, i) => before.nextSeq + i), 'gap events take the next seqs');
  for (let n = 0; n < 500; n++) small.appendReadings(poll(n));
  t.ok(onDisk(path) <= maxBytes, `still within the budget after more appends (${onDisk(path)} bytes)`);
});

t.test('an undersized budget is refused with a clear message', async (t) => {
  t.throws(() => Outbox.open(join(t.testdir(), 'o.db'), { maxBytes: 4096 }), { code: 'BUFFER_TOO_SMALL', message: /at least 1MiB/ });
});
