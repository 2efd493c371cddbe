// The city-wide lists of the API, shared by both stores: GET /api/alarms (one row per alarm, active
// from its raised message to its cleared one, same alarm id) and GET /api/events, with filters.
// The queries are built here with the store's placeholders and run by the store's `run`; only
// how a value column reads back differs (`valueColumns`, `value`).
import type { ReadingValue } from '../../contract/schemas.js';
import type { StoredAlarm, StoredEvent } from './history.js';
import { FIRST_DESCENDING, toPage, type Page, type PageQuery } from './store.js';

export interface AlarmFilter {
  /** true: raised and not cleared; false: cleared. */
  active?: boolean;
  pole?: string;
  severity?: StoredAlarm['severity'];
}

export interface EventFilter {
  pole?: string;
  type?: string;
  /** Inclusive bounds on the event's ts, epoch ms. */
  from?: number;
  to?: number;
}

export interface AlarmRecord {
  id: string;
  pole: string;
  rule?: string;
  device?: string;
  metric?: string;
  severity: StoredAlarm['severity'];
  state: StoredAlarm['state'];
  raisedAt: number;
  clearedAt?: number;
  value?: ReadingValue;
  /** The picture's blob: from the raised message, or a later snapshot event naming the alarm. */
  snapshot?: string;
}

export type CityEvent = StoredEvent & { pole: string };

export interface Dialect {
  /** Placeholder number `n`, cast to `type` where the dialect needs it. */
  placeholder(n: number, type: 'bigint' | 'text'): string;
  /** Columns of alarms alias `r` that `value` reads back. */
  valueColumns: string;
  value(row: Record<string, unknown>): ReadingValue | null;
  run(text: string, params: unknown[]): Promise<Record<string, unknown>[]>;
}

/** Collects parameters and hands out their placeholders, in order. */
function params(dialect: Dialect) {
  const values: unknown[] = [];
  return { values, add: (value: unknown, type: 'bigint' | 'text') => (values.push(value), dialect.placeholder(values.length, type)) };
}

const num = (v: unknown) => (v === null || v === undefined ? undefined : Number(v));

/** Alarms, newest raised first; key [raisedAt, pole, id]. */
export async function listAlarms(dialect: Dialect, filter: AlarmFilter, page: PageQuery): Promise<Page<AlarmRecord>> {
  const q = params(dialect);
  const where = [
    ...(filter.active === undefined ? [] : [`s.state = ${q.add(filter.active ? 'raised' : 'cleared', 'text')}`]),
    ...(filter.pole === undefined ? [] : [`p.name = ${q.add(filter.pole, 'text')}`]),
    ...(filter.severity === undefined ? [] : [`s.severity = ${q.add(filter.severity, 'text')}`]),
  ];
  const [ts, pole, id] = page.after ?? [FIRST_DESCENDING, '', ''];
  const text = `SELECT * FROM (
    SELECT s.alarm_id AS id, p.id AS pole_id, p.name AS pole, s.state, s.severity, COALESCE(r.ts, s.ts) AS raised_at, c.ts AS cleared_at,
      COALESCE(r.rule, c.rule) AS rule, COALESCE(r.device, c.device) AS device, COALESCE(r.metric, c.metric) AS metric, r.snapshot, ${dialect.valueColumns}
    FROM alarm_state s JOIN poles p ON p.id = s.pole_id
    LEFT JOIN alarms r ON r.pole_id = s.pole_id AND r.alarm_id = s.alarm_id AND r.state = 'raised'
    LEFT JOIN alarms c ON c.pole_id = s.pole_id AND c.alarm_id = s.alarm_id AND c.state = 'cleared'
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}) x
    WHERE (x.raised_at, x.pole, x.id) < (${q.add(ts, 'bigint')}, ${q.add(pole, 'text')}, ${q.add(id, 'text')})
    ORDER BY x.raised_at DESC, x.pole DESC, x.id DESC LIMIT ${q.add(page.limit + 1, 'bigint')}`;
  const rows = await dialect.run(text, q.values);
  const result = toPage(rows, page.limit, (r) => [Number(r.raised_at), r.pole as string, r.id as string], (r) => {
    const value = dialect.value(r);
    const alarm: AlarmRecord = {
      id: r.id as string,
      pole: r.pole as string,
      severity: r.severity as AlarmRecord['severity'],
      state: r.state as AlarmRecord['state'],
      raisedAt: Number(r.raised_at),
      ...(r.rule === null ? {} : { rule: r.rule as string, device: r.device as string, metric: r.metric as string }),
      ...(num(r.cleared_at) === undefined ? {} : { clearedAt: num(r.cleared_at) }),
      ...(value === null ? {} : { value }),
      ...(r.snapshot === null ? {} : { snapshot: r.snapshot as string }),
    };
    return { alarm, poleId: r.pole_id as number };
  });
  await linkSnapshots(dialect, result.items);
  return { items: result.items.map((i) => i.alarm), next: result.next };
}

