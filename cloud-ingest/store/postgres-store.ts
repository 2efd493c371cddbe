// The production city store: PostgreSQL through a `pg` pool, shared by every cloud node. The tables
// live in the database and search_path the URL names, created at start (idempotent, under an
// advisory lock so that nodes starting together do not race). A batch is one transaction: its
// (stream, seq)s are claimed against each stream's seq ranges (postgres-seqs.ts), and the new
// readings go in with one binary COPY (copy-binary.ts) into a table with no unique index, only
// the (series, ts) B-tree that /api/series reads and a BRIN index on ts; docs/cloud.md has why.
import pg from 'pg';
import type { CommandResultPayload, ReadingValue } from '../../contract/schemas.js';
import { PolegateError } from '../../config/errors.js';
import { COUNTS_SELECT, POLE_SELECT, birthColumns, deviceColumns, QUALITIES, QUALITY_CODE, poleDetail, poleSummary, storedDeadLetter, vtypeOf, type DeadLetterRow, type DeviceRow, type PoleRow, type SeriesRow, type VType } from './rows.js';
import { copyRows, type CopyType } from './copy-binary.js';
import { claimStreamSeqs } from './postgres-seqs.js';
import { CITY_LIST_INDEXES, listAlarms, listEvents, type AlarmFilter, type AlarmRecord, type CityEvent, type Dialect, type EventFilter } from './city-lists.js';
import { COMMANDS_TABLE, commandKey, commandSql, commandView, resultStatus, type CommandRecord, type CommandRow } from './commands.js';
import { ALARM_COLUMNS, alarmView, historyKey, historyPage, type AlarmRow, type StoredAlarm, type StoredEvent } from './history.js';
import { FIRST_ASCENDING, FIRST_DESCENDING, toPage, type BatchResult, type IngestBatch, type NewCommand, type Page, type PageQuery, type PoleDetail, type PoleSummary, type Point, type SeriesQuery, type Store, type StoreCounts, type StoredDeadLetter } from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS poles (
  id SERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, state TEXT, state_ts BIGINT, boot_id TEXT,
  last_seen BIGINT, birth TEXT, component_code TEXT, lat DOUBLE PRECISION, lon DOUBLE PRECISION, grid TEXT);
CREATE TABLE IF NOT EXISTS devices (
  pole_id INTEGER NOT NULL, id TEXT NOT NULL, driver TEXT NOT NULL, model TEXT, metrics TEXT NOT NULL, PRIMARY KEY (pole_id, id));
CREATE TABLE IF NOT EXISTS streams (id SERIAL PRIMARY KEY, pole_id INTEGER NOT NULL, name TEXT NOT NULL, UNIQUE (pole_id, name));
CREATE TABLE IF NOT EXISTS series (
  id SERIAL PRIMARY KEY, pole_id INTEGER NOT NULL, device TEXT NOT NULL, metric TEXT NOT NULL,
  unit TEXT NOT NULL, vtype SMALLINT NOT NULL, UNIQUE (pole_id, device, metric));
CREATE TABLE IF NOT EXISTS seq_ranges (
  stream_id INTEGER NOT NULL, lo BIGINT NOT NULL, hi BIGINT NOT NULL, PRIMARY KEY (stream_id, hi));
CREATE TABLE IF NOT EXISTS readings (
  stream_id INTEGER NOT NULL, seq BIGINT NOT NULL, series_id INTEGER NOT NULL, ts BIGINT NOT NULL,
  num DOUBLE PRECISION, str TEXT, bool BOOLEAN, quality SMALLINT NOT NULL);
CREATE INDEX IF NOT EXISTS readings_by_series ON readings (series_id, ts);
CREATE INDEX IF NOT EXISTS readings_by_time ON readings USING brin (ts);
CREATE TABLE IF NOT EXISTS latest (
  series_id INTEGER PRIMARY KEY, ts BIGINT NOT NULL, num DOUBLE PRECISION, str TEXT, bool BOOLEAN, quality SMALLINT NOT NULL);
