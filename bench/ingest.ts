// End-to-end ingest: telemetry batches from mqtt.js clients through aedes (auth, ACL, contract
// validation) into the store with exactly-once dedupe, against a baseline measured in the same run:
// raw inserts of the same rows (better-sqlite3, 1000-row transactions, no unique index). The pole
// clients run in a child process (this file, `--senders`), so the figure is the cloud's, not the
// client's JSON.stringify and mqtt.js. A second pass re-sends 10 % of the batches to show they are
// dropped. With PostgreSQL reachable (POLEGATE_TEST_POSTGRES, else 127.0.0.1:5432) it also measures the PostgreSQL store
// against raw binary COPY of the same rows, target ≥ 200,000 readings/s and ≥ 0.5 of raw COPY. STORE=postgres skips
// SQLite, so that the RSS printed is the PostgreSQL run's own.
// Run: [STORE=postgres] node --import tsx bench/ingest.ts [totalReadings]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { pino } from 'pino';
import type { CloudConfig } from '../config/cloud-schema.js';
import { startCloud } from '../cloud-ingest/cloud.js';
import type { IngestedEvent } from '../cloud-ingest/ingest.js';
import { addPole } from '../cloud-ingest/registry.js';
import { copyRows, type CopyType } from '../cloud-ingest/store/copy-binary.js';
import type { Reading, TelemetryPayload } from '../contract/schemas.js';
import { missingService, POSTGRES_URL } from '../test/helpers/services.js';

const TOTAL = Number(process.argv[2] ?? 1_500_000);
const POSTGRES_TOTAL = Math.min(TOTAL, 300_000);
const POLES = 6;
const STREAMS_PER_POLE = 2;
const BATCH = 500;
const WINDOW = 16; // publishes in flight per client, as the edge uplink bounds its window
const RESEND_EVERY = 10; // the second pass re-sends every 10th batch
const DEVICES = ['gas-1', 'pressure-1', 'level-1', 'cam-1'];
const METRICS = ['lel', 'temp', 'pressure', 'level', 'fault'];
const ROOT = 'city/v1';

interface SenderJob {
  url: string;
  poles: { id: string; secret: string }[];
  batchesPerStream: number;
}

interface SenderTimes {
  sendSeconds: number;
  resendSeconds: number;
  /** CPU time (user + system) of the cloud process during the first pass, in seconds. */
  cloudCpuSeconds: number;
}

/** What the child prints, one JSON line per pass. */
interface PassLine {
  pass: 'send' | 'resend';
  seconds: number;
}

function readingsOf(stream: number, batch: number): Reading[] {
  const out: Reading[] = [];
  for (let i = 0; i < BATCH; i++) {
    const seq = batch * BATCH + i;
    out.push({ seq, device: DEVICES[seq % DEVICES.length]!, metric: METRICS[(seq >> 2) % METRICS.length]!, value: (seq % 1000) / 10 + stream, unit: 'kPa', ts: 1_700_000_000_000 + seq, quality: 'good' });
  }
  return out;
}

function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

function rate(n: number): string {
  return Math.round(n).toLocaleString('en');
}

/** The child: publishes every batch (QoS 1, a bounded window), then re-sends every 10th one. */
async function senders(job: SenderJob): Promise<void> {
  const clients = await Promise.all(job.poles.map(({ id, secret }) => new Promise<MqttClient>((resolve, reject) => {
    const c = mqtt.connect(job.url, { clientId: id, username: id, password: secret, reconnectPeriod: 0 });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  })));
  // Every payload is serialized before the clock starts: the child then only frames and writes.
  const payloads = job.poles.map(({ id }) => Array.from({ length: job.batchesPerStream * STREAMS_PER_POLE }, (_, n) => {
    const stream = n % STREAMS_PER_POLE;
    const payload: TelemetryPayload = { v: 1, pole: id, stream: `stream-${stream}`, readings: readingsOf(stream, Math.floor(n / STREAMS_PER_POLE)) };
    return Buffer.from(JSON.stringify(payload));
  }));
  const pass = (batchNumbers: number[]) => Promise.all(clients.map((client, p) => new Promise<void>((resolve, reject) => {
    const topic = `${ROOT}/${job.poles[p]!.id}/telemetry`;
    let next = 0;
    let acked = 0;
    const send = () => {
      client.publish(topic, payloads[p]![batchNumbers[next++]!]!, { qos: 1 }, (err) => {
        if (err) return reject(err);
        if (++acked === batchNumbers.length) return resolve();
        if (next < batchNumbers.length) send();
      });
    };
    for (let i = 0; i < Math.min(WINDOW, batchNumbers.length); i++) send();
  })));
  const all = Array.from({ length: job.batchesPerStream * STREAMS_PER_POLE }, (_, n) => n);
  const timed = async (name: PassLine['pass'], batchNumbers: number[]) => {
    const start = process.hrtime.bigint();
    await pass(batchNumbers);
    process.stdout.write(`${JSON.stringify({ pass: name, seconds: seconds(start) } satisfies PassLine)}\n`);
  };
  await timed('send', all);
  await timed('resend', all.filter((n) => n % RESEND_EVERY === 0));
  for (const c of clients) c.end(true);
}

