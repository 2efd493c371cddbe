// End-to-end ingest: telemetry batches from mqtt.js clients through aedes (auth, ACL, contract
// validation) into the SQLite store with exactly-once dedupe, against a baseline measured in the
// same run: raw better-sqlite3 inserts of the same rows, 1000-row transactions, no unique index.
// Run: node --import tsx bench/ingest.ts [totalReadings]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { startCloud } from '../cloud-ingest/cloud.js';
import { addPole } from '../cloud-ingest/registry.js';
import type { Reading, TelemetryPayload } from '../contract/schemas.js';

const TOTAL = Number(process.argv[2] ?? 1_500_000);
const POLES = 6;
const STREAMS_PER_POLE = 2;
const BATCH = 500;
const WINDOW = 16; // publishes in flight per client, as the edge uplink bounds its window
const DEVICES = ['gas-1', 'pressure-1', 'level-1', 'cam-1'];
const METRICS = ['lel', 'temp', 'pressure', 'level', 'fault'];
const ROOT = 'city/v1';

function readingsOf(stream: number, batch: number): Reading[] {
  const out: Reading[] = [];
  for (let i = 0; i < BATCH; i++) {
    const seq = batch * BATCH + i;
    out.push({ seq, device: DEVICES[seq % DEVICES.length]!, metric: METRICS[(seq >> 2) % METRICS.length]!, value: (seq % 1000) / 10 + stream, unit: 'kPa', ts: 1_700_000_000_000 + seq, quality: 'good' });
  }
  return out;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

async function endToEnd(dir: string): Promise<{ rate: number; stored: number; seconds: number }> {
  const registry = join(dir, 'poles.yaml');
  const poles = Array.from({ length: POLES }, (_, i) => `bench-pole-${i}`);
  const secrets = new Map<string, string>();
  for (const id of poles) secrets.set(id, await addPole(registry, id));
  const cloud = await startCloud({
    dir,
    log: pino({ level: 'error' }),
    config: { mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 }, store: { kind: 'sqlite', path: 'city.db' }, poles: 'poles.yaml', users: [] },
  });
  const clients: MqttClient[] = await Promise.all(poles.map((id) => new Promise<MqttClient>((resolve, reject) => {
    const c = mqtt.connect(`mqtt://127.0.0.1:${cloud.ports.mqtt}`, { clientId: id, username: id, password: secrets.get(id), reconnectPeriod: 0 });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  })));
  const batchesPerStream = Math.ceil(TOTAL / BATCH / POLES / STREAMS_PER_POLE);
  const start = process.hrtime.bigint();
  await Promise.all(clients.map((client, p) => new Promise<void>((resolve, reject) => {
    const pole = poles[p]!;
    let next = 0;
    let acked = 0;
    const total = batchesPerStream * STREAMS_PER_POLE;
    const send = () => {
      const n = next++;
      const stream = n % STREAMS_PER_POLE;
      const payload: TelemetryPayload = { v: 1, pole, stream: `stream-${stream}`, readings: readingsOf(stream, Math.floor(n / STREAMS_PER_POLE)) };
      client.publish(`${ROOT}/${pole}/telemetry`, JSON.stringify(payload), { qos: 1 }, (err) => {
        if (err) return reject(err);
        if (++acked === total) return resolve();
        if (next < total) send();
      });
    };
    for (let i = 0; i < Math.min(WINDOW, total); i++) send();
  })));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const stored = (await cloud.store.counts()).readings;
  for (const c of clients) c.end(true);
  await cloud.close();
  return { rate: stored / seconds, stored, seconds };
}

function rawBaseline(dir: string, rows: number): { rate: number; seconds: number } {
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE readings (pole TEXT, stream TEXT, seq INTEGER, device TEXT, metric TEXT, value REAL, unit TEXT, ts INTEGER, quality TEXT)');
  const insert = db.prepare('INSERT INTO readings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const insertMany = db.transaction((batch: Reading[], pole: string, stream: string) => {
    for (const r of batch) insert.run(pole, stream, r.seq, r.device, r.metric, r.value, r.unit, r.ts, r.quality);
  });
  const batches: Reading[][] = [];
  for (let b = 0; b * 1000 < rows; b++) batches.push([...readingsOf(0, 2 * b), ...readingsOf(0, 2 * b + 1)]);
  const start = process.hrtime.bigint();
  for (const batch of batches) insertMany(batch, 'bench-pole-0', 'stream-0');
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  db.close();
  return { rate: (batches.length * 1000) / seconds, seconds };
}

const dir = mkdtempSync(join(tmpdir(), 'polegate-bench-'));
try {
  const e2e = await endToEnd(dir);
  const rssAfterIngest = process.memoryUsage().rss;
  const raw = rawBaseline(dir, e2e.stored);
  console.log(`ingest end to end (MQTT → aedes → validate → SQLite, exactly-once): ${Math.round(e2e.rate).toLocaleString('en')} readings/s (${e2e.stored.toLocaleString('en')} readings in ${e2e.seconds.toFixed(2)} s, ${POLES} poles × ${STREAMS_PER_POLE} streams, ${BATCH} per batch)`);
  console.log(`baseline raw better-sqlite3 inserts (1000-row transactions, no unique index): ${Math.round(raw.rate).toLocaleString('en')} rows/s`);
  console.log(`ratio end-to-end / raw: ${(e2e.rate / raw.rate).toFixed(2)} (target ≥ 300,000 readings/s: ${e2e.rate >= 300_000 ? 'met' : 'NOT met'})`);
  console.log(`RSS after ingest: ${mb(rssAfterIngest)}, at end: ${mb(process.memoryUsage().rss)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