/**
 * A picture taken for an alarm that left before it was ready comes as a later snapshot event
 * naming the alarm (SnapshotEvent.alarm): link it to the alarm row. One query per pole of the page.
 */
async function linkSnapshots(dialect: Dialect, items: { alarm: AlarmRecord; poleId: number }[]): Promise<void> {
  const waiting = new Map<number, { alarm: AlarmRecord }[]>();
  for (const item of items) if (item.alarm.snapshot === undefined) waiting.set(item.poleId, [...(waiting.get(item.poleId) ?? []), item]);
  for (const [poleId, alarms] of waiting) {
    const q = params(dialect);
    const since = Math.min(...alarms.map((a) => a.alarm.raisedAt));
    const rows = await dialect.run(`SELECT body FROM events WHERE pole_id = ${q.add(poleId, 'bigint')} AND type = 'snapshot' AND ts >= ${q.add(since, 'bigint')}`, q.values);
    const byAlarm = new Map<string, string>();
    for (const row of rows) {
      const event = JSON.parse(row.body as string) as { alarm?: string; snapshot?: string };
      if (event.alarm !== undefined && event.snapshot !== undefined) byAlarm.set(event.alarm, event.snapshot);
    }
    for (const { alarm } of alarms) {
      const snapshot = byAlarm.get(alarm.id);
      if (snapshot !== undefined) alarm.snapshot = snapshot;
    }
  }
}

/** Events of every pole, newest first; key [ts, stream, seq]. */
export async function listEvents(dialect: Dialect, filter: EventFilter, page: PageQuery): Promise<Page<CityEvent>> {
  const q = params(dialect);
  const where = [
    ...(filter.pole === undefined ? [] : [`p.name = ${q.add(filter.pole, 'text')}`]),
    ...(filter.type === undefined ? [] : [`a.type = ${q.add(filter.type, 'text')}`]),
    ...(filter.from === undefined ? [] : [`a.ts >= ${q.add(filter.from, 'bigint')}`]),
    ...(filter.to === undefined ? [] : [`a.ts <= ${q.add(filter.to, 'bigint')}`]),
  ];
  const [ts, stream, seq] = page.after ?? [FIRST_DESCENDING, FIRST_DESCENDING, FIRST_DESCENDING];
  where.push(`(a.ts, a.stream_id, a.seq) < (${q.add(ts, 'bigint')}, ${q.add(stream, 'bigint')}, ${q.add(seq, 'bigint')})`);
  const text = `SELECT p.name AS pole, a.body, a.ts, a.stream_id, a.seq FROM events a JOIN poles p ON p.id = a.pole_id
    WHERE ${where.join(' AND ')} ORDER BY a.ts DESC, a.stream_id DESC, a.seq DESC LIMIT ${q.add(page.limit + 1, 'bigint')}`;
  const rows = await dialect.run(text, q.values);
  return toPage(rows, page.limit, (r) => [Number(r.ts), Number(r.stream_id), Number(r.seq)], (r) => ({ pole: r.pole as string, ...(JSON.parse(r.body as string) as StoredEvent) }));
}

/** Indexes the lists above need, created with the tables. */
export const CITY_LIST_INDEXES = `CREATE INDEX IF NOT EXISTS alarms_by_alarm ON alarms (pole_id, alarm_id, state);
CREATE INDEX IF NOT EXISTS events_by_ts ON events (ts, stream_id, seq);
`;