function runSenders(job: SenderJob): Promise<SenderTimes> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--senders'], { stdio: ['pipe', 'pipe', 'inherit'] });
  // Secrets go over stdin, not argv, where `ps` would show them.
  child.stdin.end(JSON.stringify(job));
  const cpu = process.cpuUsage();
  return new Promise((resolve, reject) => {
    const times: Partial<SenderTimes> = {};
    createInterface({ input: child.stdout }).on('line', (line) => {
      const { pass, seconds } = JSON.parse(line) as PassLine;
      if (pass === 'send') {
        const used = process.cpuUsage(cpu);
        times.cloudCpuSeconds = (used.user + used.system) / 1e6;
        times.sendSeconds = seconds;
      } else times.resendSeconds = seconds;
    });
    child.once('exit', (code) => (code === 0 && times.resendSeconds !== undefined ? resolve(times as SenderTimes) : reject(new Error(`the sender process exited with ${code}`))));
  });
}

interface EndToEnd {
  rate: number;
  stored: number;
  unique: number;
  sendSeconds: number;
  resent: number;
  dropped: number;
  resendRate: number;
  /** Cloud CPU per stored reading, µs: less noisy than the rate on a shared machine. */
  cpuMicros: number;
  rss: number;
}

async function endToEnd(dir: string, store: CloudConfig['store'], total: number): Promise<EndToEnd> {
  const registry = join(dir, 'poles.yaml');
  const poles: SenderJob['poles'] = [];
  for (let i = 0; i < POLES; i++) poles.push({ id: `bench-pole-${i}`, secret: await addPole(registry, `bench-pole-${i}`) });
  const cloud = await startCloud({
    dir,
    log: pino({ level: 'error' }),
    config: { mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 }, store, poles: 'poles.yaml', users: [] },
  });
  try {
    let dropped = 0;
    cloud.events.on('ingested', (e: IngestedEvent) => (dropped += e.duplicates));
    const batchesPerStream = Math.ceil(total / BATCH / POLES / STREAMS_PER_POLE);
    const batches = batchesPerStream * STREAMS_PER_POLE;
    const times = await runSenders({ url: `mqtt://127.0.0.1:${cloud.ports.mqtt}`, poles, batchesPerStream });
    const unique = POLES * batches * BATCH;
    const resent = POLES * Math.ceil(batches / RESEND_EVERY) * BATCH;
    const stored = (await cloud.store.counts()).readings;
    return { rate: unique / times.sendSeconds, stored, unique, sendSeconds: times.sendSeconds, resent, dropped, resendRate: resent / times.resendSeconds, cpuMicros: (times.cloudCpuSeconds * 1e6) / unique, rss: process.memoryUsage().rss };
  } finally {
    await cloud.close();
  }
}

/** The same rows as the readings of the first pass, one plain row each (names as text). */
function* rawRows(rows: number): Generator<Reading[]> {
  for (let b = 0; b * 1000 < rows; b++) yield [...readingsOf(0, 2 * b), ...readingsOf(0, 2 * b + 1)];
}

function sqliteBaseline(dir: string, rows: number): number {
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE readings (pole TEXT, stream TEXT, seq INTEGER, device TEXT, metric TEXT, value REAL, unit TEXT, ts INTEGER, quality TEXT)');
  const insert = db.prepare('INSERT INTO readings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const insertMany = db.transaction((batch: Reading[]) => {
    for (const r of batch) insert.run('bench-pole-0', 'stream-0', r.seq, r.device, r.metric, r.value, r.unit, r.ts, r.quality);
  });
  const batches = [...rawRows(rows)];
  const start = process.hrtime.bigint();
  for (const batch of batches) insertMany(batch);
  const rate = (batches.length * 1000) / seconds(start);
  db.close();
  return rate;
}

