// Exactly-once in the PostgreSQL store: which (stream, seq) of a batch are new. Each stream's
// stored seqs are kept as ranges in seq_ranges (seq-ranges.ts does the arithmetic), so readings
// need no unique index, only appends: one lookup per stream per batch instead of an index probe
// and insert per reading. Several cloud nodes share the store, so the streams' rows are locked
// first (in id order, so that two batches never wait on each other in a cycle): a second batch of
// the same stream, from another node after a failover, waits for this one's commit and then reads
// the ranges it wrote. Under READ COMMITTED every statement reads the latest commits, which is why
// the ranges are read in a statement of their own after the lock is held.
import type pg from 'pg';
import { claimSeqs, type SeqRange } from './seq-ranges.js';

const SQL = {
  lock: 'SELECT id FROM streams WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE',
  // The ranges that hold or touch [lo - 1, hi + 1] of each stream: only they can change.
  touching: `SELECT r.stream_id, r.lo, r.hi FROM unnest($1::int[], $2::bigint[], $3::bigint[]) AS w(stream_id, lo, hi)
    JOIN seq_ranges r ON r.stream_id = w.stream_id AND r.hi >= w.lo - 1 AND r.lo <= w.hi + 1 ORDER BY r.stream_id, r.lo`,
  remove: 'DELETE FROM seq_ranges r USING unnest($1::int[], $2::bigint[]) AS d(stream_id, hi) WHERE r.stream_id = d.stream_id AND r.hi = d.hi',
  add: 'INSERT INTO seq_ranges (stream_id, lo, hi) SELECT * FROM unnest($1::int[], $2::bigint[], $3::bigint[])',
};

/**
 * Claims, inside the caller's transaction, the seqs of each stream (any order, repeats allowed).
 * Returns per stream one flag per seq as given: true for the first of a seq the store did not hold.
 */
export async function claimStreamSeqs(db: pg.ClientBase, wanted: ReadonlyMap<number, readonly number[]>): Promise<Map<number, boolean[]>> {
  const ids = [...wanted.keys()].sort((a, b) => a - b);
  const sorted = new Map(ids.map((id) => [id, [...new Set(wanted.get(id))].sort((a, b) => a - b)]));
  await db.query(SQL.lock, [ids]);
  const bounds = ids.map((id) => sorted.get(id)!);
  const rows = (await db.query(SQL.touching, [ids, bounds.map((s) => s[0]!), bounds.map((s) => s[s.length - 1]!)])).rows as { stream_id: number; lo: number; hi: number }[];
  const touching = new Map<number, SeqRange[]>();
  for (const r of rows) {
    let list = touching.get(r.stream_id);
    if (!list) touching.set(r.stream_id, (list = []));
    list.push({ lo: r.lo, hi: r.hi });
  }
  const gone: { stream: number[]; hi: number[] } = { stream: [], hi: [] };
  const added: { stream: number[]; lo: number[]; hi: number[] } = { stream: [], lo: [], hi: [] };
  const result = new Map<number, boolean[]>();
  for (const id of ids) {
    const before = touching.get(id) ?? [];
    const seqs = sorted.get(id)!;
    const { fresh, ranges } = claimSeqs(before, seqs);
    const isFresh = new Map(seqs.map((seq, i) => [seq, fresh[i]!]));
    result.set(id, wanted.get(id)!.map((seq) => {
      const first = isFresh.get(seq)!;
      isFresh.set(seq, false);
      return first;
    }));
    if (!fresh.includes(true)) continue;
    for (const r of before) {
      gone.stream.push(id);
      gone.hi.push(r.hi);
    }
    for (const r of ranges) {
      added.stream.push(id);
      added.lo.push(r.lo);
      added.hi.push(r.hi);
    }
  }
  if (gone.stream.length > 0) await db.query(SQL.remove, [gone.stream, gone.hi]);
  if (added.stream.length > 0) await db.query(SQL.add, [added.stream, added.lo, added.hi]);
  return result;
}
