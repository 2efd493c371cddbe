// The embedded city store: one SQLite file (better-sqlite3, WAL). Exactly-once costs little
// because names are interned to integer ids and readings live in a WITHOUT ROWID table keyed by
// (stream_id, seq): within a stream seq only grows, so the key B-tree is appended to, and a
// duplicate is an INSERT that changes nothing.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Quality, ReadingValue } from '../../contract/schemas.js';
import { PolegateError } from '../../config/errors.js';
import type { BatchResult, DeviceView, IngestBatch, LatestValue, PoleDetail, PoleSummary, Point, SeriesQuery, Store, StoreCounts, StoredDeadLetter } from './store.js';

// Dialect-neutral where cheap (ON CONFLICT … DO NOTHING / DO UPDATE … WHERE is also PostgreSQL's).
const SCHEMA = `
CREATE TABLE IF NOT EXISTS poles (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, state TEXT, state_ts INTEGER, boot_id TEXT,
  last_seen INTEGER, birth TEXT, component_code TEXT, lat REAL, lon REAL, grid TEXT);
CREATE TABLE IF NOT EXISTS devices (
  pole_id INTEGER NOT NULL, id TEXT NOT NULL, driver TEXT NOT NULL, model TEXT, metrics TEXT NOT NULL,
  PRIMARY KEY (pole_id, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS streams (
  id INTEGER PRIMARY KEY, pole_id INTEGER NOT NULL, name TEXT NOT NULL, UNIQUE (pole_id, name));
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY, pole_id INTEGER NOT NULL, device TEXT NOT NULL, metric TEXT NOT NULL,
  unit TEXT NOT NULL, vtype INTEGER NOT NULL, UNIQUE (pole_id, device, metric));
CREATE TABLE IF NOT EXISTS readings (
  stream_id INTEGER NOT NULL, seq INTEGER NOT NULL, series_id INTEGER NOT NULL, ts INTEGER NOT NULL,
  value ANY, quality INTEGER NOT NULL, PRIMARY KEY (stream_id, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS readings_by_series ON readings (series_id, ts);
CREATE TABLE IF NOT EXISTS latest (
  series_id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, value ANY, quality INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS alarms (
  stream_id INTEGER NOT NULL, seq INTEGER NOT NULL, pole_id INTEGER NOT NULL, alarm_id TEXT NOT NULL,
  rule TEXT NOT NULL, device TEXT NOT NULL, metric TEXT NOT NULL, state TEXT NOT NULL, severity TEXT NOT NULL,
  value ANY, threshold REAL, ts INTEGER NOT NULL, snapshot TEXT, PRIMARY KEY (stream_id, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alarm_state (
  pole_id INTEGER NOT NULL, alarm_id TEXT NOT NULL, state TEXT NOT NULL, severity TEXT NOT NULL, ts INTEGER NOT NULL,
  PRIMARY KEY (pole_id, alarm_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  stream_id INTEGER NOT NULL, seq INTEGER NOT NULL, pole_id INTEGER NOT NULL, type TEXT NOT NULL, device TEXT,
  ts INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (stream_id, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs (
  sha256 TEXT PRIMARY KEY, pole_id INTEGER NOT NULL, size INTEGER NOT NULL, bytes BLOB NOT NULL, received_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY AUTOINCREMENT, pole TEXT, topic TEXT NOT NULL, reason TEXT NOT NULL,
  payload BLOB NOT NULL, size INTEGER NOT NULL, received_at INTEGER NOT NULL);
`;

const QUALITIES: Quality[] = ['good', 'uncertain', 'bad'];
const QUALITY_CODE: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };
const VTYPES = ['number', 'boolean', 'string'] as const;
type VType = 0 | 1 | 2;

interface Series {
  id: number;
  unit: string;
  vtype: VType;
}

function vtypeOf(value: ReadingValue): VType {
  return typeof value === 'number' ? 0 : typeof value === 'boolean' ? 1 : 2;
}

function decodeValue(value: unknown, vtype: number): ReadingValue {
  return vtype === 1 ? value === 1 : (value as number | string);
}

function presence(state: string | null): PoleSummary['state'] {
  return state === 'online' || state === 'offline' ? state : 'unknown';
}

interface PoleRow {
  id: number;
  name: string;
  state: string | null;
  state_ts: number | null;
  boot_id: string | null;
  last_seen: number | null;
  birth: string | null;
  component_code: string | null;
  lat: number | null;
  lon: number | null;
  grid: string | null;
  active: number;
}

const POLE_SELECT = `SELECT p.*, (SELECT count(*) FROM alarm_state a WHERE a.pole_id = p.id AND a.state = 'raised') AS active FROM poles p`;

