// The SQLite store's writeBatch alone (no broker, no JSON): CPU seconds per reading, a fifth of
// them booleans as a pole's fault flags are, against a baseline measured in the same run: raw
// inserts of the same rows (better-sqlite3, one transaction per batch, no dedupe). CPU time, not
// wall time, because a shared machine's disk waits swamp the difference between builds.
// COMPARE=<another checkout> also runs that checkout's store, in alternating rounds, and prints
// this/COMPARE (how the layout-2 value tables were measured against the build before them).
// STORE=postgres measures the PostgreSQL store instead (POLEGATE_TEST_POSTGRES, a fresh schema per
// round) against raw binary COPY of the same rows, one transaction per batch, no index: wall
// time, since the server's work is in its own processes (how COPY was measured against unnest).
// Run: [STORE=postgres] [COMPARE=/path/to/checkout] node --import tsx bench/store-writes.ts [readings per round]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Reading } from '../contract/schemas.js';
import { emptyBatch, type IngestBatch, type Store } from '../cloud-ingest/store/store.js';
import { SqliteStore } from '../cloud-ingest/store/sqlite-store.js';
import { PostgresStore } from '../cloud-ingest/store/postgres-store.js';
import { copyRows, type CopyType } from '../cloud-ingest/store/copy-binary.js';
import { POSTGRES_URL } from '../test/helpers/services.js';

const POSTGRES = process.env.STORE === 'postgres';
const PER_ROUND = Number(process.argv[2] ?? (POSTGRES ? 100_000 : 400_000));
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

type Target = { write(b: IngestBatch): Promise<unknown>; close(): Promise<void> };
/** Opens on a file (SQLite) or a URL whose search_path is a fresh schema (PostgreSQL). */
type Writer = { name: string; open(where: string): Target | Promise<Target> };

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

const RAW_TYPES: CopyType[] = ['text', 'int8', 'text', 'int8', 'float8', 'int2'];

const rawCopy: Writer = {
  name: 'raw COPY',
  async open(url) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('CREATE TABLE readings (series TEXT, ts BIGINT, stream TEXT, seq BIGINT, value DOUBLE PRECISION, quality SMALLINT)');
    const write = async (b: IngestBatch) => {
      const rows = b.telemetry.flatMap((p) => p.readings.map((r) => [`${r.device}.${r.metric}`, r.ts, p.stream, r.seq, Number(r.value), 0]));
      await copyRows(client, 'COPY readings FROM STDIN (FORMAT binary)', RAW_TYPES, rows);
    };
    return { write, close: () => client.end() };
  },
};

const store = (name: string, open: (where: string) => Store | Promise<Store>): Writer => ({
  name,
  async open(where) {
    const s = await open(where);
    return { write: (b) => s.writeBatch(b), close: () => s.close() };
  },
});

const writers = POSTGRES ? [rawCopy, store('this store', (url) => PostgresStore.open(url))] : [raw, store('this store', (file) => new SqliteStore(file))];
if (process.env.COMPARE && POSTGRES) {
  const other = (await import(join(process.env.COMPARE, 'cloud-ingest/store/postgres-store.ts'))) as { PostgresStore: typeof PostgresStore };
  writers.push(store('COMPARE store', (url) => other.PostgresStore.open(url)));
} else if (process.env.COMPARE) {
  const other = (await import(join(process.env.COMPARE, 'cloud-ingest/store/sqlite-store.ts'))) as { SqliteStore: new (file: string) => Store };
  writers.push(store('COMPARE store', (file) => new other.SqliteStore(file)));
}

/** A fresh place for one round: a temporary SQLite file, or a PostgreSQL schema. Returns where, and its removal. */
async function place(): Promise<[string, () => Promise<void>]> {
  if (!POSTGRES) {
    const dir = mkdtempSync(join(tmpdir(), 'polegate-store-bench-'));
    return [join(dir, 'city.db'), async () => rmSync(dir, { recursive: true })];
  }
  const schema = `polegate_bench_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  return [`${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`, async () => {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }];
}

const work = batches();
const perCpuSecond = new Map<string, number[]>(writers.map((w) => [w.name, []]));
/** PostgreSQL: this process's CPU per reading, µs (the client's share of the work). */
const clientMicros = new Map<string, number[]>(writers.map((w) => [w.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  // Alternate the order, so that neither side always runs on a warmer or a busier machine.
  for (const w of round % 2 ? [...writers].reverse() : writers) {
    const [where, remove] = await place();
    const target = await w.open(where);
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    for (const b of work) await target.write(b);
    const used = process.cpuUsage(cpu);
    const seconds = POSTGRES ? Number(process.hrtime.bigint() - start) / 1e9 : (used.user + used.system) / 1e6;
    await target.close();
    await remove();
    perCpuSecond.get(w.name)!.push(PER_ROUND / seconds);
    clientMicros.get(w.name)!.push((used.user + used.system) / PER_ROUND);
  }
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const base = median(perCpuSecond.get(writers[0]!.name)!);
for (const [name, rates] of perCpuSecond) {
  console.log(`${name.padEnd(14)} ${Math.round(median(rates)).toLocaleString('en')} readings per ${POSTGRES ? 'second' : 'CPU second'} (median of ${ROUNDS}), ${(median(rates) / base).toFixed(2)} of ${POSTGRES ? 'raw COPY' : 'raw inserts'}${POSTGRES ? `; ${median(clientMicros.get(name)!).toFixed(2)} µs client CPU per reading` : ''}`);
}
if (process.env.COMPARE) {
  const pairs = perCpuSecond.get('this store')!.map((r, i) => r / perCpuSecond.get('COMPARE store')![i]!);
  console.log(`this/COMPARE   ${(median(perCpuSecond.get('this store')!) / median(perCpuSecond.get('COMPARE store')!)).toFixed(3)} (per round: ${pairs.map((p) => p.toFixed(2)).join(' ')})`);
}
console.log(`RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