CREATE TABLE IF NOT EXISTS alarms (
  stream_id INTEGER NOT NULL, seq BIGINT NOT NULL, pole_id INTEGER NOT NULL, alarm_id TEXT NOT NULL,
  rule TEXT NOT NULL, device TEXT NOT NULL, metric TEXT NOT NULL, state TEXT NOT NULL, severity TEXT NOT NULL,
  num DOUBLE PRECISION, str TEXT, bool BOOLEAN, threshold DOUBLE PRECISION, ts BIGINT NOT NULL, snapshot TEXT, PRIMARY KEY (stream_id, seq));
CREATE TABLE IF NOT EXISTS alarm_state (
  pole_id INTEGER NOT NULL, alarm_id TEXT NOT NULL, state TEXT NOT NULL, severity TEXT NOT NULL, ts BIGINT NOT NULL,
  PRIMARY KEY (pole_id, alarm_id));
CREATE TABLE IF NOT EXISTS events (
  stream_id INTEGER NOT NULL, seq BIGINT NOT NULL, pole_id INTEGER NOT NULL, type TEXT NOT NULL, device TEXT,
  ts BIGINT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (stream_id, seq));
CREATE INDEX IF NOT EXISTS events_by_pole ON events (pole_id, ts);
CREATE TABLE IF NOT EXISTS blobs (
  sha256 TEXT PRIMARY KEY, pole_id INTEGER NOT NULL, size INTEGER NOT NULL, bytes BYTEA NOT NULL, received_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS dead_letters (
  id BIGSERIAL PRIMARY KEY, pole TEXT, topic TEXT NOT NULL, reason TEXT NOT NULL,
  payload BYTEA NOT NULL, size INTEGER NOT NULL, received_at BIGINT NOT NULL);
${COMMANDS_TABLE}${CITY_LIST_INDEXES}`;

// Each value keeps its own type in one of three columns (num, str, bool; the others null). Tables
// made before the bool column held booleans as num 0 / 1, read back by the series' last type: they
// get the column, and those values move to it as they were read back, so the API shows the same.
const ADD_BOOL_COLUMN = `
ALTER TABLE readings ADD COLUMN bool BOOLEAN;
ALTER TABLE latest ADD COLUMN bool BOOLEAN;
ALTER TABLE alarms ADD COLUMN bool BOOLEAN;
UPDATE readings r SET bool = (r.num = 1), num = NULL FROM series s WHERE s.id = r.series_id AND s.vtype = 1;
UPDATE latest l SET bool = (l.num = 1), num = NULL FROM series s WHERE s.id = l.series_id AND s.vtype = 1;
`;
const HAS_BOOL_COLUMN = `SELECT count(*) AS n FROM information_schema.columns
  WHERE table_schema = current_schema() AND table_name = 'readings' AND column_name = 'bool'`;

// Tables made before seq_ranges kept each reading once by a (stream_id, seq) primary key, and a
// seq unique across readings, alarms and events by looking in the other two tables. They get the
// ranges of every seq they hold (runs of consecutive seqs: seq minus its rank is constant along a
// run), and readings lose the key, which the ranges now do the work of. One pass over the table,
// once, at the first start of this version.
const MIGRATE_TO_RANGES = `
INSERT INTO seq_ranges (stream_id, lo, hi)
  SELECT stream_id, min(seq), max(seq) FROM (
    SELECT stream_id, seq, seq - row_number() OVER (PARTITION BY stream_id ORDER BY seq) AS run
    FROM (SELECT stream_id, seq FROM readings UNION SELECT stream_id, seq FROM alarms UNION SELECT stream_id, seq FROM events) AS held) AS numbered
  GROUP BY stream_id, run;
ALTER TABLE readings DROP CONSTRAINT IF EXISTS readings_pkey;
`;

/** The readings columns in COPY order, with their types. */
const READINGS_COPY = 'COPY readings (stream_id, seq, series_id, ts, num, str, bool, quality) FROM STDIN (FORMAT binary)';
const READINGS_TYPES: CopyType[] = ['int4', 'int8', 'int4', 'int8', 'float8', 'text', 'bool', 'int2'];

const SQL = {
  pole: 'INSERT INTO poles (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id',
  stream: 'INSERT INTO streams (pole_id, name) VALUES ($1, $2) ON CONFLICT (pole_id, name) DO UPDATE SET name = excluded.name RETURNING id',
  series: `INSERT INTO series (pole_id, device, metric, unit, vtype) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (pole_id, device, metric) DO UPDATE SET unit = excluded.unit, vtype = excluded.vtype RETURNING id`,
  latest: `INSERT INTO latest (series_id, ts, num, str, bool, quality)
    SELECT * FROM unnest($1::int[], $2::bigint[], $3::float8[], $4::text[], $5::boolean[], $6::smallint[])
    ON CONFLICT (series_id) DO UPDATE SET ts = excluded.ts, num = excluded.num, str = excluded.str, bool = excluded.bool, quality = excluded.quality WHERE excluded.ts >= latest.ts`,
  alarm: `INSERT INTO alarms (stream_id, seq, pole_id, alarm_id, rule, device, metric, state, severity, num, str, bool, threshold, ts, snapshot)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
  alarmState: `INSERT INTO alarm_state (pole_id, alarm_id, state, severity, ts) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (pole_id, alarm_id) DO UPDATE SET state = excluded.state, severity = excluded.severity, ts = excluded.ts WHERE excluded.ts >= alarm_state.ts`,
  event: 'INSERT INTO events (stream_id, seq, pole_id, type, device, ts, body) VALUES ($1, $2, $3, $4, $5, $6, $7)',
  blob: 'INSERT INTO blobs (sha256, pole_id, size, bytes, received_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
  deadLetter: 'INSERT INTO dead_letters (pole, topic, reason, payload, size, received_at) VALUES ($1, $2, $3, $4, $5, $6)',
  state: 'UPDATE poles SET state = $1, state_ts = $2, boot_id = $3 WHERE id = $4',
  birth: 'UPDATE poles SET birth = $1, component_code = $2, lat = $3, lon = $4, grid = $5 WHERE id = $6',
  deleteDevices: 'DELETE FROM devices WHERE pole_id = $1',
  device: 'INSERT INTO devices (pole_id, id, driver, model, metrics) VALUES ($1, $2, $3, $4, $5)',
  touch: 'UPDATE poles SET last_seen = $1 WHERE id = ANY($2::int[])',
};

