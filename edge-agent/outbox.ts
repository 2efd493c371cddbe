// The durable outbox (docs/operations.md, "The buffer (outbox)"): every message bound for the cloud is committed to SQLite
// before anything else sees it, and deleted only after the broker's PUBACK.
//
// Rows: one row per alarm, per event, and per chunk of up to `rowReadings` telemetry readings. A chunk
// keeps its readings as ready-made JSON (the `readings` array items, comma-joined, each with its seq),
// so appending a poll is one INSERT per chunk and a telemetry batch is a string join, not a JSON row
// and a parse per reading. A row's key is its first seq; a chunk holds `count` consecutive seqs.
//
// Durability: WAL with synchronous=NORMAL. A commit survives the process being killed; a power cut can
// roll back what was committed since the WAL was last synced. That is harmless for a message nobody has
// seen (its seq is given again after the reboot), but fatal for one already published: the cloud would
// drop the new message given the same seq as a duplicate. So nothing leaves before it is durable:
// `nextBatch` syncs the WAL before it hands out a row committed since the last sync (one fdatasync per
// publish round at most, none while the uplink only drains older rows), and `checkpoint()`, called
// periodically by the agent, syncs too, which bounds what a power cut can take while the link is down.
// The sync is an fdatasync of the WAL file through a descriptor of our own: the kernel syncs the file,
// not the descriptor, so SQLite's frames are on disk afterwards, without writing a page more (a tiny
// synchronous=FULL commit would add a WAL frame per publish round: flash wear for nothing). FULL for
// every telemetry commit would fsync at every poll, which costs tens of ms on SD cards and eMMC. Alarms
// and events are rare and matter most, so they alone are committed with synchronous=FULL, as are
// evictions.
//
// Budget (budget.ts): the database and its WAL stay within `maxBytes`. When the database's used pages
// pass the high mark, the oldest telemetry not in flight is evicted (then the oldest events, but only
// to make room for an event or an alarm; alarms never), in bounded transactions that also commit one
// `gap` event per device (gap.ts). A message that finds nothing of its own priority or lower to evict
// is refused with OUTBOX_FULL: the agent holds it in memory instead. Counting used pages is a query, so
// a commit runs it only when the bytes appended since the last count could have reached the high mark.
// A budget lowered below the file's size is met at open: eviction as above, then VACUUM.
import { randomUUID } from 'node:crypto';
import { closeSync, fdatasyncSync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { AlarmPayload, EventPayload } from '../contract/schemas.js';
import { PolegateError } from '../config/errors.js';
import { preparePrivateDatabase } from '../config/private-files.js';
import { DEFAULT_BUFFER_BYTES, planBudget, type BufferBudget } from './budget.js';
import { GapTally } from './gap.js';
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
  /** Readings and events evicted by the budget since the outbox was opened. */
  evicted: { readings: number; events: number };
}

export interface OutboxOptions {
  /** Largest number of readings in one row; appends are split into rows of this size. */
  rowReadings?: number;
  /** Budget for the database and its WAL together, bytes (DEFAULT_BUFFER_BYTES). */
  maxBytes?: number;
  /** Epoch ms, for the `ts` of gap events. */
  now?: () => number;
}

type Row = { seq: number; count: number; body: string };
type NewRow = { seq: number; kind: number; count: number; body: string };

/**
 * A series (device, metric, unit) repeats on every poll: its JSON around the value is built once
 * (bounded, for safety), so a reading costs one lookup and a few concatenations.
 */
const series = new Map<string, { head: string; tail: string }>();
function seriesJson(r: NormalizedReading): { head: string; tail: string } {
  const key = `${r.device}\u0000${r.metric}\u0000${r.unit}`;
  let json = series.get(key);
  if (json === undefined) {
    if (series.size >= 10_000) series.clear();
    json = { head: `,"device":${JSON.stringify(r.device)},"metric":${JSON.stringify(r.metric)},"value":`, tail: `,"unit":${JSON.stringify(r.unit)},"ts":` };
    series.set(key, json);
  }
  return json;
}

