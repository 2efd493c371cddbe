// Camera snapshots kept on the pole until the cloud has them (docs/manifest.md, "buffer.snapshots").
// A file of their own beside the outbox, so pictures never take the readings' room: the outbox's
// budget counts readings, alarms and events only, this one counts snapshot bytes, and each evicts
// within itself. A snapshot is keyed by its sha256 and leaves on `{root}/{pole}/blob/{sha256}`.
//
// Order: a snapshot is published only after the message that refers to it (the alarm, the
// `snapshot` event) has left the outbox, so pictures never go before, nor delay, what they belong to.
// Its row names that message's seq (`ref_seq`): -1 while the message is not committed yet (see
// `link`), NULL when there is nothing to wait for. Rows are deleted only after the broker's PUBACK.
//
// Budget: the stored bytes stay within `maxBytes` (oldest first out, never one in flight), and a
// snapshot older than `maxAgeMs` is dropped; both are returned to the caller, which reports them as
// `gap` events. A picture alone larger than `maxSnapshotBytes` is refused: the cloud's broker refuses
// a publish over its payload limit (1 MiB by default), and one it never acknowledges would be sent
// again after every reconnect.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { PolegateError } from '../config/errors.js';

export interface SnapshotBudget {
  maxBytes: number;
  maxAgeMs: number;
  maxSnapshotBytes: number;
}

export const DEFAULT_SNAPSHOT_BUDGET: SnapshotBudget = { maxBytes: 64 * 2 ** 20, maxAgeMs: 24 * 3600_000, maxSnapshotBytes: 2 ** 20 };

/** A snapshot the budget dropped before it was sent. */
export interface DroppedSnapshot {
  sha256: string;
  device: string;
  ts: number;
}

export interface PendingBlob {
  sha256: string;
  bytes: Buffer;
}

/** Where the snapshots live: beside the outbox, `outbox.db` → `outbox-snapshots.db`. */
export function snapshotPath(outboxPath: string): string {
  return `${outboxPath.replace(/\.db$/, '')}-snapshots.db`;
}

export class SnapshotStore {
  private readonly inFlight = new Set<string>();
  private storedBytes: number;
  /** Rows stored: an empty store (nearly always, on a pole without cameras) costs no query. */
  private rows: number;
  private readonly sql;

  private constructor(private readonly db: Database.Database, readonly budget: SnapshotBudget, private readonly now: () => number) {
    db.exec(`CREATE TABLE IF NOT EXISTS snapshots (
      id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, device TEXT NOT NULL, ts INTEGER NOT NULL,
      size INTEGER NOT NULL, ref_seq INTEGER, bytes BLOB NOT NULL)`);
    // A message that was never committed (the agent stopped in between) has nothing to wait for.
    db.exec('UPDATE snapshots SET ref_seq = NULL WHERE ref_seq = -1');
    this.sql = {
      find: db.prepare<[string], { id: number }>('SELECT id FROM snapshots WHERE sha256 = ?'),
      insert: db.prepare<[string, string, number, number, Buffer]>('INSERT INTO snapshots (sha256, device, ts, size, ref_seq, bytes) VALUES (?, ?, ?, ?, -1, ?)'),
      rewait: db.prepare<[number, string]>('UPDATE snapshots SET ts = ?, ref_seq = -1 WHERE sha256 = ?'),
      link: db.prepare<[number | null, string]>('UPDATE snapshots SET ref_seq = ? WHERE sha256 = ?'),
      oldest: db.prepare<[number], { sha256: string; device: string; ts: number; size: number; ref_seq: number | null }>('SELECT sha256, device, ts, size, ref_seq FROM snapshots ORDER BY id LIMIT ?'),
      olderThan: db.prepare<[number], { sha256: string; device: string; ts: number; size: number }>('SELECT sha256, device, ts, size FROM snapshots WHERE ts < ? ORDER BY id'),
      bytes: db.prepare<[string], { bytes: Buffer }>('SELECT bytes FROM snapshots WHERE sha256 = ?'),
      size: db.prepare<[string], { size: number }>('SELECT size FROM snapshots WHERE sha256 = ?'),
      remove: db.prepare<[string]>('DELETE FROM snapshots WHERE sha256 = ?'),
      total: db.prepare<[], { n: number; bytes: number | null }>('SELECT count(*) AS n, sum(size) AS bytes FROM snapshots'),
    };
    const total = this.sql.total.get()!;
    this.storedBytes = total.bytes ?? 0;
    this.rows = total.n;
  }