/** Epoch ms and counts are BIGINT: JavaScript numbers hold them exactly (below 2^53). */
const COMMAND_SQL = commandSql((n) => `$${n}`);

const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format))) as pg.CustomTypesConfig['getTypeParser'],
};

/** A value as the (num, str, bool) columns: the one of its type set, the others null. */
function columns(value: ReadingValue): [number | null, string | null, boolean | null] {
  return typeof value === 'number' ? [value, null, null] : typeof value === 'string' ? [null, value, null] : [null, null, value];
}

/** The value of a row's (num, str, bool) columns. */
function columnValue(row: { num: number | null; str: string | null; bool: boolean | null }): ReadingValue {
  return row.num ?? row.str ?? row.bool!;
}

/** host:port of a URL, for messages: never its user or password. */
function postgresTarget(url: URL): string {
  return `${url.hostname || 'localhost'}:${url.port || 5432}`;
}

function ignoreLostConnection(): void {}

interface SeriesId {
  id: number;
  unit: string;
  vtype: VType;
}

export class PostgresStore implements Store {
  // Ids interned by this node; another node may create rows too, so a miss asks the database.
  private readonly poleIds = new Map<string, number>();
  private readonly streamIds = new Map<string, number>();
  private readonly seriesIds = new Map<string, SeriesId>();

  private readonly dialect: Dialect;

  private constructor(private readonly pool: pg.Pool) {
    this.dialect = {
      placeholder: (n, type) => `$${n}::${type}`,
      valueColumns: 'r.num, r.str, r.bool',
      value: (row) => (row.num ?? row.str ?? row.bool ?? null) as ReadingValue | null,
      run: async (text, params) => (await this.pool.query(text, params)).rows as Record<string, unknown>[],
    };
  }

