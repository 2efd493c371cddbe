// Messages the outbox could not take (disk full, a read-only or failing file system, or a budget
// filled with alarms): the agent keeps polling and alarming, holds them here in memory within a
// small bound, and commits them in order once the outbox accepts writes again. Everything the bound
// makes it drop is tallied and committed as `gap` events (reason `disk-fault`) on recovery.
// Every message also passes through here on the normal path (add, then commit at once), so the
// order of commits is the same whether or not the disk was failing.
import { GapTally } from './gap.js';
import type { Alarm, Outbox, OutboxEvent } from './outbox.js';
import type { NormalizedReading } from './reading.js';

/**
 * `committed` learns the message's seq once the outbox has it (a snapshot waits for it to leave), or
 * null when the bound drops the message (its snapshot then has nothing to wait for).
 */
type Committed = (seq: number | null) => void;
type Held = ({ alarm: Alarm } | { event: OutboxEvent }) & { committed?: Committed };

export interface HoldLimits {
  /** Readings held at most; past it the oldest are dropped. */
  readings: number;
  /** Alarms and events held at most; past it the oldest event (else the oldest alarm) is dropped. */
  messages: number;
}

export class MemoryHold {
  private messages: Held[] = [];
  private readings: NormalizedReading[] = [];
  private readonly dropped = new GapTally();

  constructor(private readonly limits: HoldLimits = { readings: 10_000, messages: 1_000 }) {}

  get size(): number {
    return this.messages.length + this.readings.length;
  }

  alarm(alarm: Alarm, committed?: Committed): void {
    this.hold({ alarm, committed });
  }

  event(event: OutboxEvent, committed?: Committed): void {
    this.hold({ event, committed });
  }

  addReadings(readings: readonly NormalizedReading[]): void {
    for (const r of readings) this.readings.push(r);
    const over = this.readings.length - this.limits.readings;
    if (over <= 0) return;
    for (const r of this.readings.splice(0, over)) this.dropped.add('telemetry', r.device, r.metric, r.ts);
  }

  private hold(message: Held): void {
    this.messages.push(message);
    if (this.messages.length <= this.limits.messages) return;
    const oldestEvent = this.messages.findIndex((m) => 'event' in m);
    const [lost] = this.messages.splice(oldestEvent >= 0 ? oldestEvent : 0, 1);
    this.dropped.addEvent('event' in lost! ? lost.event : { device: lost!.alarm.device, type: 'alarm', ts: lost!.alarm.ts });
    lost!.committed?.(null);
  }

  /**
   * Commits everything held (alarms and events in arrival order, then the gap events of what was
   * dropped, then readings), stopping at the first write that fails and rethrowing its error: what
   * was not committed stays held.
   */
  commitInto(outbox: Outbox, now: number): void {
    while (this.messages.length > 0) {
      const next = this.messages[0]!;
      const seq = 'alarm' in next ? outbox.appendAlarm(next.alarm) : outbox.appendEvent(next.event);
      this.messages.shift();
      next.committed?.(seq);
    }
    if (this.dropped.size > 0) {
      for (const gap of this.dropped.take('disk-fault', now)) this.messages.push({ event: gap });
      this.commitInto(outbox, now);
    }
    if (this.readings.length > 0) {
      outbox.appendReadings(this.readings);
      this.readings = [];
    }
  }
}
