// What was lost, as `gap` events (docs/contract.md, "Gaps"): a tally of dropped readings or events per
// device, turned into one event per device with the count, the distinct metrics and the time range.
// Used by the outbox when its budget forces an eviction and by the memory hold when a disk fault
// outlasts its bound, so every loss is reported the same way.
import type { GapEvent } from '../contract/schemas.js';

export type GapKind = GapEvent['kind'];
export type GapReason = GapEvent['reason'];

interface Span {
  kind: GapKind;
  device: string | undefined;
  count: number;
  metrics: Set<string>;
  from: number;
  to: number;
}

export class GapTally {
  private readonly spans = new Map<string, Span>();

  /** One lost reading (`what` is its metric) or event (`what` is its type). */
  add(kind: GapKind, device: string | undefined, what: string, ts: number): void {
    const key = `${kind}\u0000${device ?? ''}`;
    let span = this.spans.get(key);
    if (!span) {
      span = { kind, device, count: 0, metrics: new Set(), from: ts, to: ts };
      this.spans.set(key, span);
    }
    span.count++;
    span.metrics.add(what);
    if (ts < span.from) span.from = ts;
    if (ts > span.to) span.to = ts;
  }

  /** One lost event (an alarm counts as an event of type `alarm`). */
  addEvent(event: { device?: string; type: string; ts: number }): void {
    this.add('event', event.device, event.type, event.ts);
  }

  /** Readings as stored in an outbox row: comma-joined JSON objects. */
  addReadingsJson(json: string): void {
    for (const r of JSON.parse(`[${json}]`) as Array<{ device: string; metric: string; ts: number }>) this.add('telemetry', r.device, r.metric, r.ts);
  }

  get size(): number {
    return this.spans.size;
  }

  /** The gap events for everything tallied, and a fresh tally. */
  take(reason: GapReason, ts: number): GapEvent[] {
    const events = [...this.spans.values()].map((s): GapEvent => ({
      type: 'gap',
      ...(s.device === undefined ? {} : { device: s.device }),
      ts,
      kind: s.kind,
      count: s.count,
      metrics: s.metrics.size,
      from: s.from,
      to: s.to,
      reason,
    }));
    this.spans.clear();
    return events;
  }
}
