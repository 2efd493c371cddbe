// The durable outbox (DESIGN.md, "Outbox"): every message bound for the cloud is committed to SQLite
// before anything else sees it, and deleted only after the broker's PUBACK.
//
// Rows: one row per alarm, per event, and per chunk of up to `rowReadings` telemetry readings. A chunk
// keeps its readings as ready-made JSON (the `readings` array items, comma-joined, each with its seq),
// so appending a poll is one INSERT per chunk and a telemetry batch is a string join, not a JSON row
// and a parse per reading. A row's key is its first seq; a chunk holds `count` consecutive seqs.
//
// Durability: WAL with synchronous=NORMAL. A commit survives the process being killed; a power cut can
// roll back what was committed since the WAL was last synced, which happens at every checkpoint
// (`checkpoint()`, called periodically by the agent, bounds that window). FULL would fsync at every
// poll, which costs tens of ms on SD cards and eMMC and wears them out. Alarms and events are rare and
// matter most, so they alone are committed with synchronous=FULL.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { AlarmPayload, EventPayload } from '../contract/schemas.js';
import { PolegateError } from '../config/errors.js';
import type { NormalizedReading } from './reading.js';

export type Alarm = AlarmPayload['alarm'];
export type OutboxEvent = EventPayload['event'];
export type MessageKind = 'alarm' | 'event' | 'telemetry';

/** Kinds in the order a batch request serves them. */
const KINDS: readonly MessageKind[] = ['alarm', 'event', 'telemetry'];
const KIND_CODE: Record<MessageKind, number> = { alarm: 0, event: 1, telemetry: 2 };

export interface OutboxBatch {
  kind: MessageKind;
  /** Keys (first seqs) of the rows in this batch. */
  rows: number[];
  seqFirst: number;
  seqLast: number;
  /** Messages: readings for telemetry, 1 for an alarm or an event. */
  count: number;
  /** Telemetry: the comma-joined JSON readings; alarm/event: the JSON alarm or event object. */
  body: string;
}

export interface OutboxStats {
  stream: string;
  nextSeq: number;
  pending: Record<MessageKind, number>;
  inFlightRows: number;
  fileBytes: number;
}

export interface OutboxOptions {
  /** Largest number of readings in one row; appends are split into rows of this size. */
  rowReadings?: number;
}

type Row = { seq: number; count: number; body: string };
type NewRow = { seq: number; kind: number; count: number; body: string };

/** Device, metric and unit names repeat on every poll: quote each once (bounded, for safety). */
const quoted = new Map<string, string>();
function quote(name: string): string {
  let q = quoted.get(name);
  if (q === undefined) {
    if (quoted.size >= 10_000) quoted.clear();
    q = JSON.stringify(name);
    quoted.set(name, q);
  }
  return q;
}

function readingJson(seq: number, r: NormalizedReading): string {
  const value = typeof r.value === 'string' ? JSON.stringify(r.value) : String(r.value);
  return `{"seq":${seq},"device":${quote(r.device)},"metric":${quote(r.metric)},"value":${value},"unit":${quote(r.unit)},"ts":${r.ts},"quality":"${r.quality}"}`;
}

export class Outbox {
  readonly stream: string;
  private nextSeq: number;
  private readonly inFlight = new Set<number>();
  /** Per kind: every row keyed at or below this has been offered (it is in flight, acked, or released). */
  private readonly offered: Record<MessageKind, number> = { alarm: -1, event: -1, telemetry: -1 };
  private readonly rowReadings: number;
  private readonly selectAfter: Database.Statement<[number, number, number], Row>;
  private readonly commit: (rows: NewRow[], nextSeq: number) => void;
  private readonly removeRows: (keys: number[]) => void;

