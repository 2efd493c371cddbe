// A pole's alarms and events as the API shows them (GET /api/poles/:id/alarms and /events):
// the contract's alarm and event objects, newest first, with `snapshot` naming the picture's blob.
// Shared by both stores: the query text differs only in placeholders and the value columns.
import type { AlarmPayload, EventPayload } from '../../contract/schemas.js';

export type StoredAlarm = AlarmPayload['alarm'];
export type StoredEvent = EventPayload['event'];

export interface AlarmRow {
  id: string;
  rule: string;
  device: string;
  metric: string;
  state: StoredAlarm['state'];
  severity: StoredAlarm['severity'];
  value: number | string;
  threshold: number | null;
  ts: number;
  snapshot: string | null;
  stream_id: number;
  seq: number;
}

export function alarmView(row: AlarmRow): StoredAlarm {
  const { threshold, snapshot, stream_id: _stream, seq: _seq, ...alarm } = row;
  return { ...alarm, ...(threshold === null ? {} : { threshold }), ...(snapshot === null ? {} : { snapshot }) };
}

/** Alarm columns but the value (its columns differ by store); append the value, FROM alarms a WHERE …. */
export const ALARM_COLUMNS = 'a.alarm_id AS id, a.rule, a.device, a.metric, a.state, a.severity, a.threshold, a.ts, a.snapshot, a.stream_id, a.seq';

/** Keyset condition and order of a pole's alarms or events (alias a), newest first: bind pole, ts, stream, seq, limit. */
export function historyPage(p: (n: number) => string): string {
  return `a.pole_id = ${p(1)} AND (a.ts, a.stream_id, a.seq) < (${p(2)}, ${p(3)}, ${p(4)}) ORDER BY a.ts DESC, a.stream_id DESC, a.seq DESC LIMIT ${p(5)}`;
}

/** The page key of a row sorted by (ts, stream, seq): alarms, events, readings. */
export function historyKey(row: { ts: number; stream_id: number; seq: number }): [number, number, number] {
  return [row.ts, row.stream_id, row.seq];
}
