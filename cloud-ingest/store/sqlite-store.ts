// The embedded city store: one SQLite file (better-sqlite3, WAL). Names are interned to integer
// ids, and readings live in one B-tree clustered by (series, ts), so a write is one append per
// reading and /api/series is a range scan. Exactly-once does not need a second, unique index on
// (stream, seq): each stream's stored seqs are kept as ranges (seq-ranges.ts), read and written
// in the same transaction as the rows, so a duplicate is found with one lookup per payload.
import Database from 'better-sqlite3';
import type { CommandResultPayload, Reading } from '../../contract/schemas.js';
import { PolegateError } from '../../config/errors.js';
import { preparePrivateDatabase } from '../../config/private-files.js';
import { claimSeqs, type SeqRange } from './seq-ranges.js';
import { COUNTS_SELECT, POLE_SELECT, birthColumns, deviceColumns, QUALITIES, QUALITY_CODE, decodeValue, encodeValue, poleDetail, poleSummary, storedDeadLetter, vtypeOf, type DeadLetterRow, type DeviceRow, type PoleRow, type SeriesRow, type VType } from './rows.js';
import { CITY_LIST_INDEXES, listAlarms, listEvents, type AlarmFilter, type AlarmRecord, type CityEvent, type Dialect, type EventFilter } from './city-lists.js';
import { COMMANDS_TABLE, commandKey, commandSql, commandView, resultStatus, type CommandRecord, type CommandRow } from './commands.js';
import { ALARM_COLUMNS, alarmView, historyKey, historyPage, type AlarmRow, type StoredAlarm, type StoredEvent } from './history.js';
import { FIRST_ASCENDING, FIRST_DESCENDING, toPage, type BatchResult, type IngestBatch, type NewCommand, type Page, type PageQuery, type PoleDetail, type PoleSummary, type Point, type SeriesQuery, type Store, type StoreCounts, type StoredDeadLetter } from './store.js';

/** Bumped when the layout changes; a file of a newer version is refused, not misread. */
const LAYOUT_VERSION = 2;

// The tables holding reading values. STRICT, so that their ANY columns keep each value as given:
// in a plain table ANY means NUMERIC affinity, which turns the string "042" into the number 42.
// Layout 1 had them plain, with booleans as 0 / 1 read back by the series' last type.
const VALUE_TABLES = `
CREATE TABLE IF NOT EXISTS readings (
  series_id INTEGER NOT NULL, ts INTEGER NOT NULL, stream_id INTEGER NOT NULL, seq INTEGER NOT NULL,
  value ANY, quality INTEGER NOT NULL, PRIMARY KEY (series_id, ts, stream_id, seq)) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS latest (
  series_id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, value ANY, quality INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS alarms (
  stream_id INTEGER NOT NULL, seq INTEGER NOT NULL, pole_id INTEGER NOT NULL, alarm_id TEXT NOT NULL,
  rule TEXT NOT NULL, device TEXT NOT NULL, metric TEXT NOT NULL, state TEXT NOT NULL, severity TEXT NOT NULL,
  value ANY, threshold REAL, ts INTEGER NOT NULL, snapshot TEXT, PRIMARY KEY (stream_id, seq)) STRICT, WITHOUT ROWID;
`;

/**
 * Layout 1 → 2: the value tables rebuilt STRICT. A layout-1 value's own type was not kept, so each
 * is converted as layout 1 read it back, by its series' type: what the API showed stays the same.
 */
const MIGRATE_1_TO_2 = `
ALTER TABLE readings RENAME TO readings_v1;
ALTER TABLE latest RENAME TO latest_v1;
ALTER TABLE alarms RENAME TO alarms_v1;
${VALUE_TABLES}
INSERT INTO readings SELECT r.series_id, r.ts, r.stream_id, r.seq, ${typedValue('r')}, r.quality
  FROM readings_v1 r JOIN series s ON s.id = r.series_id;
INSERT INTO latest SELECT l.series_id, l.ts, ${typedValue('l')}, l.quality FROM latest_v1 l JOIN series s ON s.id = l.series_id;
INSERT INTO alarms SELECT * FROM alarms_v1;
DROP TABLE readings_v1;
DROP TABLE latest_v1;
DROP TABLE alarms_v1;
`;