function summary(row: PoleRow): PoleSummary {
  return {
    id: row.name,
    state: presence(row.state),
    lastSeen: row.last_seen,
    location: row.lat === null || row.lon === null ? null : { lat: row.lat, lon: row.lon, ...(row.grid === null ? {} : { grid: row.grid }) },
    componentCode: row.component_code,
    activeAlarms: row.active,
  };
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly poleIds = new Map<string, number>();
  private readonly streamIds = new Map<number, Map<string, number>>();
  private readonly seriesByPole = new Map<number, Map<string, Map<string, Series>>>();
  private readonly sql;
  private readonly write: (batch: IngestBatch) => BatchResult;

  constructor(readonly path: string) {
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      // WAL + NORMAL: a commit survives a process crash; an OS crash may lose the last commits,
      // which poles then resend (their outbox waits for PUBACK, sent after our commit).
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(SCHEMA);
    } catch (err) {
      throw new PolegateError(`cannot open the SQLite store ${path}: ${(err as Error).message} (check store.path in the cloud config)`, 'STORE_UNAVAILABLE', 1);
    }
    const db = this.db;
    this.sql = {
      insertPole: db.prepare('INSERT INTO poles (name) VALUES (?)'),
      insertStream: db.prepare('INSERT INTO streams (pole_id, name) VALUES (?, ?)'),
      insertSeries: db.prepare('INSERT INTO series (pole_id, device, metric, unit, vtype) VALUES (?, ?, ?, ?, ?)'),
      updateSeries: db.prepare('UPDATE series SET unit = ?, vtype = ? WHERE id = ?'),
      insertReading: db.prepare('INSERT INTO readings (stream_id, seq, series_id, ts, value, quality) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      upsertLatest: db.prepare(`INSERT INTO latest (series_id, ts, value, quality) VALUES (?, ?, ?, ?)
        ON CONFLICT (series_id) DO UPDATE SET ts = excluded.ts, value = excluded.value, quality = excluded.quality WHERE excluded.ts >= latest.ts`),
      insertAlarm: db.prepare(`INSERT INTO alarms (stream_id, seq, pole_id, alarm_id, rule, device, metric, state, severity, value, threshold, ts, snapshot)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
      upsertAlarmState: db.prepare(`INSERT INTO alarm_state (pole_id, alarm_id, state, severity, ts) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (pole_id, alarm_id) DO UPDATE SET state = excluded.state, severity = excluded.severity, ts = excluded.ts WHERE excluded.ts >= alarm_state.ts`),
      insertEvent: db.prepare('INSERT INTO events (stream_id, seq, pole_id, type, device, ts, body) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      insertBlob: db.prepare('INSERT INTO blobs (sha256, pole_id, size, bytes, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      insertDeadLetter: db.prepare('INSERT INTO dead_letters (pole, topic, reason, payload, size, received_at) VALUES (?, ?, ?, ?, ?, ?)'),
      updateState: db.prepare('UPDATE poles SET state = ?, state_ts = ?, boot_id = ? WHERE id = ?'),
      updateBirth: db.prepare('UPDATE poles SET birth = ?, component_code = ?, lat = ?, lon = ?, grid = ? WHERE id = ?'),
      deleteDevices: db.prepare('DELETE FROM devices WHERE pole_id = ?'),
      insertDevice: db.prepare('INSERT INTO devices (pole_id, id, driver, model, metrics) VALUES (?, ?, ?, ?, ?)'),
      touchPole: db.prepare('UPDATE poles SET last_seen = ? WHERE id = ?'),
      listPoles: db.prepare(`${POLE_SELECT} ORDER BY p.name`),
      getPole: db.prepare(`${POLE_SELECT} WHERE p.name = ?`),
      devices: db.prepare('SELECT id, driver, model, metrics FROM devices WHERE pole_id = ? ORDER BY id'),
      poleSeries: db.prepare(`SELECT s.device, s.metric, s.unit, s.vtype, l.ts, l.value, l.quality
        FROM series s LEFT JOIN latest l ON l.series_id = s.id WHERE s.pole_id = ? ORDER BY s.device, s.metric`),
      points: db.prepare('SELECT ts, value, quality FROM readings WHERE series_id = ? AND ts >= ? AND ts <= ? ORDER BY ts LIMIT ?'),
      deadLetters: db.prepare('SELECT * FROM dead_letters ORDER BY id DESC LIMIT ?'),
      blob: db.prepare('SELECT bytes FROM blobs WHERE sha256 = ?'),
    };
    this.loadIds();
    this.write = db.transaction((batch: IngestBatch) => this.writeSync(batch));
  }

  private loadIds(): void {
    for (const row of this.db.prepare('SELECT id, name FROM poles').all() as { id: number; name: string }[]) this.poleIds.set(row.name, row.id);
    for (const row of this.db.prepare('SELECT id, pole_id, name FROM streams').all() as { id: number; pole_id: number; name: string }[]) {
      this.streamsOf(row.pole_id).set(row.name, row.id);
    }
    for (const row of this.db.prepare('SELECT * FROM series').all() as { id: number; pole_id: number; device: string; metric: string; unit: string; vtype: VType }[]) {
      this.metricsOf(row.pole_id, row.device).set(row.metric, { id: row.id, unit: row.unit, vtype: row.vtype });
    }
  }

  private streamsOf(poleId: number): Map<string, number> {
    let streams = this.streamIds.get(poleId);
    if (!streams) this.streamIds.set(poleId, (streams = new Map()));
    return streams;
  }

  private metricsOf(poleId: number, device: string): Map<string, Series> {
    let devices = this.seriesByPole.get(poleId);
    if (!devices) this.seriesByPole.set(poleId, (devices = new Map()));
    let metrics = devices.get(device);
    if (!metrics) devices.set(device, (metrics = new Map()));
    return metrics;
  }

  private poleId(name: string): number {
    let id = this.poleIds.get(name);
    if (id === undefined) {
      id = Number(this.sql.insertPole.run(name).lastInsertRowid);
      this.poleIds.set(name, id);
    }
    return id;
  }

  private streamId(poleId: number, name: string): number {
    const streams = this.streamsOf(poleId);
    let id = streams.get(name);
    if (id === undefined) {
      id = Number(this.sql.insertStream.run(poleId, name).lastInsertRowid);
      streams.set(name, id);
    }
    return id;
  }

  private seriesFor(poleId: number, device: string, metric: string, unit: string, vtype: VType): Series {
    const metrics = this.metricsOf(poleId, device);
    let series = metrics.get(metric);
    if (!series) {
      series = { id: Number(this.sql.insertSeries.run(poleId, device, metric, unit, vtype).lastInsertRowid), unit, vtype };
      metrics.set(metric, series);
    } else if (series.unit !== unit || series.vtype !== vtype) {
      this.sql.updateSeries.run(unit, vtype, series.id);
      series.unit = unit;
      series.vtype = vtype;
    }
    return series;
  }

  private writeSync(batch: IngestBatch): BatchResult {
    const sql = this.sql;
    const seen = new Set<number>();
    const pole = (name: string) => {
      const id = this.poleId(name);
      seen.add(id);
      return id;
    };

    for (const birth of batch.births) {
      const id = pole(birth.pole);
      const { devices, ...rest } = birth;
      sql.updateBirth.run(JSON.stringify(rest), birth.componentCode ?? null, birth.location?.lat ?? null, birth.location?.lon ?? null, birth.location?.grid ?? null, id);
      sql.deleteDevices.run(id);
      for (const d of devices) sql.insertDevice.run(id, d.id, d.driver, d.model ?? null, JSON.stringify(d.metrics));
    }
    for (const state of batch.states) sql.updateState.run(state.state, state.ts, state.bootId, pole(state.pole));

    // Insert stream by stream in seq order, so the (stream_id, seq) B-tree sees appends.
    const telemetry = batch.telemetry.map((payload, index) => ({ payload, index, stream: this.streamId(pole(payload.pole), payload.stream) }));
    telemetry.sort((a, b) => a.stream - b.stream || a.payload.readings[0]!.seq - b.payload.readings[0]!.seq);
    const telemetryDuplicates = new Array<number>(batch.telemetry.length).fill(0);
    const latest = new Map<number, LatestValue & { raw: unknown }>();
    for (const { payload, index, stream } of telemetry) {
      const poleId = this.poleIds.get(payload.pole)!;
      let duplicates = 0;
      for (const r of payload.readings) {
        const vtype = vtypeOf(r.value);
        const series = this.seriesFor(poleId, r.device, r.metric, r.unit, vtype);
        const raw = vtype === 1 ? (r.value ? 1 : 0) : r.value;
        if (sql.insertReading.run(stream, r.seq, series.id, r.ts, raw, QUALITY_CODE[r.quality]).changes === 0) {
          duplicates++;
          continue;
        }
        const last = latest.get(series.id);
        if (!last || r.ts >= last.ts) latest.set(series.id, { ts: r.ts, value: r.value, quality: r.quality, raw });
      }
      telemetryDuplicates[index] = duplicates;
    }
    for (const [seriesId, l] of latest) sql.upsertLatest.run(seriesId, l.ts, l.raw, QUALITY_CODE[l.quality]);

    const alarmDuplicates = batch.alarms.map((m) => {
      const poleId = pole(m.pole);
      const a = m.alarm;
      const value = typeof a.value === 'boolean' ? (a.value ? 1 : 0) : a.value;
      const stored = sql.insertAlarm.run(this.streamId(poleId, m.stream), m.seq, poleId, a.id, a.rule, a.device, a.metric, a.state, a.severity, value, a.threshold ?? null, a.ts, a.snapshot ?? null).changes > 0;
      if (stored) sql.upsertAlarmState.run(poleId, a.id, a.state, a.severity, a.ts);
      return !stored;
    });
    const eventDuplicates = batch.events.map((m) => {
      const poleId = pole(m.pole);
      const e = m.event;
      return sql.insertEvent.run(this.streamId(poleId, m.stream), m.seq, poleId, e.type, e.device ?? null, e.ts, JSON.stringify(e)).changes === 0;
    });
    for (const b of batch.blobs) sql.insertBlob.run(b.sha256, pole(b.pole), b.bytes.length, b.bytes, batch.receivedAt);
    for (const d of batch.deadLetters) sql.insertDeadLetter.run(d.pole, d.topic, d.reason, d.payload, d.size, batch.receivedAt);
    for (const id of seen) sql.touchPole.run(batch.receivedAt, id);
    return { telemetryDuplicates, alarmDuplicates, eventDuplicates };
  }

  async writeBatch(batch: IngestBatch): Promise<BatchResult> {
    return this.write(batch);
  }

  async listPoles(): Promise<PoleSummary[]> {
    return (this.sql.listPoles.all() as PoleRow[]).map(summary);
  }

  async getPole(id: string): Promise<PoleDetail | undefined> {
    const row = this.sql.getPole.get(id) as PoleRow | undefined;
    if (!row) return undefined;
    const devices = new Map<string, DeviceView>();
    for (const d of this.sql.devices.all(row.id) as { id: string; driver: string; model: string | null; metrics: string }[]) {
      const metrics = (JSON.parse(d.metrics) as Omit<DeviceView['metrics'][number], 'latest'>[]).map((m) => ({ ...m, latest: null }));
      devices.set(d.id, { id: d.id, driver: d.driver, model: d.model, metrics });
    }
    type SeriesRow = { device: string; metric: string; unit: string; vtype: VType; ts: number | null; value: unknown; quality: number | null };
    for (const s of this.sql.poleSeries.all(row.id) as SeriesRow[]) {
      let device = devices.get(s.device);
      if (!device) devices.set(s.device, (device = { id: s.device, driver: null, model: null, metrics: [] }));
      let metric = device.metrics.find((m) => m.name === s.metric);
      if (!metric) device.metrics.push((metric = { name: s.metric, unit: s.unit, type: VTYPES[s.vtype], latest: null }));
      if (s.ts !== null) metric.latest = { ts: s.ts, value: decodeValue(s.value, s.vtype), quality: QUALITIES[s.quality!]! };
    }
    const birth = row.birth === null ? null : (JSON.parse(row.birth) as PoleDetail['birth'] & object);
    return {
      ...summary(row),
      stateTs: row.state_ts,
      bootId: row.boot_id,
      birth: birth && { ts: birth.ts, bootId: birth.bootId, agent: birth.agent, configHash: birth.configHash },
      devices: [...devices.values()],
    };
  }

  async series(query: SeriesQuery): Promise<Point[] | undefined> {
    const poleId = this.poleIds.get(query.pole);
    const series = poleId === undefined ? undefined : this.seriesByPole.get(poleId)?.get(query.device)?.get(query.metric);
    if (!series) return undefined;
    const rows = this.sql.points.all(series.id, query.from, query.to, query.limit) as { ts: number; value: unknown; quality: number }[];
    return rows.map((r) => ({ ts: r.ts, value: decodeValue(r.value, series.vtype), quality: QUALITIES[r.quality]! }));
  }

  async deadLetters(limit: number): Promise<StoredDeadLetter[]> {
    const rows = this.sql.deadLetters.all(limit) as { id: number; pole: string | null; topic: string; reason: string; payload: Buffer; size: number; received_at: number }[];
    return rows.map((r) => ({ id: r.id, pole: r.pole, topic: r.topic, reason: r.reason, payload: r.payload, size: r.size, receivedAt: r.received_at }));
  }

  async blob(sha256: string): Promise<Buffer | undefined> {
    return (this.sql.blob.get(sha256) as { bytes: Buffer } | undefined)?.bytes;
  }

  async counts(): Promise<StoreCounts> {
    const count = (table: string) => (this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { poles: count('poles'), readings: count('readings'), alarms: count('alarms'), events: count('events'), blobs: count('blobs'), deadLetters: count('dead_letters') };
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
