// Alarm rules evaluated on the pole, so an alarm does not wait for the cloud (docs/manifest.md, `rules`).
// Pure: no I/O and no timers; time is the reading's own ts, so a replay gives the same alarms.
//
// A rule is one alarm. Its conditions (above, below, dropBy, riseBy; a rule may have several) are
// ORed: the alarm is raised once some condition has tripped on every reading for at least forMs,
// and cleared once no condition holds any more. "Holds" is where hysteresis lives:
// - above: trips when value > above, holds while value >= clearBelow (default: above);
// - below: trips when value < below, holds while value <= clearAbove (default: below);
// - dropBy / riseBy: trips when the value fell (rose) by at least that much against the highest
//   (lowest) value of the last withinMs; holds until it has not tripped for a further withinMs, so a
//   pressure that keeps oscillating after a burst does not raise a new alarm on every swing.
// Readings with quality `bad` are skipped entirely: they neither raise, nor clear (a failed gas
// sensor does not make the air safe), nor break a hold time, nor enter a rate window. Booleans count
// as 1 and 0 (`above: 0.5` on a fault input); strings are skipped.
import type { AlarmPayload } from '../contract/schemas.js';
import type { RuleConfig } from '../config/manifest-schema.js';
import { PolegateError } from '../config/errors.js';
import type { NormalizedReading } from './reading.js';

type ContractAlarm = AlarmPayload['alarm'];

/**
 * An alarm raised or cleared by a rule: the contract's alarm, except that `snapshot` names the
 * camera device to take a snapshot from; the agent swaps in the blob's `sha256:` ref before sending.
 */
export type AlarmTransition = Omit<ContractAlarm, 'snapshot'> & { snapshot?: string };

/** Rate windows keep at most this many samples: one per withinMs / RATE_SLOTS of time. */
export const RATE_SLOTS = 256;

interface Step {
  trips: boolean;
  holds: boolean;
}

interface Condition {
  /** Threshold reported when this condition raises the alarm. */
  readonly raiseAt: number;
  /** Threshold reported when the alarm it raised clears. */
  readonly clearAt: number;
  step(value: number, ts: number): Step;
  /** Forgets history, for when time steps backwards; only stateful conditions have one. */
  reset?(): void;
}

function above(limit: number, clearBelow = limit): Condition {
  return { raiseAt: limit, clearAt: clearBelow, step: (v) => ({ trips: v > limit, holds: v >= clearBelow }) };
}

function below(limit: number, clearAbove = limit): Condition {
  return { raiseAt: limit, clearAt: clearAbove, step: (v) => ({ trips: v < limit, holds: v <= clearAbove }) };
}

/**
 * The rise of the latest value over the lowest of the last `withinMs`, from a monotonic deque of
 * minima. At most one sample per time slot is kept (a later, lower-or-equal one replaces it), which
 * bounds memory at RATE_SLOTS + 1 samples whatever the poll rate; a sample may leave the window up
 * to one slot early. A drop is a rise of the negated values.
 */
class RiseCondition implements Condition {
  readonly raiseAt: number;
  readonly clearAt: number;
  private readonly slotMs: number;
  private window: Array<{ ts: number; value: number }> = [];
  private lastTrip?: number;

  constructor(private readonly by: number, private readonly withinMs: number, private readonly sign: 1 | -1) {
    this.raiseAt = by;
    this.clearAt = by;
    this.slotMs = Math.max(1, withinMs / RATE_SLOTS);
  }

  step(raw: number, ts: number): Step {
    const value = raw * this.sign;
    const window = this.window;
    while (window.length > 0 && window[0]!.ts < ts - this.withinMs) window.shift();
    while (window.length > 0 && window[window.length - 1]!.value >= value) window.pop();
    const last = window[window.length - 1];
    if (!last || Math.floor(last.ts / this.slotMs) !== Math.floor(ts / this.slotMs)) window.push({ ts, value });
    const trips = value - window[0]!.value >= this.by;
    if (trips) this.lastTrip = ts;
    return { trips, holds: trips || (this.lastTrip !== undefined && ts - this.lastTrip < this.withinMs) };
  }

  reset(): void {
    this.window = [];
    this.lastTrip = undefined;
  }
}