const RAW_TYPES: CopyType[] = ['text', 'text', 'int8', 'text', 'text', 'float8', 'text', 'int8', 'text'];

/** Binary COPY of 1000 rows per transaction (committed as the store commits), no index, into a plain table. */
async function postgresBaseline(url: string, rows: number): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('CREATE TABLE raw_readings (pole TEXT, stream TEXT, seq BIGINT, device TEXT, metric TEXT, value DOUBLE PRECISION, unit TEXT, ts BIGINT, quality TEXT)');
    const batches = [...rawRows(rows)];
    const start = process.hrtime.bigint();
    for (const batch of batches) {
      await copyRows(client, 'COPY raw_readings FROM STDIN (FORMAT binary)', RAW_TYPES, batch.map((r) => ['bench-pole-0', 'stream-0', r.seq, r.device, r.metric, r.value as number, r.unit, r.ts, r.quality]));
    }
    return (batches.length * 1000) / seconds(start);
  } finally {
    await client.end();
  }
}

function report(label: string, e2e: EndToEnd, baselineLabel: string, baseline: number, target?: number, targetRatio?: number): void {
  console.log(`ingest end to end (MQTT → aedes → validate → ${label}, exactly-once): ${rate(e2e.rate)} readings/s (${e2e.unique.toLocaleString('en')} readings in ${e2e.sendSeconds.toFixed(2)} s, ${POLES} poles × ${STREAMS_PER_POLE} streams, ${BATCH} per batch; senders in a child process)`);
  console.log(`baseline ${baselineLabel}: ${rate(baseline)} rows/s`);
  const ratio = e2e.rate / baseline;
  console.log(`ratio end-to-end / raw: ${ratio.toFixed(2)}${target ? ` (target ≥ ${rate(target)} readings/s: ${e2e.rate >= target ? 'met' : 'NOT met'})` : ''}${targetRatio ? ` (target ratio ≥ ${targetRatio}: ${ratio >= targetRatio ? 'met' : 'NOT met'})` : ''}`);
  const exact = e2e.stored === e2e.unique && e2e.dropped === e2e.resent;
  console.log(`re-sent 10 % of the batches: ${e2e.resent.toLocaleString('en')} readings, ${e2e.dropped.toLocaleString('en')} dropped as duplicates (${rate(e2e.resendRate)}/s); stored ${e2e.stored.toLocaleString('en')} = unique ${e2e.unique.toLocaleString('en')}: ${exact ? 'yes' : 'NO'}`);
  console.log(`cloud process: ${e2e.cpuMicros.toFixed(2)} µs CPU per reading`);
  if (!exact) process.exitCode = 1;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'polegate-bench-'));
  try {
    if (process.env.STORE !== 'postgres') {
      const sqlite = await endToEnd(dir, { kind: 'sqlite', path: 'city.db' }, TOTAL);
      report('SQLite', sqlite, 'raw better-sqlite3 inserts of the same rows (1000-row transactions, no unique index)', sqliteBaseline(dir, sqlite.unique), 300_000);
      // Only here: the PostgreSQL run comes second in this process, so its RSS would be mostly this one's.
      console.log(`RSS of the cloud process after the SQLite ingest: ${mb(sqlite.rss)}`);
    }

    const unreachable = await missingService('postgres');
    if (unreachable) return console.log(`PostgreSQL ${unreachable}`);
    const schema = `polegate_bench_${process.pid}`;
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    try {
      const url = `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      const pgDir = join(dir, 'pg');
      mkdirSync(pgDir);
      const postgres = await endToEnd(pgDir, { kind: 'postgres', url }, POSTGRES_TOTAL);
      report('PostgreSQL', postgres, 'raw PostgreSQL binary COPY of the same rows (1000 rows per COPY and transaction, no index)', await postgresBaseline(url, postgres.unique), 200_000, 0.5);
      if (process.env.STORE === 'postgres') console.log(`RSS of the cloud process after the PostgreSQL ingest: ${mb(postgres.rss)}`);
    } finally {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--senders') {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  await senders(JSON.parse(input) as SenderJob);
} else {
  await main();
}
