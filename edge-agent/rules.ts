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
  /** When it last tripped, for conditions that hold after tripping (rate): kept across restarts. */
  lastTrip?: number;
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
  lastTrip?: number;

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

/**
 * What a rule remembers across a restart, as plain JSON-able data: the alarm it has raised (with the
 * raised message, so that a rule removed from the manifest can still clear it), when its condition
 * started to trip (the hold timer), when each condition last tripped (rate holds), and the ts of the
 * reading that changed it (to notice a clock that stepped back while the agent was down).
 */
export interface RuleMemory {
  active?: { cause: number; alarm: AlarmTransition };
  trippingSince?: number;
  lastTrip?: Array<number | null>;
  ts?: number;
}

/** One rule as the engine runs it. */
interface RuleRunner {
  readonly rule: RuleConfig;
  evaluate(r: NormalizedReading): AlarmTransition | undefined;
  /** The passing of time with no reading (stale rules); undefined for the others. */
  tick?(now: number): AlarmTransition | undefined;
  memory(): RuleMemory;
  restore(memory: RuleMemory): void;
  /** Whether its memory changed since the engine last took it. */
  changed: boolean;
}

function transition(rule: RuleConfig, device: string, metric: string, id: string, state: AlarmTransition['state'], value: AlarmTransition['value'], threshold: number, ts: number): AlarmTransition {
  const alarm: AlarmTransition = { id, rule: rule.id, device, metric, state, severity: rule.severity, value, threshold, ts };
  if (state === 'raised' && rule.snapshot !== undefined) alarm.snapshot = rule.snapshot;
  return alarm;
}

/** The clear of a raised alarm, at `ts` with `value`. */
function cleared(raised: AlarmTransition, value: AlarmTransition['value'], threshold: number | undefined, ts: number): AlarmTransition {
  const { snapshot: _, ...alarm } = raised;
  return { ...alarm, state: 'cleared', value, ts, ...(threshold === undefined ? {} : { threshold }) };
}

/** A threshold or rate rule: its hold timer and the alarm instance it has raised, if any. */
class ConditionRule implements RuleRunner {
  changed = false;
  private readonly conditions: Condition[];
  private lastTs?: number;
  private trippingSince?: number;
  private active?: { cause: number; alarm: AlarmTransition };

  constructor(readonly rule: RuleConfig, private readonly device: string, private readonly metric: string) {
    this.conditions = conditionsOf(rule);
  }

  evaluate(r: NormalizedReading): AlarmTransition | undefined {
    const value = numeric(r.value);
    if (r.quality === 'bad' || value === undefined) return undefined;
    const { trippingSince, active } = this;
    const trips = this.tripSum();
    const transition = this.step(value, r);
    if (trippingSince !== this.trippingSince || active !== this.active || trips !== this.tripSum()) this.changed = true;
    return transition;
  }

  /** A number that moves whenever a condition's lastTrip does (they only grow, or are reset). */
  private tripSum(): number {
    let sum = 0;
    for (const condition of this.conditions) sum += condition.lastTrip ?? -1;
    return sum;
  }

  private step(value: number, r: NormalizedReading): AlarmTransition | undefined {
    if (this.lastTs !== undefined && r.ts < this.lastTs) {
      // The pole's clock stepped back: windows and hold times measured on the old clock mean nothing.
      for (const condition of this.conditions) condition.reset?.();
      this.trippingSince = undefined;
    }
    this.lastTs = r.ts;
    const steps = this.conditions.map((condition) => condition.step(value, r.ts));

    if (this.active) {
      if (steps.some((s) => s.holds)) return undefined;
      const { cause, alarm } = this.active;
      this.active = undefined;
      this.trippingSince = undefined;
      return cleared(alarm, r.value, this.conditions[cause]!.clearAt, r.ts);
    }
    const cause = steps.findIndex((s) => s.trips);
    if (cause < 0) {
      this.trippingSince = undefined;
      return undefined;
    }
    this.trippingSince ??= r.ts;
    if (r.ts - this.trippingSince < (this.rule.forMs ?? 0)) return undefined;
    const alarm = transition(this.rule, this.device, this.metric, `${this.rule.id}-${r.ts}`, 'raised', r.value, this.conditions[cause]!.raiseAt, r.ts);
    this.active = { cause, alarm };
    return alarm;
  }

  memory(): RuleMemory {
    const lastTrip = this.conditions.map((c) => c.lastTrip ?? null);
    return {
      ...(this.active ? { active: this.active } : {}),
      ...(this.trippingSince === undefined ? {} : { trippingSince: this.trippingSince }),
      ...(lastTrip.some((ts) => ts !== null) ? { lastTrip } : {}),
      ...(this.lastTs === undefined ? {} : { ts: this.lastTs }),
    };
  }

  restore(memory: RuleMemory): void {
    if (memory.active && memory.active.cause < this.conditions.length) this.active = memory.active;
    this.trippingSince = memory.trippingSince;
    memory.lastTrip?.forEach((ts, i) => {
      const condition = this.conditions[i];
      if (condition && ts !== null && condition.lastTrip === undefined && condition.reset) condition.lastTrip = ts;
    });
    this.lastTs = memory.ts;
  }
}

