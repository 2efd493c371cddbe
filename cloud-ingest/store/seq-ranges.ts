// The seqs a store already holds for one stream, kept as disjoint ranges. A pole's seqs arrive
// almost in order, so a stream's history collapses to a handful of ranges (one more per gap the
// outbox left by evicting telemetry), and "is this (stream, seq) new?" costs a lookup per batch
// instead of a unique index maintained per reading.

/** Inclusive. */
export interface SeqRange {
  lo: number;
  hi: number;
}

export interface Claim {
  /** Per seq, in the order given: true when it was in no range and is now claimed. */
  fresh: boolean[];
  /** The input ranges with the claimed seqs added, coalesced, ascending. */
  ranges: SeqRange[];
}

/**
 * Claims `seqs` (ascending; a repeated seq is fresh at most once) against `ranges` (ascending,
 * disjoint). Pure: the caller reads the ranges around the seqs and writes back the result.
 */
export function claimSeqs(ranges: readonly SeqRange[], seqs: readonly number[]): Claim {
  const fresh = new Array<boolean>(seqs.length);
  const out: SeqRange[] = [];
  const add = (lo: number, hi: number) => {
    const last = out[out.length - 1];
    if (last && lo <= last.hi + 1) last.hi = Math.max(last.hi, hi);
    else out.push({ lo, hi });
  };
  let r = 0;
  for (let i = 0; i < seqs.length; i++) {
    const seq = seqs[i]!;
    while (r < ranges.length && ranges[r]!.hi < seq) add(ranges[r]!.lo, ranges[r++]!.hi);
    const inRange = r < ranges.length && ranges[r]!.lo <= seq;
    const last = out[out.length - 1];
    fresh[i] = !inRange && !(last && seq >= last.lo && seq <= last.hi);
    if (fresh[i]) add(seq, seq);
  }
  while (r < ranges.length) add(ranges[r]!.lo, ranges[r++]!.hi);
  return { fresh, ranges: out };
}