/** The rule's conditions. The manifest checks (config/manifest-checks.ts) have refused rules that make no sense. */
function conditionsOf(rule: RuleConfig): Condition[] {
  const conditions: Condition[] = [];
  if (rule.above !== undefined) conditions.push(above(rule.above, rule.clearBelow));
  if (rule.below !== undefined) conditions.push(below(rule.below, rule.clearAbove));
  if ((rule.dropBy !== undefined || rule.riseBy !== undefined) && rule.withinMs === undefined) {
    // The one gap that would not fail loudly: a rate without a window would silently never trip.
    throw new PolegateError(`rule ${rule.id}: dropBy and riseBy need withinMs`, 'RULE_INVALID', 2);
  }
  if (rule.dropBy !== undefined) conditions.push(new RiseCondition(rule.dropBy, rule.withinMs!, -1));
  if (rule.riseBy !== undefined) conditions.push(new RiseCondition(rule.riseBy, rule.withinMs!, 1));
  return conditions;
}

function numeric(value: NormalizedReading['value']): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return undefined;
}

/** One rule's state: its hold timer and the alarm instance it has raised, if any. */
class RuleState {
  private readonly conditions: Condition[];
  private lastTs?: number;
  private trippingSince?: number;
  private active?: { id: string; cause: Condition };

  constructor(private readonly rule: RuleConfig, private readonly device: string, private readonly metric: string) {
    this.conditions = conditionsOf(rule);
  }

  evaluate(r: NormalizedReading): AlarmTransition | undefined {
    const value = numeric(r.value);
    if (r.quality === 'bad' || value === undefined) return undefined;
    if (this.lastTs !== undefined && r.ts < this.lastTs) {
      // The pole's clock stepped back: windows and hold times measured on the old clock mean nothing.
      for (const condition of this.conditions) condition.reset?.();
      this.trippingSince = undefined;
    }
    this.lastTs = r.ts;
    const steps = this.conditions.map((condition) => condition.step(value, r.ts));

    if (this.active) {
      if (steps.some((s) => s.holds)) return undefined;
      const { id, cause } = this.active;
      this.active = undefined;
      this.trippingSince = undefined;
      return this.transition(id, 'cleared', r, cause.clearAt);
    }
    const cause = this.conditions.find((_, i) => steps[i]!.trips);
    if (!cause) {
      this.trippingSince = undefined;
      return undefined;
    }
    this.trippingSince ??= r.ts;
    if (r.ts - this.trippingSince < (this.rule.forMs ?? 0)) return undefined;
    const id = `${this.rule.id}-${r.ts}`;
    this.active = { id, cause };
    return this.transition(id, 'raised', r, cause.raiseAt);
  }

  private transition(id: string, state: AlarmTransition['state'], r: NormalizedReading, threshold: number): AlarmTransition {
    const alarm: AlarmTransition = { id, rule: this.rule.id, device: this.device, metric: this.metric, state, severity: this.rule.severity, value: r.value, threshold, ts: r.ts };
    if (state === 'raised' && this.rule.snapshot !== undefined) alarm.snapshot = this.rule.snapshot;
    return alarm;
  }
}

export class RuleEngine {
  /** Rule states by `device.metric`, in manifest order. */
  private readonly byMetric = new Map<string, RuleState[]>();

  /** Takes rules of a checked manifest; throws a PolegateError (exit 2) on a rate rule with no window. */
  constructor(rules: RuleConfig[]) {
    for (const rule of rules) {
      const dot = rule.metric.indexOf('.');
      const state = new RuleState(rule, rule.metric.slice(0, dot), rule.metric.slice(dot + 1));
      const list = this.byMetric.get(rule.metric) ?? [];
      list.push(state);
      this.byMetric.set(rule.metric, list);
    }
  }

  /** The alarm transitions one reading causes, in rule order; usually none. */
  evaluate(r: NormalizedReading): AlarmTransition[] {
    const transitions: AlarmTransition[] = [];
    for (const state of this.byMetric.get(`${r.device}.${r.metric}`) ?? []) {
      const transition = state.evaluate(r);
      if (transition) transitions.push(transition);
    }
    return transitions;
  }
}
