// How `buffer.maxBytes` is split between the outbox database and its WAL (docs/operations.md,
// "The buffer"). The database gets a hard page cap (SQLite's max_page_count: a write past it fails
// with SQLITE_FULL instead of growing the file); the WAL gets a reserve that automatic checkpoints
// keep it within (wal_autocheckpoint) and that it is truncated back to (journal_size_limit). The
// outbox evicts when the database's used pages pass `highPages`, down to `lowPages`, so the cap is a
// backstop rather than the usual path.
import { PolegateError } from '../config/errors.js';

export const DEFAULT_BUFFER_BYTES = 256 * 2 ** 20;
export const MIN_BUFFER_BYTES = 2 ** 20;

export interface BufferBudget {
  maxBytes: number;
  /** Hard cap on database pages. */
  dbPages: number;
  /** Evict when used pages exceed this… */
  highPages: number;
  /** …down to this. */
  lowPages: number;
  /** WAL frames before an automatic checkpoint. */
  walCheckpointPages: number;
  /** WAL size the file is truncated back to after a checkpoint, bytes. */
  walBytes: number;
}

export function planBudget(maxBytes: number, pageSize: number): BufferBudget {
  if (maxBytes < MIN_BUFFER_BYTES) {
    throw new PolegateError(`buffer.maxBytes ${maxBytes} is too small: the outbox needs at least 1MiB (256MiB is the default)`, 'BUFFER_TOO_SMALL', 2);
  }
  const walBytes = Math.max(256 * 1024, Math.min(8 * 2 ** 20, Math.floor(maxBytes / 8)));
  // A WAL frame is a page plus a 24-byte header. Checkpoint at a quarter of the reserve: the rest
  // absorbs the transaction that crosses the mark (an ack, an eviction round, a large append).
  const walCheckpointPages = Math.max(8, Math.floor(walBytes / (pageSize + 24) / 4));
  const dbPages = Math.floor((maxBytes - walBytes) / pageSize);
  const slack = Math.max(8, Math.ceil(dbPages / 16));
  return { maxBytes, dbPages, highPages: dbPages - slack, lowPages: dbPages - 2 * slack, walCheckpointPages, walBytes };
}
