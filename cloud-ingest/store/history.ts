// A pole's recent alarms and events as the API shows them (GET /api/poles/:id/alarms and /events):
// the contract's alarm and event objects, newest first, with `snapshot` naming the picture's blob.
// Shared by both stores: the query text differs only in placeholders and the value columns.
import type { AlarmPayload, EventPayload } from '../../contract/schemas.js';

export type StoredAlarm = AlarmPayload['alarm'];
export type StoredEvent = EventPayload['event'];

export const HISTORY_LIMIT = { default: 100, max: 1000 };

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
}

export function alarmView(row: AlarmRow): StoredAlarm {
  const { threshold, snapshot, ...alarm } = row;
  return { ...alarm, ...(threshold === null ? {} : { threshold }), ...(snapshot === null ? {} : { snapshot }) };
}

/** Alarm columns but the value (its columns differ by store); append the value, FROM … WHERE p.name = $pole. */
export const ALARM_COLUMNS = 'a.alarm_id AS id, a.rule, a.device, a.metric, a.state, a.severity, a.threshold, a.ts, a.snapshot';