function readingJson(seq: number, r: NormalizedReading): string {
  const value = typeof r.value === 'string' ? JSON.stringify(r.value) : String(r.value);
  const { head, tail } = seriesJson(r);
  const reason = r.reason === undefined ? '' : `,"reason":${JSON.stringify(r.reason)}`;
  return `{"seq":${seq}${head}${value}${tail}${r.ts},"quality":"${r.quality}"${reason}}`;
}

/**
 * An upper bound of the pages that committing `rows` can add to the database: their bytes plus a row's
 * cell, record header and index entry, at half a page's fill, and two pages for interior pages split
 * on the way. Used to skip counting pages while the high mark is out of reach; the page cap
 * (max_page_count) stays the backstop either way.
 */
function pagesBound(rows: readonly NewRow[], pageSize: number): number {
  let bytes = 0;
  for (const row of rows) bytes += Buffer.byteLength(row.body) + 64;
  return Math.ceil((2 * bytes) / pageSize) + 2;
}

/** An SQLITE_FULL from better-sqlite3: the page cap or the disk itself. */
function isFull(err: unknown): boolean {
  return (err as { code?: string }).code === 'SQLITE_FULL';
}

export class Outbox {
  readonly stream: string;
  private nextSeq: number;
  private readonly inFlight = new Set<number>();
  /** Keys of rows the broker acknowledged but the disk refused to delete (see `ack`). */
  private ackedNotDeleted: number[] = [];
  /** Per kind: every row keyed at or below this has been offered (it is in flight, acked, or released). */
  private readonly offered: Record<MessageKind, number> = { alarm: -1, event: -1, telemetry: -1 };
  /** Per kind: the highest key committed, so that a caught-up kind costs no query. */
  private readonly newest: Record<MessageKind, number> = { alarm: -1, event: -1, telemetry: -1 };
  private readonly evicted = { readings: 0, events: 0 };
  private readonly rowReadings: number;
  private readonly now: () => number;
  private readonly budget: BufferBudget;
  private readonly selectAfter: Database.Statement<[number, number, number], Row>;
  private readonly selectOldest: Database.Statement<[number, number], Row>;
  private readonly usedPages: () => number;
  private readonly pageSize: number;
  /** Used pages when last counted, plus the bound of what was appended since (never below the truth). */
  private usedBound = 0;
  /** A descriptor of the WAL file, to sync it (see "Durability" above). */
  private readonly walFd: number;
  /**
   * The lowest seq committed since the WAL was last synced, Infinity when all is synced. At open the
   * previous run's commits may still be in the page cache only (it was killed), so: from 0.
   */
  private unsyncedFrom = 0;
  /** Inside a synchronous=FULL section. */
  private fullSync = false;
  private readonly pendingByKind: Database.Statement<[], { kind: number; n: number }>;
  private readonly hasRow: Database.Statement<[number], { seq: number }>;
  private readonly selectFirst: Database.Statement<[], { kind: number; body: string }>;
  /** One transaction: delete `keys`, insert `rows`, record `nextSeq`. */
  private readonly write: (keys: readonly number[], rows: readonly NewRow[], nextSeq: number) => void;