  private constructor(private readonly db: Database.Database, opts: OutboxOptions) {
    this.rowReadings = opts.rowReadings ?? 100;
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY, kind INTEGER NOT NULL, count INTEGER NOT NULL, body TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS messages_by_kind ON messages (kind, seq);
    `);
    const seed = db.prepare<[string, string]>('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)');
    seed.run('stream', randomUUID());
    seed.run('nextSeq', '0');
    const meta = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
    this.stream = meta.get('stream')!.value;
    this.nextSeq = Number(meta.get('nextSeq')!.value);
    this.selectAfter = db.prepare('SELECT seq, count, body FROM messages WHERE kind = ? AND seq > ? ORDER BY seq LIMIT ?');
    const insert = db.prepare<[number, number, number, string]>('INSERT INTO messages (seq, kind, count, body) VALUES (?, ?, ?, ?)');
    const saveSeq = db.prepare<[string]>("UPDATE meta SET value = ? WHERE key = 'nextSeq'");
    this.commit = db.transaction((rows: NewRow[], nextSeq: number) => {
      for (const row of rows) insert.run(row.seq, row.kind, row.count, row.body);
      saveSeq.run(String(nextSeq));
    });
    const remove = db.prepare<[number]>('DELETE FROM messages WHERE seq = ?');
    this.removeRows = db.transaction((keys: number[]) => {
      for (const key of keys) remove.run(key);
    });
  }

  /** Opens (or creates, with a new stream id) the outbox file; creates its folder. */
  static open(path: string, opts: OutboxOptions = {}): Outbox {
    let db: Database.Database | undefined;
    try {
      mkdirSync(dirname(path), { recursive: true });
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      return new Outbox(db, opts);
    } catch (err) {
      db?.close();
      throw new PolegateError(
        `cannot open the outbox ${path}: ${(err as Error).message}. Check that buffer.path in the manifest names a writable file on a local disk, or move a damaged file aside.`,
        'OUTBOX_OPEN',
      );
    }
  }

  /** Commits readings in one transaction; returns the seqs given to the first and last. */
  appendReadings(readings: readonly NormalizedReading[]): { seqFirst: number; seqLast: number } | undefined {
    if (readings.length === 0) return undefined;
    const seqFirst = this.nextSeq;
    const rows: NewRow[] = [];
    for (let start = 0; start < readings.length; start += this.rowReadings) {
      const chunk = readings.slice(start, start + this.rowReadings);
      const seq = seqFirst + start;
      rows.push({ seq, kind: KIND_CODE.telemetry, count: chunk.length, body: chunk.map((r, i) => readingJson(seq + i, r)).join(',') });
    }
    this.commit(rows, seqFirst + readings.length);
    this.nextSeq = seqFirst + readings.length;
    return { seqFirst, seqLast: this.nextSeq - 1 };
  }

  /** Commits one alarm, durably (synchronous=FULL); returns its seq. */
  appendAlarm(alarm: Alarm): number {
    return this.appendOne('alarm', JSON.stringify(alarm));
  }

  /** Commits one event, durably (synchronous=FULL); returns its seq. */
  appendEvent(event: OutboxEvent): number {
    return this.appendOne('event', JSON.stringify(event));
  }

  private appendOne(kind: MessageKind, body: string): number {
    const seq = this.nextSeq;
    this.db.pragma('synchronous = FULL');
    try {
      this.commit([{ seq, kind: KIND_CODE[kind], count: 1, body }], seq + 1);
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
    this.nextSeq = seq + 1;
    return seq;
  }

  /**
   * The next batch not already in flight, highest priority first (alarms, events, telemetry), or
   * undefined when nothing is pending. A telemetry batch takes whole rows while it stays within
   * `maxReadings` and `maxBytes` of body (its first row always, so an oversized row still leaves).
   */
  nextBatch(limits: { maxReadings: number; maxBytes: number }): OutboxBatch | undefined {
    for (const kind of KINDS) {
      const single = kind !== 'telemetry';
      const rows: Row[] = [];
      let count = 0;
      let bytes = 0;
      let after = this.offered[kind];
      scan: for (;;) {
        const page = this.selectAfter.all(KIND_CODE[kind], after, 64);
        for (const row of page) {
          after = row.seq;
          if (this.inFlight.has(row.seq)) continue;
          const size = Buffer.byteLength(row.body) + 1;
          if (rows.length > 0 && (single || count + row.count > limits.maxReadings || bytes + size > limits.maxBytes)) break scan;
          rows.push(row);
          count += row.count;
          bytes += size;
        }
        if (page.length < 64) break;
      }
      if (rows.length === 0) continue;
      for (const row of rows) this.inFlight.add(row.seq);
      this.offered[kind] = Math.max(this.offered[kind], rows[rows.length - 1]!.seq);
      const last = rows[rows.length - 1]!;
      return {
        kind,
        rows: rows.map((r) => r.seq),
        seqFirst: rows[0]!.seq,
        seqLast: last.seq + last.count - 1,
        count,
        body: rows.map((r) => r.body).join(','),
      };
    }
    return undefined;
  }

  /** The broker has the batch: delete it. */
  ack(batch: OutboxBatch): void {
    this.removeRows(batch.rows);
    for (const key of batch.rows) this.inFlight.delete(key);
  }

  /** The batch was not acknowledged (a disconnect): offer it again. */
  release(batch: OutboxBatch): void {
    for (const key of batch.rows) this.inFlight.delete(key);
    this.offered[batch.kind] = Math.min(this.offered[batch.kind], batch.rows[0]! - 1);
  }

  /** Number of seqs handed out so far; everything below it is committed. */
  get seqEnd(): number {
    return this.nextSeq;
  }

  stats(): OutboxStats {
    const pending: Record<MessageKind, number> = { alarm: 0, event: 0, telemetry: 0 };
    const sums = this.db.prepare<[], { kind: number; n: number }>('SELECT kind, SUM(count) AS n FROM messages GROUP BY kind').all();
    for (const { kind, n } of sums) pending[KINDS[kind]!] = n;
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    const pageCount = this.db.pragma('page_count', { simple: true }) as number;
    return { stream: this.stream, nextSeq: this.nextSeq, pending, inFlightRows: this.inFlight.size, fileBytes: pageSize * pageCount };
  }

  /** Syncs the WAL to disk and folds it into the database: bounds what a power cut can take. */
  checkpoint(): void {
    this.db.pragma('wal_checkpoint(PASSIVE)');
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