/** A layout-1 value of table alias `t` in the layout-2 encoding (see encodeValue), by its series' (alias s) type. */
function typedValue(t: string): string {
  return `CASE s.vtype WHEN 1 THEN CASE WHEN ${t}.value = 1 THEN 1 ELSE 0 END WHEN 2 THEN CAST(${t}.value AS TEXT) ELSE CAST(${t}.value AS REAL) END`;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS poles (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, state TEXT, state_ts INTEGER, boot_id TEXT,
  last_seen INTEGER, birth TEXT, component_code TEXT, lat REAL, lon REAL, grid TEXT);
CREATE TABLE IF NOT EXISTS devices (
  pole_id INTEGER NOT NULL, id TEXT NOT NULL, driver TEXT NOT NULL, model TEXT, metrics TEXT NOT NULL,
  PRIMARY KEY (pole_id, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS streams (
  id INTEGER PRIMARY KEY, pole_id INTEGER NOT NULL, name TEXT NOT NULL, UNIQUE (pole_id, name));
CREATE TABLE IF NOT EXISTS seq_ranges (
  stream_id INTEGER NOT NULL, lo INTEGER NOT NULL, hi INTEGER NOT NULL, PRIMARY KEY (stream_id, lo)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY, pole_id INTEGER NOT NULL, device TEXT NOT NULL, metric TEXT NOT NULL,
  unit TEXT NOT NULL, vtype INTEGER NOT NULL, UNIQUE (pole_id, device, metric));
${VALUE_TABLES}CREATE TABLE IF NOT EXISTS alarm_state (
  pole_id INTEGER NOT NULL, alarm_id TEXT NOT NULL, state TEXT NOT NULL, severity TEXT NOT NULL, ts INTEGER NOT NULL,
  PRIMARY KEY (pole_id, alarm_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  stream_id INTEGER NOT NULL, seq INTEGER NOT NULL, pole_id INTEGER NOT NULL, type TEXT NOT NULL, device TEXT,
  ts INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (stream_id, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_by_pole ON events (pole_id, ts);
CREATE TABLE IF NOT EXISTS blobs (
  sha256 TEXT PRIMARY KEY, pole_id INTEGER NOT NULL, size INTEGER NOT NULL, bytes BLOB NOT NULL, received_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY AUTOINCREMENT, pole TEXT, topic TEXT NOT NULL, reason TEXT NOT NULL,
  payload BLOB NOT NULL, size INTEGER NOT NULL, received_at INTEGER NOT NULL);
${COMMANDS_TABLE}${CITY_LIST_INDEXES}`;

/** Readings per INSERT statement: one statement per 128 rows, not one call per row. */
const ROWS_PER_INSERT = 128;
const READING_COLUMNS = 6;

interface Series {
  id: number;
  unit: string;
  vtype: VType;
}

function bySeq(readings: Reading[]): Reading[] {
  for (let i = 1; i < readings.length; i++) {
    if (readings[i]!.seq < readings[i - 1]!.seq) return [...readings].sort((a, b) => a.seq - b.seq);
  }
  return readings;
}

function openDatabase(path: string): Database.Database {
  preparePrivateDatabase(path);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // WAL + NORMAL: a commit survives a process crash; an OS crash may lose the last commits,
  // which poles then resend (their outbox waits for PUBACK, sent after our commit).
  db.pragma('synchronous = NORMAL');
  // Checkpoint every 64 MiB of WAL rather than 4 MiB: the series' last pages change in every
  // commit, and fewer checkpoints copy each of them fewer times.
  db.pragma('wal_autocheckpoint = 16384');
  const version = db.pragma('user_version', { simple: true }) as number;
  const empty = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'readings'").get() as { n: number }).n === 0;
  if (version === 1 && !empty) {
    db.transaction(() => db.exec(MIGRATE_1_TO_2))();
  } else if (version !== LAYOUT_VERSION && !empty) {
    db.close();
    throw new Error(`it was written by another polegate version (layout ${version}, this one reads ${LAYOUT_VERSION}); move it away to start a new store`);
  }
  db.exec(SCHEMA);
  db.pragma(`user_version = ${LAYOUT_VERSION}`);
  return db;
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly poleIds = new Map<string, number>();
  private readonly streamIds = new Map<number, Map<string, number>>();
  private readonly seriesByPole = new Map<number, Map<string, Map<string, Series>>>();
  private readonly sql;
  private readonly commandSql: Record<keyof ReturnType<typeof commandSql>, Database.Statement>;
  private readonly insertStatements = new Map<number, Database.Statement>();
  private readonly write: (batch: IngestBatch) => BatchResult;
  /** The city-wide lists' statements, by text (their filters make a few shapes). */
  private readonly listStatements = new Map<string, Database.Statement>();
  private readonly dialect: Dialect = {
    placeholder: () => '?',
    valueColumns: "r.value, typeof(r.value) = 'integer' AS is_integer",
    value: (row) => (row.value === null ? null : decodeValue(row.value as number | string, row.is_integer as number)),
    run: async (text, params) => {
      let statement = this.listStatements.get(text);
      if (!statement) this.listStatements.set(text, (statement = this.db.prepare(text)));
      return statement.all(...params) as Record<string, unknown>[];
    },
  };

  constructor(readonly path: string) {
    try {
      this.db = openDatabase(path);
    } catch (err) {
      throw new PolegateError(`cannot open the SQLite store ${path}: ${(err as Error).message} (check store.path in the cloud config)`, 'STORE_UNAVAILABLE', 1);
    }
    const db = this.db;
    this.sql = {
      insertPole: db.prepare('INSERT INTO poles (name) VALUES (?)'),
      insertStream: db.prepare('INSERT INTO streams (pole_id, name) VALUES (?, ?)'),
      insertSeries: db.prepare('INSERT INTO series (pole_id, device, metric, unit, vtype) VALUES (?, ?, ?, ?, ?)'),
      updateSeries: db.prepare('UPDATE series SET unit = ?, vtype = ? WHERE id = ?'),
      // Newest first from just past the seqs: the caller stops at the first range below them.
      rangesBelow: db.prepare('SELECT lo, hi FROM seq_ranges WHERE stream_id = ? AND lo <= ? ORDER BY lo DESC'),
      deleteRanges: db.prepare('DELETE FROM seq_ranges WHERE stream_id = ? AND lo >= ? AND lo <= ?'),
      insertRange: db.prepare('INSERT INTO seq_ranges (stream_id, lo, hi) VALUES (?, ?, ?)'),
      upsertLatest: db.prepare(`INSERT INTO latest (series_id, ts, value, quality) VALUES (?, ?, ?, ?)
        ON CONFLICT (series_id) DO UPDATE SET ts = excluded.ts, value = excluded.value, quality = excluded.quality WHERE excluded.ts >= latest.ts`),
      insertAlarm: db.prepare(`INSERT INTO alarms (stream_id, seq, pole_id, alarm_id, rule, device, metric, state, severity, value, threshold, ts, snapshot)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      upsertAlarmState: db.prepare(`INSERT INTO alarm_state (pole_id, alarm_id, state, severity, ts) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (pole_id, alarm_id) DO UPDATE SET state = excluded.state, severity = excluded.severity, ts = excluded.ts WHERE excluded.ts >= alarm_state.ts`),
      insertEvent: db.prepare('INSERT INTO events (stream_id, seq, pole_id, type, device, ts, body) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      insertBlob: db.prepare('INSERT INTO blobs (sha256, pole_id, size, bytes, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      insertDeadLetter: db.prepare('INSERT INTO dead_letters (pole, topic, reason, payload, size, received_at) VALUES (?, ?, ?, ?, ?, ?)'),
      updateState: db.prepare('UPDATE poles SET state = ?, state_ts = ?, boot_id = ? WHERE id = ?'),
      updateBirth: db.prepare('UPDATE poles SET birth = ?, component_code = ?, lat = ?, lon = ?, grid = ? WHERE id = ?'),
      deleteDevices: db.prepare('DELETE FROM devices WHERE pole_id = ?'),
      insertDevice: db.prepare('INSERT INTO devices (pole_id, id, driver, model, metrics) VALUES (?, ?, ?, ?, ?)'),
      touchPole: db.prepare('UPDATE poles SET last_seen = ? WHERE id = ?'),
      listPoles: db.prepare(`${POLE_SELECT} WHERE p.name > ? ORDER BY p.name LIMIT ?`),
      getPole: db.prepare(`${POLE_SELECT} WHERE p.name = ?`),
      devices: db.prepare('SELECT id, driver, model, metrics FROM devices WHERE pole_id = ? ORDER BY id'),
      poleSeries: db.prepare(`SELECT s.device, s.metric, s.unit, s.vtype, l.ts, l.value, typeof(l.value) = 'integer' AS is_integer, l.quality
        FROM series s LEFT JOIN latest l ON l.series_id = s.id WHERE s.pole_id = ? ORDER BY s.device, s.metric`),
      points: db.prepare(`SELECT ts, stream_id, seq, value, typeof(value) = 'integer' AS is_integer, quality FROM readings
        WHERE series_id = ? AND ts >= ? AND (ts, stream_id, seq) > (?, ?, ?) AND ts <= ? ORDER BY ts, stream_id, seq LIMIT ?`),
      deadLetters: db.prepare('SELECT * FROM dead_letters WHERE id < ? ORDER BY id DESC LIMIT ?'),
      blob: db.prepare('SELECT bytes FROM blobs WHERE sha256 = ?'),
      poleId: db.prepare('SELECT id FROM poles WHERE name = ?'),
      recentAlarms: db.prepare(`SELECT ${ALARM_COLUMNS}, a.value FROM alarms a WHERE ${historyPage(() => '?')}`),
      recentEvents: db.prepare(`SELECT a.body, a.ts, a.stream_id, a.seq FROM events a WHERE ${historyPage(() => '?')}`),
      counts: db.prepare(COUNTS_SELECT),
    };
    const commands = commandSql(() => '?');
    this.commandSql = {
      insert: db.prepare(commands.insert),
      get: db.prepare(commands.get),
      result: db.prepare(commands.result),
      pending: db.prepare(commands.pending),
      list: db.prepare(commands.list),
    };
    this.loadIds();
    this.write = db.transaction((batch: IngestBatch) => this.writeSync(batch));
  }

  private loadIds(): void {
    this.poleIds.clear();
    this.streamIds.clear();
    this.seriesByPole.clear();
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

  /** Which of `seqs` (ascending) the stream did not have yet; records them as stored. */
  private claim(streamId: number, seqs: number[]): boolean[] {
    const first = seqs[0]!;
    const touching: SeqRange[] = [];
    for (const range of this.sql.rangesBelow.iterate(streamId, seqs[seqs.length - 1]! + 1) as IterableIterator<SeqRange>) {
      if (range.hi < first - 1) break;
      touching.unshift(range);
    }
    const { fresh, ranges } = claimSeqs(touching, seqs);
    if (!fresh.includes(true)) return fresh;
    if (touching.length > 0) this.sql.deleteRanges.run(streamId, touching[0]!.lo, touching[touching.length - 1]!.lo);
    for (const r of ranges) this.sql.insertRange.run(streamId, r.lo, r.hi);
    return fresh;
  }

  /** Inserts rows of READING_COLUMNS values, ROWS_PER_INSERT to a statement (cached per size). */
  private insertReadings(groups: (number | string | bigint)[][]): void {
    const values: (number | string | bigint)[] = [];
    const insert = () => {
      const rows = values.length / READING_COLUMNS;
      let statement = this.insertStatements.get(rows);
      if (!statement) {
        const tuples = Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?)').join(', ');
        statement = this.db.prepare(`INSERT INTO readings (series_id, ts, stream_id, seq, value, quality) VALUES ${tuples}`);
        this.insertStatements.set(rows, statement);
      }
      statement.run(values);
      values.length = 0;
    };
    for (const group of groups) {
      for (const value of group) {
        values.push(value);
        if (values.length === ROWS_PER_INSERT * READING_COLUMNS) insert();
      }
    }
    if (values.length > 0) insert();
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
      sql.updateBirth.run(...birthColumns(birth), id);
      sql.deleteDevices.run(id);
      for (const d of birth.devices) sql.insertDevice.run(id, ...deviceColumns(d));
    }
    for (const state of batch.states) sql.updateState.run(state.state, state.ts, state.bootId, pole(state.pole));

    const telemetryDuplicates = batch.telemetry.map(() => 0);
    const latest = new Map<number, { ts: number; raw: number | string | bigint; quality: number }>();
    // Fresh readings grouped by series: inserted series by series, they land on a few adjacent
    // pages of the (series, ts) B-tree instead of hopping across it.
    const bySeries = new Map<number, (number | string | bigint)[]>();
    batch.telemetry.forEach((payload, index) => {
      const poleId = pole(payload.pole);
      const stream = this.streamId(poleId, payload.stream);
      const readings = bySeq(payload.readings);
      const fresh = this.claim(stream, readings.map((r) => r.seq));
      readings.forEach((r, i) => {
        if (!fresh[i]) {
          telemetryDuplicates[index]!++;
          return;
        }
        const series = this.seriesFor(poleId, r.device, r.metric, r.unit, vtypeOf(r.value));
        const raw = encodeValue(r.value);
        let rows = bySeries.get(series.id);
        if (!rows) bySeries.set(series.id, (rows = []));
        const quality = QUALITY_CODE[r.quality];
        rows.push(series.id, r.ts, stream, r.seq, raw, quality);
        const last = latest.get(series.id);
        if (!last || r.ts >= last.ts) latest.set(series.id, { ts: r.ts, raw, quality });
      });
    });
    this.insertReadings([...bySeries.keys()].sort((a, b) => a - b).map((id) => bySeries.get(id)!));
    for (const [seriesId, l] of latest) sql.upsertLatest.run(seriesId, l.ts, l.raw, l.quality);

    const alarmDuplicates = batch.alarms.map((m) => {
      const poleId = pole(m.pole);
      const stream = this.streamId(poleId, m.stream);
      if (!this.claim(stream, [m.seq])[0]) return true;
      const a = m.alarm;
      sql.insertAlarm.run(stream, m.seq, poleId, a.id, a.rule, a.device, a.metric, a.state, a.severity, encodeValue(a.value), a.threshold ?? null, a.ts, a.snapshot ?? null);
      sql.upsertAlarmState.run(poleId, a.id, a.state, a.severity, a.ts);
      return false;
    });
    const eventDuplicates = batch.events.map((m) => {
      const poleId = pole(m.pole);
      const stream = this.streamId(poleId, m.stream);
      if (!this.claim(stream, [m.seq])[0]) return true;
      const e = m.event;
      sql.insertEvent.run(stream, m.seq, poleId, e.type, e.device ?? null, e.ts, JSON.stringify(e));
      return false;
    });
    for (const b of batch.blobs) sql.insertBlob.run(b.sha256, pole(b.pole), b.bytes.length, b.bytes, batch.receivedAt);
    for (const d of batch.deadLetters) sql.insertDeadLetter.run(d.pole, d.topic, d.reason, d.payload, d.size, batch.receivedAt);
    for (const id of seen) sql.touchPole.run(batch.receivedAt, id);
    return { telemetryDuplicates, alarmDuplicates, eventDuplicates };
  }

  async writeBatch(batch: IngestBatch): Promise<BatchResult> {
    try {
      return this.write(batch);
    } catch (err) {
      // The rollback took back any pole, stream or series this batch created: forget their ids.
      this.loadIds();
      throw err;
    }
  }

  async listPoles(page: PageQuery): Promise<Page<PoleSummary>> {
    const rows = this.sql.listPoles.all(page.after?.[0] ?? '', page.limit + 1) as PoleRow[];
    return toPage(rows, page.limit, (r) => [r.name], poleSummary);
  }

  async getPole(id: string): Promise<PoleDetail | undefined> {
    const row = this.sql.getPole.get(id) as PoleRow | undefined;
    if (!row) return undefined;
    const series = (this.sql.poleSeries.all(row.id) as (Omit<SeriesRow, 'value'> & { value: number | string | null; is_integer: number })[])
      .map(({ value, is_integer, ...s }) => ({ ...s, value: value === null ? null : decodeValue(value, is_integer) }));
    return poleDetail(row, this.sql.devices.all(row.id) as DeviceRow[], series);
  }

  async series(query: SeriesQuery): Promise<Page<Point> | undefined> {
    const poleId = this.poleIds.get(query.pole);
    const series = poleId === undefined ? undefined : this.seriesByPole.get(poleId)?.get(query.device)?.get(query.metric);
    if (!series) return undefined;
    const after = query.after ?? [query.from, FIRST_ASCENDING, FIRST_ASCENDING];
    const rows = this.sql.points.all(series.id, query.from, ...after, query.to, query.limit + 1) as { ts: number; stream_id: number; seq: number; value: number | string; is_integer: number; quality: number }[];
    return toPage(rows, query.limit, historyKey, (r) => ({ ts: r.ts, value: decodeValue(r.value, r.is_integer), quality: QUALITIES[r.quality]! }));
  }

  async deadLetters(page: PageQuery): Promise<Page<StoredDeadLetter>> {
    const rows = this.sql.deadLetters.all(page.after?.[0] ?? FIRST_DESCENDING, page.limit + 1) as DeadLetterRow[];
    return toPage(rows, page.limit, (r) => [r.id], storedDeadLetter);
  }

  async blob(sha256: string): Promise<Buffer | undefined> {
    return (this.sql.blob.get(sha256) as { bytes: Buffer } | undefined)?.bytes;
  }

  /** Rows of a pole's alarms or events, newest first, from `page`; undefined for an unknown pole. */
  private history<R>(statement: Database.Statement, pole: string, page: PageQuery): R[] | undefined {
    const found = this.sql.poleId.get(pole) as { id: number } | undefined;
    const after = page.after ?? [FIRST_DESCENDING, FIRST_DESCENDING, FIRST_DESCENDING];
    return found && (statement.all(found.id, ...after, page.limit + 1) as R[]);
  }

  async recentAlarms(pole: string, page: PageQuery): Promise<Page<StoredAlarm> | undefined> {
    const rows = this.history<AlarmRow>(this.sql.recentAlarms, pole, page);
    return rows && toPage(rows, page.limit, historyKey, alarmView);
  }

  async recentEvents(pole: string, page: PageQuery): Promise<Page<StoredEvent> | undefined> {
    const rows = this.history<{ body: string; ts: number; stream_id: number; seq: number }>(this.sql.recentEvents, pole, page);
    return rows && toPage(rows, page.limit, historyKey, (r) => JSON.parse(r.body) as StoredEvent);
  }

  async alarms(filter: AlarmFilter, page: PageQuery): Promise<Page<AlarmRecord>> {
    return listAlarms(this.dialect, filter, page);
  }

  async events(filter: EventFilter, page: PageQuery): Promise<Page<CityEvent>> {
    return listEvents(this.dialect, filter, page);
  }

  async counts(): Promise<StoreCounts> {
    return this.sql.counts.get() as StoreCounts;
  }

  async addCommand(c: NewCommand): Promise<void> {
    this.commandSql.insert.run(c.id, c.pole, c.name, JSON.stringify(c.args), c.createdAt, c.expiresAt);
  }

  async getCommand(id: string, now: number): Promise<CommandRecord | undefined> {
    const row = this.commandSql.get.get(id) as CommandRow | undefined;
    return row && commandView(row, now);
  }

  async commandResult(pole: string, result: CommandResultPayload): Promise<boolean> {
    return this.commandSql.result.run(resultStatus(result), JSON.stringify(result), result.id, pole).changes > 0;
  }

  async pendingCommands(pole: string, now: number): Promise<CommandRecord[]> {
    return (this.commandSql.pending.all(pole, now) as CommandRow[]).map((r) => commandView(r, now));
  }

  async listCommands(pole: string, page: PageQuery, now: number): Promise<Page<CommandRecord>> {
    const [ts, id] = page.after ?? [FIRST_DESCENDING, ''];
    const rows = this.commandSql.list.all(pole, ts, ts, id, page.limit + 1) as CommandRow[];
    return toPage(rows, page.limit, commandKey, (r) => commandView(r, now));
  }

  async forgetPresence(): Promise<number> {
    return this.db.prepare("UPDATE poles SET state = 'unknown' WHERE state = 'online'").run().changes;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