  private constructor(private readonly db: Database.Database, opts: OutboxOptions) {
    this.rowReadings = opts.rowReadings ?? 100;
    this.now = opts.now ?? Date.now;
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY, kind INTEGER NOT NULL, count INTEGER NOT NULL, body TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS messages_by_kind ON messages (kind, seq);
    `);
    this.pageSize = db.pragma('page_size', { simple: true }) as number;
    this.budget = planBudget(opts.maxBytes ?? DEFAULT_BUFFER_BYTES, this.pageSize);
    db.pragma(`wal_autocheckpoint = ${this.budget.walCheckpointPages}`);
    db.pragma(`journal_size_limit = ${this.budget.walBytes}`);
    const seed = db.prepare<[string, string]>('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)');
    seed.run('stream', randomUUID());
    seed.run('nextSeq', '0');
    const meta = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
    this.stream = meta.get('stream')!.value;
    this.nextSeq = Number(meta.get('nextSeq')!.value);
    for (const { kind, top } of db.prepare<[], { kind: number; top: number }>('SELECT kind, MAX(seq) AS top FROM messages GROUP BY kind').all()) this.newest[KINDS[kind]!] = top;
    this.selectAfter = db.prepare('SELECT seq, count, body FROM messages WHERE kind = ? AND seq > ? ORDER BY seq LIMIT ?');
    this.selectOldest = db.prepare('SELECT seq, count, body FROM messages WHERE kind = ? ORDER BY seq LIMIT ?');
    const used = db.prepare<[], { used: number }>('SELECT p.page_count - f.freelist_count AS used FROM pragma_page_count() p, pragma_freelist_count() f');
    this.usedPages = () => used.get()!.used;
    this.pendingByKind = db.prepare('SELECT kind, SUM(count) AS n FROM messages GROUP BY kind');
    this.hasRow = db.prepare('SELECT seq FROM messages WHERE seq = ?');
    this.selectFirst = db.prepare('SELECT kind, body FROM messages ORDER BY seq LIMIT 1');
    const insert = db.prepare<[number, number, number, string]>('INSERT INTO messages (seq, kind, count, body) VALUES (?, ?, ?, ?)');
    const remove = db.prepare<[number]>('DELETE FROM messages WHERE seq = ?');
    const saveSeq = db.prepare<[string]>("UPDATE meta SET value = ? WHERE key = 'nextSeq'");
    this.write = db.transaction((keys: readonly number[], rows: readonly NewRow[], nextSeq: number) => {
      for (const key of keys) remove.run(key);
      for (const row of rows) insert.run(row.seq, row.kind, row.count, row.body);
      if (rows.length > 0) saveSeq.run(String(nextSeq));
    });
    this.fitBudget();
    // Set after fitting: SQLite will not set the cap below the file's current size.
    db.pragma(`max_page_count = ${this.budget.dbPages}`);
    // SQLite syncs the folder when it first syncs a new WAL itself; our syncs of the WAL do not, so
    // the folder is synced here, once, or a power cut could take the WAL's very name.
    const folder = openSync(dirname(db.name), 'r');
    try {
      fsyncSync(folder);
    } finally {
      closeSync(folder);
    }
    this.walFd = openSync(`${db.name}-wal`, 'r');
  }

  /**
   * A budget lowered below the file's size (buffer.maxBytes edited): evict down to the low mark, oldest
   * telemetry first, then events (alarms never), with gap events as always; then VACUUM gives the freed
   * pages back to the file system and a TRUNCATE checkpoint empties the WAL. VACUUM rather than
   * incremental_vacuum: that needs auto_vacuum set when the file is created, which costs a pointer-map
   * page write on commits that allocate pages, every day, for an operation that happens once in the
   * life of a pole; VACUUM works on every file. While it runs the WAL grows to about the size of the
   * data kept (the rewritten pages), next to the old file.
   */
  private fitBudget(): void {
    if ((this.db.pragma('page_count', { simple: true }) as number) > this.budget.dbPages) {
      if (this.countUsed() > this.budget.highPages) this.evict(['telemetry', 'event'], this.budget.lowPages, this.nextSeq);
      this.db.exec('VACUUM');
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    }
    this.countUsed();
  }

  private countUsed(): number {
    this.usedBound = this.usedPages();
    return this.usedBound;
  }

  /** Opens (or creates, with a new stream id) the outbox file; creates its folder. */
  static open(path: string, opts: OutboxOptions = {}): Outbox {
    let db: Database.Database | undefined;
    try {
      preparePrivateDatabase(path);
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      return new Outbox(db, opts);
    } catch (err) {
      db?.close();
      if (err instanceof PolegateError) throw err;
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
    this.commit('telemetry', rows, seqFirst + readings.length);
    return { seqFirst, seqLast: seqFirst + readings.length - 1 };
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
    this.synced(() => this.commit(kind, [{ seq, kind: KIND_CODE[kind], count: 1, body }], seq + 1));
    return seq;
  }

  /** Runs `fn`'s commits with synchronous=FULL (nested calls stay FULL to the end of the outer one). */
  private synced(fn: () => void): void {
    if (this.fullSync) return fn();
    this.db.pragma('synchronous = FULL');
    this.fullSync = true;
    try {
      fn();
      // The last commit synced the WAL, and with it every frame written before.
      this.unsyncedFrom = Infinity;
    } finally {
      this.db.pragma('synchronous = NORMAL');
      this.fullSync = false;
    }
  }

  /** Makes every commit so far durable, unless it already is; false when the disk refuses. */
  private syncWal(): boolean {
    if (this.unsyncedFrom === Infinity) return true;
    try {
      fdatasyncSync(this.walFd);
    } catch {
      return false;
    }
    this.unsyncedFrom = Infinity;
    return true;
  }

  /**
   * Commits new rows within the budget: past the high mark it evicts (telemetry for telemetry; events
   * too for events and alarms); when the page cap refuses the rows it evicts and tries once more.
   */
  private commit(kind: MessageKind, rows: NewRow[], nextSeq: number): void {
    const victims: MessageKind[] = kind === 'telemetry' ? ['telemetry'] : ['telemetry', 'event'];
    try {
      this.write([], rows, nextSeq);
    } catch (err) {
      // The eviction's gap events take the seqs after the rows; if the rows are still refused, their
      // seqs stay unused (a seq gap is not a loss: the caller keeps the rows and commits them later).
      // Full below the high mark is the disk, not the budget: evicting would not be the budget's doing.
      const overBudget = isFull(err) && this.countUsed() >= this.budget.highPages;
      if (!overBudget || !this.evict(victims, this.budget.lowPages, nextSeq)) {
        throw overBudget ? new PolegateError(`the outbox is full (buffer.maxBytes ${this.budget.maxBytes}) of messages that may not be evicted for ${kind}`, 'OUTBOX_FULL') : err;
      }
      this.write([], rows, this.nextSeq);
      nextSeq = this.nextSeq;
    }
    this.nextSeq = nextSeq;
    this.newest[kind] = Math.max(this.newest[kind], rows[rows.length - 1]!.seq);
    this.unsyncedFrom = Math.min(this.unsyncedFrom, rows[0]!.seq);
    this.usedBound += pagesBound(rows, this.pageSize);
    if (this.usedBound > this.budget.highPages && this.countUsed() > this.budget.highPages) this.evict(victims, this.budget.lowPages, this.nextSeq);
  }

  /**
   * Deletes the oldest rows of `victims` (in that order) that are not in flight until at most
   * `targetPages` are used, in rounds of one transaction each that also commits the gap events, whose
   * seqs start at `seqFrom`. Returns whether anything was evicted.
   */
  private evict(victims: readonly MessageKind[], targetPages: number, seqFrom: number): boolean {
    let any = false;
    for (const kind of victims) {
      while (this.countUsed() > targetPages) {
        const rows = this.selectOldest.all(KIND_CODE[kind], 16 + this.inFlight.size).filter((r) => !this.inFlight.has(r.seq));
        if (rows.length === 0) break;
        const tally = new GapTally();
        for (const row of rows) {
          if (kind === 'telemetry') tally.addReadingsJson(row.body);
          else tally.addEvent(JSON.parse(row.body) as OutboxEvent);
        }
        const ts = this.now();
        const gaps = tally.take('buffer-full', ts).map((event, i): NewRow => ({ seq: seqFrom + i, kind: KIND_CODE.event, count: 1, body: JSON.stringify(event) }));
        seqFrom += gaps.length;
        this.synced(() => this.write(rows.map((r) => r.seq), gaps, seqFrom));
        this.nextSeq = seqFrom;
        this.newest.event = gaps[gaps.length - 1]!.seq;
        const lost = rows.reduce((n, r) => n + r.count, 0);
        if (kind === 'telemetry') this.evicted.readings += lost;
        else this.evicted.events += lost;
        any = true;
      }
    }
    return any;
  }

  /**
   * The next batch not already in flight, highest priority first (alarms, events, telemetry), or
   * undefined when nothing is pending. A telemetry batch takes whole rows while it stays within
   * `maxReadings` and `maxBytes` of body (its first row always, so an oversized row still leaves).
   */
  nextBatch(limits: { maxReadings: number; maxBytes: number }): OutboxBatch | undefined {
    for (const kind of KINDS) {
      if (this.offered[kind] >= this.newest[kind]) continue;
      const single = kind !== 'telemetry';
      const rows: Row[] = [];
      let count = 0;
      let bytes = 0;
      let after = this.offered[kind];
      // Fetch about what one batch can take: bodies are large, and rows past the limits are wasted reads.
      const pageRows = single ? 2 : Math.min(64, Math.ceil(limits.maxReadings / this.rowReadings) + 1);
      scan: for (;;) {
        const page = this.selectAfter.all(KIND_CODE[kind], after, pageRows);
        for (const row of page) {
          after = row.seq;
          if (this.inFlight.has(row.seq)) continue;
          const size = Buffer.byteLength(row.body) + 1;
          if (rows.length > 0 && (single || count + row.count > limits.maxReadings || bytes + size > limits.maxBytes)) break scan;
          rows.push(row);
          count += row.count;
          bytes += size;
        }
        if (page.length < pageRows) break;
      }
      if (rows.length === 0) continue;
      const last = rows[rows.length - 1]!;
      const seqLast = last.seq + last.count - 1;
      // Nothing leaves before it is durable (see "Durability" above); if the disk refuses to sync,
      // nothing leaves this round, and the next round tries again.
      if (seqLast >= this.unsyncedFrom && !this.syncWal()) return undefined;
      for (const row of rows) this.inFlight.add(row.seq);
      this.offered[kind] = Math.max(this.offered[kind], last.seq);
      return {
        kind,
        rows: rows.map((r) => r.seq),
        seqFirst: rows[0]!.seq,
        seqLast,
        count,
        body: rows.map((r) => r.body).join(','),
      };
    }
    return undefined;
  }

  /**
   * The broker has the batch: delete it. A disk that refuses the delete (full, read-only) must not
   * stop the uplink: the rows stay in flight (neither offered again nor evicted) and their delete is
   * retried with the next ack; after a restart they are sent again, which the cloud drops as duplicates.
   */
  ack(batch: OutboxBatch): void {
    const keys = this.ackedNotDeleted.concat(batch.rows);
    try {
      this.write(keys, [], this.nextSeq);
    } catch {
      this.ackedNotDeleted = keys;
      return;
    }
    this.ackedNotDeleted = [];
    for (const key of keys) this.inFlight.delete(key);
  }

  /** The batch was not acknowledged (a disconnect): offer it again. */
  release(batch: OutboxBatch): void {
    for (const key of batch.rows) this.inFlight.delete(key);
    this.offered[batch.kind] = Math.min(this.offered[batch.kind], batch.rows[0]! - 1);
  }

  /** Whether the alarm or event committed as `seq` is still here (not yet acknowledged by the broker). */
  isPending(seq: number): boolean {
    return this.hasRow.get(seq) !== undefined;
  }

  /** Number of seqs handed out so far; everything below it is committed. */
  get seqEnd(): number {
    return this.nextSeq;
  }

  /** The `ts` of the oldest message not acknowledged yet (the lowest seq), for the status page; a query and a parse, so not for the hot path. */
  oldestPendingTs(): number | undefined {
    const row = this.selectFirst.get();
    if (!row) return undefined;
    const first = (row.kind === KIND_CODE.telemetry ? (JSON.parse(`[${row.body}]`) as Array<{ ts?: unknown }>)[0] : JSON.parse(row.body)) as { ts?: unknown } | undefined;
    return typeof first?.ts === 'number' ? first.ts : undefined;
  }

  stats(): OutboxStats {
    const pending: Record<MessageKind, number> = { alarm: 0, event: 0, telemetry: 0 };
    for (const { kind, n } of this.pendingByKind.all()) pending[KINDS[kind]!] = n;
    const pageCount = this.db.pragma('page_count', { simple: true }) as number;
    return { stream: this.stream, nextSeq: this.nextSeq, pending, inFlightRows: this.inFlight.size, fileBytes: this.pageSize * pageCount, evicted: { ...this.evicted } };
  }

  /** Syncs the WAL and folds it into the database: bounds what a power cut can take while nothing is sent. */
  checkpoint(): void {
    this.syncWal();
    this.db.pragma('wal_checkpoint(PASSIVE)');
  }

  close(): void {
    if (!this.db.open) return;
    closeSync(this.walFd);
    this.db.close();
  }
}
