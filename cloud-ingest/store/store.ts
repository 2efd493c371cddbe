// The city store as the ingest pipeline and the HTTP API see it. Async, so that a PostgreSQL
// store can implement the same interface; every implementation passes
// test/cloud-ingest/store-conformance.ts.
import type { AlarmFilter, AlarmRecord, CityEvent, EventFilter } from './city-lists.js';
import type { CommandRecord } from './commands.js';
import type { StoredAlarm, StoredEvent } from './history.js';
import type { AlarmPayload, BirthPayload, CommandResultPayload, EventPayload, Quality, ReadingValue, StatePayload, TelemetryPayload } from '../../contract/schemas.js';

export interface BlobRecord {
  pole: string;
  /** Hex sha256 of `bytes`, already verified. */
  sha256: string;
  bytes: Buffer;
}

export interface DeadLetter {
  /** The publishing pole (from the client identity), or null when unknown. */
  pole: string | null;
  topic: string;
  reason: string;
  /** The start of the payload only (see MAX_DEAD_LETTER_BYTES in ingest.ts). */
  payload: Buffer;
  /** Size of the whole payload in bytes. */
  size: number;
}

/** Everything one flush of the ingest queue writes, in one transaction. */
export interface IngestBatch {
  /** Server time of the flush, epoch ms: lastSeen of every pole in the batch. */
  receivedAt: number;
  telemetry: TelemetryPayload[];
  alarms: AlarmPayload[];
  events: EventPayload[];
  /** In arrival order: for each pole the last one wins (the broker orders a will before a reconnect). */
  states: StatePayload[];
  births: BirthPayload[];
  blobs: BlobRecord[];
  deadLetters: DeadLetter[];
}

/** Which parts of a batch were already in the store (dropped as duplicates by pole, stream, seq). */
export interface BatchResult {
  /** Per telemetry payload, in batch order: how many of its readings were duplicates. */
  telemetryDuplicates: number[];
  alarmDuplicates: boolean[];
  eventDuplicates: boolean[];
}

export type Presence = 'online' | 'offline' | 'unknown';

export interface PoleSummary {
  id: string;
  state: Presence;
  /** Server time of the last message from the pole, epoch ms. */
  lastSeen: number | null;
  location: BirthPayload['location'] | null;
  componentCode: string | null;
  activeAlarms: number;
}

export interface LatestValue {
  ts: number;
  value: ReadingValue;
  quality: Quality;
}

export interface MetricView {
  name: string;
  unit: string;
  type: 'number' | 'boolean' | 'string';
  latest: LatestValue | null;
}

export interface DeviceView {
  id: string;
  /** Null for a device that sent readings but is not in the pole's birth. */
  driver: string | null;
  model: string | null;
  metrics: MetricView[];
}

export interface PoleDetail extends PoleSummary {
  stateTs: number | null;
  bootId: string | null;
  birth: Pick<BirthPayload, 'ts' | 'bootId' | 'agent' | 'configHash'> | null;
  devices: DeviceView[];
}

export interface SeriesQuery {
  pole: string;
  device: string;
  metric: string;
  /** Inclusive bounds, epoch ms. */
  from: number;
  to: number;
  limit: number;
  /** Continue after this position (the `next` of the previous page). */
  after?: PageKey;
}

export type Point = LatestValue;

export interface StoredDeadLetter extends DeadLetter {
  id: number;
  receivedAt: number;
}

export interface StoreCounts {
  poles: number;
  readings: number;
  alarms: number;
  events: number;
  blobs: number;
  deadLetters: number;
}

/**
 * Where a page of a list ended: the sort key of its last item (keyset pagination, not OFFSET, so a
 * page costs the same deep in a list and rows written meanwhile shift nothing). The HTTP API hands
 * it to clients as an opaque cursor; each list documents its key's parts below.
 */
export type PageKey = (string | number)[];

export interface PageQuery {
  limit: number;
  after?: PageKey;
}

export interface Page<T> {
  items: T[];
  /** The key to continue after, or null when this page is the last. */
  next: PageKey | null;
}

/** A page from rows fetched with LIMIT limit + 1: the extra row only says that there is more. */
export function toPage<R, T>(rows: R[], limit: number, key: (row: R) => PageKey, view: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  return { items: kept.map(view), next: more ? key(kept[kept.length - 1]!) : null };
}

/** Numeric keys for the first page of a list that sorts ascending / descending by numbers. */
export const FIRST_ASCENDING = -1;
export const FIRST_DESCENDING = Number.MAX_SAFE_INTEGER;

export interface Store {
  writeBatch(batch: IngestBatch): Promise<BatchResult>;
  /** By pole id; key [id]. */
  listPoles(page: PageQuery): Promise<Page<PoleSummary>>;
  getPole(id: string): Promise<PoleDetail | undefined>;
  /** Points in time order, key [ts, stream, seq]; undefined when the pole, device or metric is unknown. */
  series(query: SeriesQuery): Promise<Page<Point> | undefined>;
  /** Latest first; key [id]. */
  deadLetters(page: PageQuery): Promise<Page<StoredDeadLetter>>;
  blob(sha256: string): Promise<Buffer | undefined>;
  /** The pole's alarms (raised and cleared messages), newest first, key [ts, stream, seq]; undefined for an unknown pole. */
  recentAlarms(pole: string, page: PageQuery): Promise<Page<StoredAlarm> | undefined>;
  /** The pole's events, newest first, key [ts, stream, seq]; undefined for an unknown pole. */
  recentEvents(pole: string, page: PageQuery): Promise<Page<StoredEvent> | undefined>;
  /** Alarms of every pole (one per alarm id), newest raised first, key [raisedAt, pole, id]. */
  alarms(filter: AlarmFilter, page: PageQuery): Promise<Page<AlarmRecord>>;
  /** Events of every pole, newest first, key [ts, stream, seq]. */
  events(filter: EventFilter, page: PageQuery): Promise<Page<CityEvent>>;
  counts(): Promise<StoreCounts>;
  /** Keeps a new command, pending (commands.ts). */
  addCommand(command: NewCommand): Promise<void>;
  /** The command as of `now` (a pending one past its expiry reads as expired). */
  getCommand(id: string, now: number): Promise<CommandRecord | undefined>;
  /** Stores the pole's answer to a pending command; false when there is none of that id for that pole. */
  commandResult(pole: string, result: CommandResultPayload): Promise<boolean>;
  /** The pole's pending commands not expired at `now`, oldest first: to send when it comes online. */
  pendingCommands(pole: string, now: number): Promise<CommandRecord[]>;
  /** The pole's commands, newest first, key [createdAt, id]. */
  listCommands(pole: string, page: PageQuery, now: number): Promise<Page<CommandRecord>>;
  /** Poles on record as online become unknown (their lastSeen kept); how many. For a cloud start. */
  forgetPresence(): Promise<number>;
  close(): Promise<void>;
}

export type NewCommand = Omit<CommandRecord, 'status' | 'result'>;

/** An empty batch, to be filled by the ingest queue. */
export function emptyBatch(receivedAt: number): IngestBatch {
  return { receivedAt, telemetry: [], alarms: [], events: [], states: [], births: [], blobs: [], deadLetters: [] };
}