/**
 * A stale rule: raised at tick(now) once no good reading came for staleMs, cleared by the next good
 * one. The wait starts at the first tick or reading the engine sees (the agent's start); a clock that
 * steps back starts it again.
 */
class StaleRule implements RuleRunner {
  changed = false;
  private lastGood?: { ts: number; value: AlarmTransition['value'] };
  private since?: number;
  private active?: AlarmTransition;

  constructor(readonly rule: RuleConfig, private readonly device: string, private readonly metric: string, private readonly staleMs: number) {}

  evaluate(r: NormalizedReading): AlarmTransition | undefined {
    if (r.quality !== 'good') {
      this.since ??= r.ts;
      return undefined;
    }
    this.lastGood = { ts: r.ts, value: r.value };
    this.since = r.ts;
    if (!this.active) return undefined;
    const alarm = cleared(this.active, r.value, this.staleMs, r.ts);
    this.active = undefined;
    this.changed = true;
    return alarm;
  }

  tick(now: number): AlarmTransition | undefined {
    if (this.since === undefined || now < this.since) this.since = now;
    if (this.active || now - this.since < this.staleMs) return undefined;
    this.active = transition(this.rule, this.device, this.metric, `${this.rule.id}-${now}`, 'raised', this.lastGood?.value ?? 'no good reading', this.staleMs, now);
    this.changed = true;
    return this.active;
  }

  memory(): RuleMemory {
    return this.active ? { active: { cause: 0, alarm: this.active } } : {};
  }

  restore(memory: RuleMemory): void {
    this.active = memory.active?.alarm;
  }
}

/** A rule's definition, as compared across restarts: a rule changed by a new manifest keeps only its active alarm. */
export function ruleDefinition(rule: RuleConfig): string {
  return JSON.stringify(rule, Object.keys(rule).sort());
}

/** A rule's memory to keep, with its definition; `memory` undefined: nothing left to remember. */
export interface RuleChange {
  rule: string;
  definition: string;
  memory: RuleMemory | undefined;
}

export class RuleEngine {
  /** Rules by `device.metric`, in manifest order. */
  private readonly byMetric = new Map<string, RuleRunner[]>();
  private readonly runners = new Map<string, RuleRunner>();
  private readonly stale: RuleRunner[] = [];

  /** Takes rules of a checked manifest; throws a PolegateError (exit 2) on a rate rule with no window. */
  constructor(rules: RuleConfig[]) {
    for (const rule of rules) {
      const dot = rule.metric.indexOf('.');
      const device = rule.metric.slice(0, dot);
      const metric = rule.metric.slice(dot + 1);
      const runner: RuleRunner = rule.staleMs !== undefined ? new StaleRule(rule, device, metric, rule.staleMs) : new ConditionRule(rule, device, metric);
      const list = this.byMetric.get(rule.metric) ?? [];
      list.push(runner);
      this.byMetric.set(rule.metric, list);
      this.runners.set(rule.id, runner);
      if (runner.tick) this.stale.push(runner);
    }
  }

  /** The shortest staleMs of the stale rules, if any: how often tick() is worth calling. */
  get shortestStaleMs(): number | undefined {
    const all = this.stale.map((r) => r.rule.staleMs!);
    return all.length > 0 ? Math.min(...all) : undefined;
  }

  /** The alarm transitions one reading causes, in rule order; usually none. */
  evaluate(r: NormalizedReading): AlarmTransition[] {
    const transitions: AlarmTransition[] = [];
    for (const runner of this.byMetric.get(`${r.device}.${r.metric}`) ?? []) {
      const transition = runner.evaluate(r);
      if (transition) transitions.push(transition);
    }
    return transitions;
  }

  /** The alarms raised by time passing with no good reading (stale rules). */
  tick(now: number): AlarmTransition[] {
    return this.stale.flatMap((runner) => runner.tick!(now) ?? []);
  }

  /**
   * Takes back what the rules remembered before a restart (rule id → definition and memory). A rule
   * whose definition changed keeps its active alarm only; the active alarm of a rule that is no longer
   * in the manifest is cleared at `now` (returned), as nothing would ever clear it otherwise.
   */
  restore(memories: Map<string, { definition: string; memory: RuleMemory }>, now: number): AlarmTransition[] {
    const orphans: AlarmTransition[] = [];
    for (const [id, { definition, memory }] of memories) {
      const runner = this.runners.get(id);
      if (runner) runner.restore(definition === ruleDefinition(runner.rule) ? memory : (memory.active ? { active: memory.active } : {}));
      else if (memory.active) orphans.push(cleared(memory.active.alarm, memory.active.alarm.value, undefined, now));
    }
    return orphans;
  }

  /** The rules whose memory changed since the last call (a reading's ts alone is no change). */
  changes(): RuleChange[] {
    const changes: RuleChange[] = [];
    for (const runner of this.runners.values()) {
      if (!runner.changed) continue;
      runner.changed = false;
      const memory = runner.memory();
      const blank = memory.active === undefined && memory.trippingSince === undefined && memory.lastTrip === undefined;
      changes.push({ rule: runner.rule.id, definition: ruleDefinition(runner.rule), memory: blank ? undefined : memory });
    }
    return changes;
  }

  /** Ids of the rules of this engine. */
  ruleIds(): string[] {
    return [...this.runners.keys()];
  }
}