  static open(path: string, budget: SnapshotBudget = DEFAULT_SNAPSHOT_BUDGET, now: () => number = Date.now): SnapshotStore {
    let db: Database.Database | undefined;
    try {
      mkdirSync(dirname(path), { recursive: true });
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // A large picture passes through the WAL once; do not keep a WAL file of its size afterwards.
      db.pragma(`journal_size_limit = ${4 * 2 ** 20}`);
      return new SnapshotStore(db, budget, now);
    } catch (err) {
      db?.close();
      throw new PolegateError(`cannot open the snapshot store ${path}: ${(err as Error).message}. Check that buffer.path in the manifest names a writable folder, or move a damaged file aside.`, 'SNAPSHOTS_OPEN');
    }
  }

  /**
   * Keeps a picture, waiting for `link` before it may leave; returns its hex sha256 and what the
   * budget dropped to make room (and what had grown too old). Throws SNAPSHOT_TOO_LARGE.
   */
  put(bytes: Buffer, device: string, ts: number): { sha256: string; dropped: DroppedSnapshot[] } {
    if (bytes.length > this.budget.maxSnapshotBytes) {
      throw new PolegateError(`the snapshot of ${device} is ${bytes.length} bytes, over buffer.snapshots.maxSnapshotBytes (${this.budget.maxSnapshotBytes}); it was not kept`, 'SNAPSHOT_TOO_LARGE');
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const dropped = this.expire();
    if (this.sql.find.get(sha256)) {
      // The same picture again (a camera showing a still scene): one copy, sent after the newer message.
      this.sql.rewait.run(ts, sha256);
      return { sha256, dropped };
    }
    dropped.push(...this.makeRoom(bytes.length));
    this.sql.insert.run(sha256, device, ts, bytes.length, bytes);
    this.storedBytes += bytes.length;
    this.rows++;
    return { sha256, dropped };
  }

  /** The message referring to the snapshot is committed as `seq` (null: none will be). */
  link(sha256: string, seq: number | null): void {
    this.sql.link.run(seq, sha256);
  }

  /** Drops the oldest snapshots not in flight until `size` more bytes fit. */
  private makeRoom(size: number): DroppedSnapshot[] {
    const dropped: DroppedSnapshot[] = [];
    while (this.storedBytes + size > this.budget.maxBytes) {
      const victims = this.sql.oldest.all(16 + this.inFlight.size).filter((r) => !this.inFlight.has(r.sha256));
      if (victims.length === 0) break;
      for (const v of victims) {
        if (this.storedBytes + size <= this.budget.maxBytes) break;
        this.remove(v.sha256, v.size);
        dropped.push({ sha256: v.sha256, device: v.device, ts: v.ts });
      }
    }
    return dropped;
  }

  /** Drops snapshots older than maxAgeMs (not those in flight); returns them. */
  expire(): DroppedSnapshot[] {
    if (this.rows === 0) return [];
    const old = this.sql.olderThan.all(this.now() - this.budget.maxAgeMs).filter((r) => !this.inFlight.has(r.sha256));
    for (const r of old) this.remove(r.sha256, r.size);
    return old.map(({ sha256, device, ts }) => ({ sha256, device, ts }));
  }

  private remove(sha256: string, size: number): void {
    this.sql.remove.run(sha256);
    this.storedBytes -= size;
    this.rows--;
  }

  /** The oldest snapshot free to leave: not in flight, and its message no longer in the outbox. */
  next(messagePending: (seq: number) => boolean): PendingBlob | undefined {
    if (this.rows === this.inFlight.size) return undefined;
    for (const row of this.sql.oldest.all(64 + this.inFlight.size)) {
      if (this.inFlight.has(row.sha256) || row.ref_seq === -1 || (row.ref_seq !== null && messagePending(row.ref_seq))) continue;
      const found = this.sql.bytes.get(row.sha256);
      if (!found) continue;
      this.inFlight.add(row.sha256);
      return { sha256: row.sha256, bytes: found.bytes };
    }
    return undefined;
  }

  /** The broker has it: delete it. */
  ack(sha256: string): void {
    this.inFlight.delete(sha256);
    const row = this.sql.size.get(sha256);
    if (row) this.remove(sha256, row.size);
  }

  /** Not acknowledged (a disconnect, a refusal): offer it again later. */
  release(sha256: string): void {
    this.inFlight.delete(sha256);
  }

  /** A kept snapshot's JPEG, while it waits for the cloud (the status page shows each camera's latest). */
  bytes(sha256: string): Buffer | undefined {
    return this.sql.bytes.get(sha256)?.bytes;
  }

  stats(): { count: number; bytes: number } {
    const { n, bytes } = this.sql.total.get()!;
    return { count: n, bytes: bytes ?? 0 };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