  /** Connects and creates the tables; one clear error, naming host:port, when it cannot. */
  static async open(url: string, origin = 'store.url in the cloud config'): Promise<PostgresStore> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new PolegateError(`${origin} is not a valid postgres:// URL`, 'STORE_URL_INVALID', 2);
    }
    const pool = new pg.Pool({ connectionString: url, types, max: 4, connectionTimeoutMillis: 10_000 });
    // An idle client whose connection dropped is replaced on next use; the query that needs it
    // reports the failure. Without a listener the pool's error would end the process.
    pool.on('error', () => {});
    try {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query("SELECT pg_advisory_xact_lock(hashtext('polegate-schema'))");
        const { existed, ranged } = (await client.query("SELECT to_regclass('readings') IS NOT NULL AS existed, to_regclass('seq_ranges') IS NOT NULL AS ranged")).rows[0] as { existed: boolean; ranged: boolean };
        await client.query(SCHEMA);
        if (existed && (await client.query(HAS_BOOL_COLUMN)).rows[0].n === 0) await client.query(ADD_BOOL_COLUMN);
        if (existed && !ranged) await client.query(MIGRATE_TO_RANGES);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end();
      const password = decodeURIComponent(parsed.password);
      const reason = (err as Error).message || (err as NodeJS.ErrnoException).code || 'unknown error';
      throw new PolegateError(
        `cannot use the PostgreSQL store at ${postgresTarget(parsed)} (${origin}): ${password ? reason.split(password).join('***') : reason} — check that PostgreSQL runs there and accepts this user and database`,
        'STORE_UNAVAILABLE',
        1,
      );
    }
    return new PostgresStore(pool);
  }

  private async poleId(db: pg.PoolClient, name: string): Promise<number> {
    let id = this.poleIds.get(name);
    if (id === undefined) {
      id = ((await db.query(SQL.pole, [name])).rows[0] as { id: number }).id;
      this.poleIds.set(name, id);
    }
    return id;
  }

  private async streamId(db: pg.PoolClient, poleId: number, name: string): Promise<number> {
    const key = `${poleId}\u0000${name}`;
    let id = this.streamIds.get(key);
    if (id === undefined) {
      id = ((await db.query(SQL.stream, [poleId, name])).rows[0] as { id: number }).id;
      this.streamIds.set(key, id);
    }
    return id;
  }

  /** Synchronous when the series is known with this unit and type: once per reading, no await. */
  private seriesId(db: pg.PoolClient, poleId: number, device: string, metric: string, unit: string, vtype: VType): number | Promise<number> {
    const key = `${poleId}\u0000${device}\u0000${metric}`;
    const known = this.seriesIds.get(key);
    return known && known.unit === unit && known.vtype === vtype ? known.id : this.newSeries(db, key, poleId, device, metric, unit, vtype);
  }

  private async newSeries(db: pg.PoolClient, key: string, poleId: number, device: string, metric: string, unit: string, vtype: VType): Promise<number> {
    const id = ((await db.query(SQL.series, [poleId, device, metric, unit, vtype])).rows[0] as { id: number }).id;
    this.seriesIds.set(key, { id, unit, vtype });
    return id;
  }

  async writeBatch(batch: IngestBatch): Promise<BatchResult> {
    const db = await this.pool.connect();
    // A connection lost mid-write (the server restarted, the backend was ended) fails the query
    // under way, which is reported below; its error event, with no listener, would end the process.
    db.on('error', ignoreLostConnection);
    let failed: Error | undefined;
    try {
      await db.query('BEGIN');
      const result = await this.writeIn(db, batch);
      await db.query('COMMIT');
      return result;
    } catch (err) {
      failed = err as Error;
      await db.query('ROLLBACK').catch(() => {});
      // The rollback took back any pole, stream or series this batch created: forget their ids.
      this.poleIds.clear();
      this.streamIds.clear();
      this.seriesIds.clear();
      throw err;
    } finally {
      db.off('error', ignoreLostConnection);
      // After a failure the connection may be gone or mid-transaction: the pool drops it.
      db.release(failed);
    }
  }

  private async writeIn(db: pg.PoolClient, batch: IngestBatch): Promise<BatchResult> {
    const seen = new Set<number>();
    const pole = async (name: string) => {
      const id = await this.poleId(db, name);
      seen.add(id);
      return id;
    };
    for (const birth of batch.births) {
      const id = await pole(birth.pole);
      await db.query(SQL.birth, [...birthColumns(birth), id]);
      await db.query(SQL.deleteDevices, [id]);
      for (const d of birth.devices) await db.query(SQL.device, [id, ...deviceColumns(d)]);
    }
    for (const state of batch.states) await db.query(SQL.state, [state.state, state.ts, state.bootId, await pole(state.pole)]);

    // Every seq of the batch, per stream (readings, alarms and events share them), claimed at once;
    // the flags are then taken in the same order: telemetry, alarms, events.
    const wanted = new Map<number, number[]>();
    const want = (stream: number, seq: number) => {
      let seqs = wanted.get(stream);
      if (!seqs) wanted.set(stream, (seqs = []));
      seqs.push(seq);
    };
    const idsOf = async (m: { pole: string; stream: string }) => {
      const poleId = await pole(m.pole);
      return { pole: poleId, stream: await this.streamId(db, poleId, m.stream) };
    };
    const telemetryIds: { pole: number; stream: number }[] = [];
    for (const payload of batch.telemetry) {
      telemetryIds.push(await idsOf(payload));
      for (const r of payload.readings) want(telemetryIds[telemetryIds.length - 1]!.stream, r.seq);
    }
    const messageIds = async (messages: { pole: string; stream: string; seq: number }[]) => {
      const ids: { pole: number; stream: number }[] = [];
      for (const m of messages) {
        ids.push(await idsOf(m));
        want(ids[ids.length - 1]!.stream, m.seq);
      }
      return ids;
    };
    const alarmIds = await messageIds(batch.alarms);
    const eventIds = await messageIds(batch.events);
    const fresh = wanted.size > 0 ? await claimStreamSeqs(db, wanted) : new Map<number, boolean[]>();
    const taken = new Map<number, number>();
    const isFresh = (stream: number) => {
      const i = taken.get(stream) ?? 0;
      taken.set(stream, i + 1);
      return fresh.get(stream)![i]!;
    };

    const telemetryDuplicates = batch.telemetry.map(() => 0);
    const rows: (number | string | boolean | null)[][] = [];
    const latest = new Map<number, (number | string | boolean | null)[]>(); // series id → its newest row
    for (const [index, payload] of batch.telemetry.entries()) {
      const { pole: poleId, stream } = telemetryIds[index]!;
      for (const r of payload.readings) {
        if (!isFresh(stream)) {
          telemetryDuplicates[index]!++;
          continue;
        }
        const known = this.seriesId(db, poleId, r.device, r.metric, r.unit, vtypeOf(r.value));
        const series = typeof known === 'number' ? known : await known;
        const row = [stream, r.seq, series, r.ts, ...columns(r.value), QUALITY_CODE[r.quality]];
        rows.push(row);
        const last = latest.get(series);
        if (!last || r.ts >= (last[3] as number)) latest.set(series, row);
      }
    }
    if (rows.length > 0) {
      await copyRows(db, READINGS_COPY, READINGS_TYPES, rows);
      const newest = [...latest.values()];
      await db.query(SQL.latest, [2, 3, 4, 5, 6, 7].map((c) => newest.map((row) => row[c])));
    }

    const alarmDuplicates: boolean[] = [];
    for (const [index, m] of batch.alarms.entries()) {
      const { pole: poleId, stream } = alarmIds[index]!;
      const stored = isFresh(stream);
      alarmDuplicates.push(!stored);
      if (!stored) continue;
      const a = m.alarm;
      await db.query(SQL.alarm, [stream, m.seq, poleId, a.id, a.rule, a.device, a.metric, a.state, a.severity, ...columns(a.value), a.threshold ?? null, a.ts, a.snapshot ?? null]);
      await db.query(SQL.alarmState, [poleId, a.id, a.state, a.severity, a.ts]);
    }
    const eventDuplicates: boolean[] = [];
    for (const [index, m] of batch.events.entries()) {
      const { pole: poleId, stream } = eventIds[index]!;
      const stored = isFresh(stream);
      eventDuplicates.push(!stored);
      const e = m.event;
      if (stored) await db.query(SQL.event, [stream, m.seq, poleId, e.type, e.device ?? null, e.ts, JSON.stringify(e)]);
    }
    for (const b of batch.blobs) await db.query(SQL.blob, [b.sha256, await pole(b.pole), b.bytes.length, b.bytes, batch.receivedAt]);
    for (const d of batch.deadLetters) await db.query(SQL.deadLetter, [d.pole, d.topic, d.reason, d.payload, d.size, batch.receivedAt]);
    if (seen.size > 0) await db.query(SQL.touch, [batch.receivedAt, [...seen]]);
    return { telemetryDuplicates, alarmDuplicates, eventDuplicates };
  }

  async listPoles(page: PageQuery): Promise<Page<PoleSummary>> {
    const rows = (await this.pool.query(`${POLE_SELECT} WHERE p.name > $1 ORDER BY p.name LIMIT $2`, [page.after?.[0] ?? '', page.limit + 1])).rows as PoleRow[];
    return toPage(rows, page.limit, (r) => [r.name], poleSummary);
  }

  async getPole(id: string): Promise<PoleDetail | undefined> {
    const row = (await this.pool.query(`${POLE_SELECT} WHERE p.name = $1`, [id])).rows[0] as PoleRow | undefined;
    if (!row) return undefined;
    const devices = await this.pool.query('SELECT id, driver, model, metrics FROM devices WHERE pole_id = $1 ORDER BY id', [row.id]);
    const series = await this.pool.query(`SELECT s.device, s.metric, s.unit, s.vtype, l.ts, l.num, l.str, l.bool, l.quality
      FROM series s LEFT JOIN latest l ON l.series_id = s.id WHERE s.pole_id = $1 ORDER BY s.device, s.metric`, [row.id]);
    const seriesRows = series.rows.map(({ num, str, bool, ...s }: Omit<SeriesRow, 'value'> & { num: number | null; str: string | null; bool: boolean | null }) => ({ ...s, value: columnValue({ num, str, bool }) }));
    return poleDetail(row, devices.rows as DeviceRow[], seriesRows);
  }

  async series(query: SeriesQuery): Promise<Page<Point> | undefined> {
    const found = (await this.pool.query(`SELECT s.id FROM series s JOIN poles p ON p.id = s.pole_id WHERE p.name = $1 AND s.device = $2 AND s.metric = $3`, [query.pole, query.device, query.metric])).rows[0] as { id: number } | undefined;
    if (!found) return undefined;
    const after = query.after ?? [query.from, FIRST_ASCENDING, FIRST_ASCENDING];
    const rows = (await this.pool.query(`SELECT ts, stream_id, seq, num, str, bool, quality FROM readings
      WHERE series_id = $1 AND ts >= $2 AND (ts, stream_id, seq) > ($3::bigint, $4::bigint, $5::bigint) AND ts <= $6 ORDER BY ts, stream_id, seq LIMIT $7`,
    [found.id, query.from, ...after, query.to, query.limit + 1])).rows as { ts: number; stream_id: number; seq: number; num: number | null; str: string | null; bool: boolean | null; quality: number }[];
    return toPage(rows, query.limit, historyKey, (r) => ({ ts: r.ts, value: columnValue(r), quality: QUALITIES[r.quality]! }));
  }

  async deadLetters(page: PageQuery): Promise<Page<StoredDeadLetter>> {
    const rows = (await this.pool.query('SELECT * FROM dead_letters WHERE id < $1 ORDER BY id DESC LIMIT $2', [page.after?.[0] ?? FIRST_DESCENDING, page.limit + 1])).rows as DeadLetterRow[];
    return toPage(rows, page.limit, (r) => [r.id], storedDeadLetter);
  }

  async blob(sha256: string): Promise<Buffer | undefined> {
    return ((await this.pool.query('SELECT bytes FROM blobs WHERE sha256 = $1', [sha256])).rows[0] as { bytes: Buffer } | undefined)?.bytes;
  }

  /** Rows of a pole's alarms or events (`select` … FROM alarms|events a), newest first, from `page`; undefined for an unknown pole. */
  private async history<R>(select: string, pole: string, page: PageQuery): Promise<R[] | undefined> {
    const found = (await this.pool.query('SELECT id FROM poles WHERE name = $1', [pole])).rows[0] as { id: number } | undefined;
    if (!found) return undefined;
    const after = page.after ?? [FIRST_DESCENDING, FIRST_DESCENDING, FIRST_DESCENDING];
    return (await this.pool.query(`${select} WHERE ${historyPage((n) => `$${n}::bigint`)}`, [found.id, ...after, page.limit + 1])).rows as R[];
  }

  async recentAlarms(pole: string, page: PageQuery): Promise<Page<StoredAlarm> | undefined> {
    const rows = await this.history<Omit<AlarmRow, 'value'> & { num: number | null; str: string | null }>(`SELECT ${ALARM_COLUMNS}, a.num, a.str FROM alarms a`, pole, page);
    return rows && toPage(rows, page.limit, historyKey, ({ num, str, ...row }) => alarmView({ ...row, value: num ?? str! }));
  }

  async recentEvents(pole: string, page: PageQuery): Promise<Page<StoredEvent> | undefined> {
    const rows = await this.history<{ body: string; ts: number; stream_id: number; seq: number }>('SELECT a.body, a.ts, a.stream_id, a.seq FROM events a', pole, page);
    return rows && toPage(rows, page.limit, historyKey, (r) => JSON.parse(r.body) as StoredEvent);
  }

  async alarms(filter: AlarmFilter, page: PageQuery): Promise<Page<AlarmRecord>> {
    return listAlarms(this.dialect, filter, page);
  }

  async events(filter: EventFilter, page: PageQuery): Promise<Page<CityEvent>> {
    return listEvents(this.dialect, filter, page);
  }

  async counts(): Promise<StoreCounts> {
    return (await this.pool.query(COUNTS_SELECT)).rows[0] as StoreCounts;
  }

  async addCommand(c: NewCommand): Promise<void> {
    await this.pool.query(COMMAND_SQL.insert, [c.id, c.pole, c.name, JSON.stringify(c.args), c.createdAt, c.expiresAt]);
  }

  async getCommand(id: string, now: number): Promise<CommandRecord | undefined> {
    const row = (await this.pool.query(COMMAND_SQL.get, [id])).rows[0] as CommandRow | undefined;
    return row && commandView(row, now);
  }

  async commandResult(pole: string, result: CommandResultPayload): Promise<boolean> {
    return ((await this.pool.query(COMMAND_SQL.result, [resultStatus(result), JSON.stringify(result), result.id, pole])).rowCount ?? 0) > 0;
  }

  async pendingCommands(pole: string, now: number): Promise<CommandRecord[]> {
    return ((await this.pool.query(COMMAND_SQL.pending, [pole, now])).rows as CommandRow[]).map((r) => commandView(r, now));
  }

  async listCommands(pole: string, page: PageQuery, now: number): Promise<Page<CommandRecord>> {
    const [ts, id] = page.after ?? [FIRST_DESCENDING, ''];
    const rows = (await this.pool.query(COMMAND_SQL.list, [pole, ts, id, page.limit + 1])).rows as CommandRow[];
    return toPage(rows, page.limit, commandKey, (r) => commandView(r, now));
  }

  async forgetPresence(): Promise<number> {
    return (await this.pool.query("UPDATE poles SET state = 'unknown' WHERE state = 'online'")).rowCount ?? 0;
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }
}
