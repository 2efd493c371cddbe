// The SQLite store's writeBatch alone (no broker, no JSON): CPU seconds per reading, a fifth of
// them booleans as a pole's fault flags are, against a baseline measured in the same run: raw
// inserts of the same rows (better-sqlite3, one transaction per batch, no dedupe). CPU time, not
// wall time, because a shared machine's disk waits swamp the difference between builds.
// COMPARE=<another checkout> also runs that checkout's store, in alternating rounds, and prints
// this/COMPARE (how the layout-2 value tables were measured against the build before them).
// Run: [COMPARE=/path/to/checkout] node --import tsx bench/store-writes.ts [readings per round]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Reading } from '../contract/schemas.js';
import { emptyBatch, type IngestBatch, type Store } from '../cloud-ingest/store/store.js';
import { SqliteStore } from '../cloud-ingest/store/sqlite-store.js';

const PER_ROUND = Number(process.argv[2] ?? 400_000);
const ROUNDS = 6;
const BATCH = 500;
const METRICS = ['lel', 'temp', 'pressure', 'level', 'fault'];
const DEVICES = ['gas-1', 'pressure-1', 'level-1', 'cam-1'];

function batches(): IngestBatch[] {
  const out: IngestBatch[] = [];
  for (let b = 0, seq = 0; b < PER_ROUND / BATCH; b++) {
    const readings: Reading[] = [];
    for (let i = 0; i < BATCH; i++, seq++) {
      const metric = METRICS[seq % METRICS.length]!;
      readings.push({ seq, device: DEVICES[seq % DEVICES.length]!, metric, value: metric === 'fault' ? seq % 2 === 0 : seq * 0.1, unit: 'x', ts: 1_700_000_000_000 + seq, quality: 'good' });
    }
    out.push({ ...emptyBatch(1), telemetry: [{ v: 1, pole: `pole-${b % 6}`, stream: `s${b % 2}`, readings }] });
  }
  return out;
}

type Writer = { name: string; open(file: string): { write(b: IngestBatch): Promise<unknown>; close(): Promise<void> } };

const raw: Writer = {
  name: 'raw inserts',
  open(file) {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE readings (series TEXT, ts INTEGER, stream TEXT, seq INTEGER, value ANY, quality INTEGER)');
    const insert = db.prepare('INSERT INTO readings VALUES (?, ?, ?, ?, ?, ?)');
    const write = db.transaction((b: IngestBatch) => {
      for (const p of b.telemetry) for (const r of p.readings) insert.run(`${r.device}.${r.metric}`, r.ts, p.stream, r.seq, typeof r.value === 'boolean' ? Number(r.value) : r.value, 0);
    });
    return { write: async (b) => write(b), close: async () => void db.close() };
  },
};

const store = (name: string, Store: new (file: string) => Store): Writer => ({
  name,
  open(file) {
    const s = new Store(file);
    return { write: (b) => s.writeBatch(b), close: () => s.close() };
  },
});

const writers = [raw, store('this store', SqliteStore)];
if (process.env.COMPARE) {
  const other = (await import(join(process.env.COMPARE, 'cloud-ingest/store/sqlite-store.ts'))) as { SqliteStore: new (file: string) => Store };
  writers.push(store('COMPARE store', other.SqliteStore));
}

const work = batches();
const perCpuSecond = new Map<string, number[]>(writers.map((w) => [w.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  // Alternate the order, so that neither side always runs on a warmer or a busier machine.
  for (const w of round % 2 ? [...writers].reverse() : writers) {
    const dir = mkdtempSync(join(tmpdir(), 'polegate-store-bench-'));
    const target = w.open(join(dir, 'city.db'));
    const cpu = process.cpuUsage();
    for (const b of work) await target.write(b);
    const used = process.cpuUsage(cpu);
    await target.close();
    rmSync(dir, { recursive: true });
    perCpuSecond.get(w.name)!.push(PER_ROUND / ((used.user + used.system) / 1e6));
  }
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const base = median(perCpuSecond.get(raw.name)!);
for (const [name, rates] of perCpuSecond) {
  console.log(`${name.padEnd(14)} ${Math.round(median(rates)).toLocaleString('en')} readings per CPU second (median of ${ROUNDS}), ${(median(rates) / base).toFixed(2)} of raw inserts`);
}
if (process.env.COMPARE) {
  const pairs = perCpuSecond.get('this store')!.map((r, i) => r / perCpuSecond.get('COMPARE store')![i]!);
  console.log(`this/COMPARE   ${(median(perCpuSecond.get('this store')!) / median(perCpuSecond.get('COMPARE store')!)).toFixed(3)} (per round: ${pairs.map((p) => p.toFixed(2)).join(' ')})`);
}
console.log(`RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
