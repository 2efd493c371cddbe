// Edge pipeline on one core: driver samples → normalizer → outbox commit → uplink publish → PUBACK
// from a private Mosquitto on loopback → delete. Readings/s counted when acknowledged, printed beside
// raw better-sqlite3 inserts of the same rows (one row per reading, one transaction per poll of 100)
// measured in the same run. Target: ≥ 300,000 readings/s.
// Run: node --import tsx bench/edge-pipeline.ts (BENCH_SECONDS=… to change the 5 s of production)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { unitTable } from '../config/units.js';
import type { Sample } from '../drivers/sdk/types.js';
import { normalizeSamples } from '../edge-agent/normalizer.js';
import { Outbox } from '../edge-agent/outbox.js';
import type { NormalizedReading } from '../edge-agent/reading.js';
import { Uplink, type SentInfo } from '../edge-agent/uplink.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const PER_POLL = 100;
const fmt = (n: number) => Math.round(n).toLocaleString('en');
const units = unitTable(['kPa']);

function samples(n: number): Sample[] {
  return Array.from({ length: PER_POLL }, (_, i) => ({ metric: `m${i % 7}`, value: 101.325 + n * 0.001 + i, unit: 'kPa', ts: 1_700_000_000_000 + n, quality: 'good' }));
}

const dir = mkdtempSync(join(tmpdir(), 'polegate-bench-'));
const broker = await startMosquitto(dir);
try {
  const polls = Array.from({ length: 50 }, (_, i) => samples(i));
  const outbox = Outbox.open(join(dir, 'outbox.db'), { maxBytes: 2 ** 30 });
  const uplink = new Uplink(outbox, {
    pole: 'bench-pole-1', urls: [broker.url], topicRoot: 'bench/v1', bootId: 'bench', birth: () => '{}',
    clock: { now: () => Date.now() }, log: pino({ level: 'warn' }),
  });
  let acked = 0;
  uplink.on('sent', (s: SentInfo) => (acked += s.count));
  await new Promise((resolve) => {
    uplink.once('connected', resolve);
    uplink.start();
  });

  const start = process.hrtime.bigint();
  const end = start + BigInt(SECONDS * 1e9);
  let produced = 0;
  let n = 0;
  // The agent's path per poll: normalize, commit, kick (telemetry lingers; PUBACKs keep the pump going).
  await new Promise<void>((resolve) => {
    const produce = () => {
      for (let i = 0; i < 10; i++, n++) {
        outbox.appendReadings(normalizeSamples(`dev-${n % 19}`, polls[n % polls.length]!, units));
        produced += PER_POLL;
      }
      uplink.kick(false);
      if (process.hrtime.bigint() < end) setImmediate(produce);
      else resolve();
    };
    produce();
  });
  await new Promise<void>((resolve) => {
    const check = (): void => void (acked >= produced ? resolve() : uplink.once('sent', check));
    uplink.kick(true);
    check();
  });
  const pipeline = produced / (Number(process.hrtime.bigint() - start) / 1e9);
  await uplink.close(1000);
  outbox.close();

  // The same rows, straight into SQLite: one row per reading, one transaction per poll.
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE readings (seq INTEGER PRIMARY KEY, device TEXT, metric TEXT, value REAL, unit TEXT, ts INTEGER, quality TEXT)');
  const insert = db.prepare<[number, string, string, number, string, number, string]>('INSERT INTO readings VALUES (?, ?, ?, ?, ?, ?, ?)');
  let seq = 0;
  const rows = polls.map((p, i) => normalizeSamples(`dev-${i % 19}`, p, units));
  const append = db.transaction((readings: NormalizedReading[]) => {
    for (const r of readings) insert.run(seq++, r.device, r.metric, r.value as number, r.unit, r.ts, r.quality);
  });
  const rawStart = process.hrtime.bigint();
  const rawEnd = rawStart + BigInt(SECONDS * 1e9);
  for (let i = 0; process.hrtime.bigint() < rawEnd; i++) append(rows[i % rows.length]!);
  const raw = seq / (Number(process.hrtime.bigint() - rawStart) / 1e9);
  db.close();

  console.log(`edge pipeline (samples → outbox → PUBACK → delete): ${fmt(pipeline)} readings/s, ${fmt(produced)} readings (target ≥ 300,000: ${pipeline >= 300_000 ? 'met' : 'NOT met'})`);
  console.log(`raw better-sqlite3 inserts of the same rows:        ${fmt(raw)} rows/s → pipeline/raw ${(pipeline / raw).toFixed(2)}×`);
} finally {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}
