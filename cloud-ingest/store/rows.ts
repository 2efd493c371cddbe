// How readings and poles look as table rows, shared by every store: quality and value-type codes,
// values encoded for a column, the queries both SQL dialects run unchanged, and rows turned back
// into the API's views. Pure functions. Each stored value keeps its own type (number, boolean or
// string): a series whose readings change type reads back every value as it was sent.
import type { BirthPayload, Quality, ReadingValue } from '../../contract/schemas.js';
import type { DeviceView, PoleDetail, PoleSummary, StoredDeadLetter } from './store.js';

export const QUALITIES: Quality[] = ['good', 'uncertain', 'bad'];
export const QUALITY_CODE: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };
const VTYPES = ['number', 'boolean', 'string'] as const;
/** The type of a series' latest value (the metric's type in the pole view): 0 number, 1 boolean, 2 string. */
export type VType = 0 | 1 | 2;

export function vtypeOf(value: ReadingValue): VType {
  return typeof value === 'number' ? 0 : typeof value === 'boolean' ? 1 : 2;
}

/**
 * A value for a SQLite `ANY` column of a STRICT table, which keeps each value's storage class as
 * bound: numbers are bound as REAL (better-sqlite3 binds every JS number as a double, 1 too),
 * strings as TEXT, and booleans as INTEGER 0 / 1 (a bigint is bound as INTEGER). So the type is in
 * the value itself and a row needs no type column; reads select `typeof(value) = 'integer'`.
 */
export function encodeValue(value: ReadingValue): number | string | bigint {
  return typeof value === 'boolean' ? (value ? 1n : 0n) : value;
}

/** A value read back from such a column, with whether its storage class is INTEGER. */
export function decodeValue(value: number | string, isInteger: number): ReadingValue {
  return isInteger === 1 ? value === 1 : value;
}

/** Pole rows with the count of their raised alarms (append WHERE / ORDER BY). */
export const POLE_SELECT = `SELECT p.*, (SELECT count(*) FROM alarm_state a WHERE a.pole_id = p.id AND a.state = 'raised') AS active FROM poles p`;

/** Every table's row count, as StoreCounts. */
export const COUNTS_SELECT = `SELECT (SELECT count(*) FROM poles) AS poles, (SELECT count(*) FROM readings) AS readings,
  (SELECT count(*) FROM alarms) AS alarms, (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM blobs) AS blobs,
  (SELECT count(*) FROM dead_letters) AS "deadLetters"`;

/** A row of poles with the count of its raised alarms. */
export interface PoleRow {
  id: number;
  name: string;
  state: string | null;
  state_ts: number | null;
  boot_id: string | null;
  last_seen: number | null;
  /** The birth payload without its devices, as JSON text. */
  birth: string | null;
  component_code: string | null;
  lat: number | null;
  lon: number | null;
  grid: string | null;
  active: number;
}

export function poleSummary(row: PoleRow): PoleSummary {
  return {
    id: row.name,
    state: row.state === 'online' || row.state === 'offline' ? row.state : 'unknown',
    lastSeen: row.last_seen,
    location: row.lat === null || row.lon === null ? null : { lat: row.lat, lon: row.lon, ...(row.grid === null ? {} : { grid: row.grid }) },
    componentCode: row.component_code,
    activeAlarms: row.active,
  };
}

export interface DeviceRow {
  id: string;
  driver: string;
  model: string | null;
  /** The birth's metric descriptions, as JSON text. */
  metrics: string;
}

/** A series of the pole with its latest value (null columns when it has none). */
export interface SeriesRow {
  device: string;
  metric: string;
  unit: string;
  vtype: VType;
  ts: number | null;
  /** Decoded by the store (null when the series has no latest value). */
  value: ReadingValue | null;
  quality: number | null;
}

/** The poles columns a birth sets, in SQL order: birth (without devices), component code, lat, lon, grid. */
export function birthColumns(birth: BirthPayload): [string, string | null, number | null, number | null, string | null] {
  const { devices: _devices, ...rest } = birth;
  return [JSON.stringify(rest), birth.componentCode ?? null, birth.location?.lat ?? null, birth.location?.lon ?? null, birth.location?.grid ?? null];
}

/** The devices columns of one device of a birth, in SQL order (after the pole id): id, driver, model, metrics. */
export function deviceColumns(d: BirthPayload['devices'][number]): [string, string, string | null, string] {
  return [d.id, d.driver, d.model ?? null, JSON.stringify(d.metrics)];
}

/** The pole view: devices from its birth, then every series it sent, with latest values. */
export function poleDetail(row: PoleRow, devices: DeviceRow[], series: SeriesRow[]): PoleDetail {
  const views = new Map<string, DeviceView>();
  for (const d of devices) {
    const metrics = (JSON.parse(d.metrics) as Omit<DeviceView['metrics'][number], 'latest'>[]).map((m) => ({ ...m, latest: null }));
    views.set(d.id, { id: d.id, driver: d.driver, model: d.model, metrics });
  }
  for (const s of series) {
    let device = views.get(s.device);
    if (!device) views.set(s.device, (device = { id: s.device, driver: null, model: null, metrics: [] }));
    let metric = device.metrics.find((m) => m.name === s.metric);
    if (!metric) device.metrics.push((metric = { name: s.metric, unit: s.unit, type: VTYPES[s.vtype], latest: null }));
    if (s.ts !== null) metric.latest = { ts: s.ts, value: s.value!, quality: QUALITIES[s.quality!]! };
  }
  const birth = row.birth === null ? null : (JSON.parse(row.birth) as NonNullable<PoleDetail['birth']>);
  return {
    ...poleSummary(row),
    stateTs: row.state_ts,
    bootId: row.boot_id,
    birth: birth && { ts: birth.ts, bootId: birth.bootId, agent: birth.agent, configHash: birth.configHash },
    devices: [...views.values()],
  };
}

/** A row of dead_letters. */
export interface DeadLetterRow {
  id: number;
  pole: string | null;
  topic: string;
  reason: string;
  payload: Buffer;
  size: number;
  received_at: number;
}

export function storedDeadLetter(r: DeadLetterRow): StoredDeadLetter {
  return { id: r.id, pole: r.pole, topic: r.topic, reason: r.reason, payload: r.payload, size: r.size, receivedAt: r.received_at };
}
