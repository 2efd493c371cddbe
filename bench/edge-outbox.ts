// Outbox append throughput: readings committed per second, in polls of 100 readings (one transaction
// each), against a baseline of the obvious design (one JSON row per reading) in the same run.
// Target: ≥ 300,000 readings/s. Run: node --import tsx bench/edge-outbox.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Outbox } from '../edge-agent/outbox.js';
import type { NormalizedReading } from '../edge-agent/reading.js';

const PER_POLL = 100;
const SECONDS = 3;

function poll(n: number): NormalizedReading[] {
  return Array.from({ length: PER_POLL }, (_, i) => ({ device: `dev-${i % 19}`, metric: 'pressure', value: 101.325 + n * 0.001 + i, unit: 'kPa', ts: 1_700_000_000_000 + n, quality: 'good' }));
}

function measure(append: (readings: NormalizedReading[]) => void): number {
  const polls = Array.from({ length: 50 }, (_, i) => poll(i));
  let readings = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(SECONDS * 1e9);
  for (let i = 0; process.hrtime.bigint() < end; i++) {
    append(polls[i % polls.length]!);
    readings += PER_POLL;
  }
  return readings / (Number(process.hrtime.bigint() - start) / 1e9);
}

const dir = mkdtempSync(join(tmpdir(), 'polegate-bench-'));
try {
  const outbox = Outbox.open(join(dir, 'outbox.db'));
  const ours = measure((r) => outbox.appendReadings(r));
  outbox.close();

  const db = new Database(join(dir, 'baseline.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE messages (seq INTEGER PRIMARY KEY, kind INTEGER NOT NULL, body TEXT NOT NULL)');
  const insert = db.prepare<[number, string]>('INSERT INTO messages (seq, kind, body) VALUES (?, 2, ?)');
  let seq = 0;
  const append = db.transaction((readings: NormalizedReading[]) => {
    for (const r of readings) insert.run(seq, JSON.stringify({ seq: seq++, ...r }));
  });
  const baseline = measure(append);
  db.close();

  const fmt = (n: number) => Math.round(n).toLocaleString('en');
  console.log(`outbox append:        ${fmt(ours)} readings/s (target ≥ 300,000: ${ours >= 300_000 ? 'met' : 'NOT met'})`);
  console.log(`baseline (row/reading): ${fmt(baseline)} readings/s`);
  console.log(`ratio:                ${(ours / baseline).toFixed(2)}×`);
  console.log(`RSS:                  ${(process.memoryUsage().rss / 2 ** 20).toFixed(1)} MiB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
