import t from 'tap';
import type { RuleConfig } from '../../config/manifest-schema.js';
import type { NormalizedReading } from '../../edge-agent/reading.js';
import { RuleEngine, RATE_SLOTS, type AlarmTransition } from '../../edge-agent/rules.js';

type Value = NormalizedReading['value'];
/** One reading: [ts, value] (quality good) or [ts, value, quality]. */
type Step = [number, Value] | [number, Value, NormalizedReading['quality']];

function reading(metric: string, [ts, value, quality = 'good']: Step): NormalizedReading {
  const dot = metric.indexOf('.');
  return { device: metric.slice(0, dot), metric: metric.slice(dot + 1), value, unit: '', ts, quality };
}

/** Feeds the steps to a fresh engine; returns `ts:state:rule` for every transition. */
function run(rules: RuleConfig[], metric: string, steps: Step[]): string[] {
  const engine = new RuleEngine(rules);
  return steps.flatMap((step) => engine.evaluate(reading(metric, step)).map((a) => `${a.ts}:${a.state}:${a.rule}`));
}

const gas = (rule: Partial<RuleConfig>): RuleConfig => ({ id: 'gas-high', metric: 'gas-1.lel', severity: 'critical', ...rule });

const CASES: Array<{ name: string; rules: RuleConfig[]; metric?: string; steps: Step[]; expect: string[] }> = [
  {
    name: 'hysteresis: raised above, held inside the band, cleared below clearBelow',
    rules: [gas({ above: 20, clearBelow: 15 })],
    steps: [[0, 10], [1, 21], [2, 25], [3, 17], [4, 15], [5, 14.9], [6, 18], [7, 20], [8, 20.1]],
    expect: ['1:raised:gas-high', '5:cleared:gas-high', '8:raised:gas-high'],
  },
  {
    name: 'clearBelow defaults to above',
    rules: [gas({ above: 20 })],
    steps: [[0, 20], [1, 20.5], [2, 20], [3, 19.9]],
    expect: ['1:raised:gas-high', '3:cleared:gas-high'],
  },
  {
    name: 'below with clearAbove',
    rules: [gas({ id: 'low', below: 100, clearAbove: 120 })],
    steps: [[0, 150], [1, 99], [2, 110], [3, 120], [4, 121]],
    expect: ['1:raised:low', '4:cleared:low'],
  },
  {
    name: 'hold time: a spike shorter than forMs raises nothing',
    rules: [gas({ above: 20, forMs: 3000 })],
    steps: [[0, 25], [1000, 30], [2000, 28], [2999, 10], [4000, 10]],
    expect: [],
  },
  {
    name: 'hold time: raised once the condition held continuously for forMs',
    rules: [gas({ above: 20, forMs: 3000 })],
    steps: [[0, 25], [1000, 30], [1500, 19], [2000, 25], [4000, 25], [5000, 25], [6000, 25]],
    expect: ['5000:raised:gas-high'],
  },
  {
    name: 'no duplicate raise while raised',
    rules: [gas({ above: 20 })],
    steps: [[0, 21], [1, 40], [2, 60], [3, 22]],
    expect: ['0:raised:gas-high'],
  },
  {
    name: 'burst: a drop of 60 in 20 s with dropBy 50 within 60 s',
    rules: [{ id: 'burst', metric: 'pressure-1.pressure', dropBy: 50, withinMs: 60_000, severity: 'major' }],
    metric: 'pressure-1.pressure',
    steps: [[0, 300], [10_000, 301], [20_000, 300], [30_000, 270], [40_000, 241], [50_000, 240]],
    expect: ['40000:raised:burst'],
  },
  {
    name: 'a slow decline is no burst: never 50 within the window',
    rules: [{ id: 'burst', metric: 'pressure-1.pressure', dropBy: 50, withinMs: 60_000, severity: 'major' }],
    metric: 'pressure-1.pressure',
    steps: Array.from({ length: 30 }, (_, i): Step => [i * 10_000, 300 - i * 8]),
    expect: [],
  },
  {
    name: 'rate alarm clears once it has not tripped for withinMs',
    rules: [{ id: 'burst', metric: 'pressure-1.pressure', dropBy: 50, withinMs: 60_000, severity: 'major' }],
    metric: 'pressure-1.pressure',
    // Trips until the 300 leaves the window after 60 s, then clears 60 s after the last trip.
    steps: [[0, 300], [10_000, 240], [60_000, 240], [61_000, 240], [119_999, 240], [120_000, 240]],
    expect: ['10000:raised:burst', '120000:cleared:burst'],
  },
  {
    name: 'riseBy',
    rules: [{ id: 'surge', metric: 'level-1.level', riseBy: 0.5, withinMs: 600_000, severity: 'minor' }],
    metric: 'level-1.level',
    steps: [[0, 1.0], [300_000, 1.2], [500_000, 1.6], [1_200_000, 1.6]],
    expect: ['500000:raised:surge', '1200000:cleared:surge'],
  },
  {
    name: 'independent rules on one metric',
    rules: [gas({ id: 'gas-warn', above: 10, severity: 'warning' }), gas({ id: 'gas-high', above: 20, clearBelow: 15 })],
    steps: [[0, 12], [1, 22], [2, 16], [3, 9], [4, 14]],
    expect: ['0:raised:gas-warn', '1:raised:gas-high', '3:cleared:gas-warn', '3:cleared:gas-high', '4:raised:gas-warn'],
  },
  {
    name: 'bad readings neither raise nor clear nor break a hold time',
    rules: [gas({ above: 20, forMs: 2000 })],
    steps: [[0, 99, 'bad'], [1000, 25], [2000, 'Modbus timeout', 'bad'], [3000, 25], [4000, 0, 'bad'], [5000, 'no value', 'bad'], [6000, 10]],
    expect: ['3000:raised:gas-high', '6000:cleared:gas-high'],
  },
  {
    name: 'uncertain readings count',
    rules: [gas({ above: 20 })],
    steps: [[0, 25, 'uncertain']],
    expect: ['0:raised:gas-high'],
  },
  {
    name: 'booleans count as 1 and 0; strings are skipped',
    rules: [{ id: 'fault', metric: 'gas-1.fault', above: 0.5, severity: 'minor' }],
    metric: 'gas-1.fault',
    steps: [[0, false], [1, 'on'], [2, true], [3, false]],
    expect: ['2:raised:fault', '3:cleared:fault'],
  },
  {
    name: 'readings of other metrics and devices are not the rule\'s',
    rules: [gas({ above: 20 })],
    metric: 'gas-2.lel',
    steps: [[0, 99]],
    expect: [],
  },
  {
    name: 'a clock that steps back restarts the hold time',
    rules: [gas({ above: 20, forMs: 3000 })],
    steps: [[10_000, 25], [500, 25], [3000, 25], [3500, 25]],
    expect: ['3500:raised:gas-high'],
  },
  {
    name: 'a clock that steps back empties the rate window',
    rules: [{ id: 'burst', metric: 'pressure-1.pressure', dropBy: 50, withinMs: 60_000, severity: 'major' }],
    metric: 'pressure-1.pressure',
    steps: [[0, 300], [10_000, 290], [5000, 240], [6000, 180]],
    expect: ['6000:raised:burst'],
  },
  {
    name: 'above and below on one rule: one alarm for the band',
    rules: [gas({ id: 'band', above: 30, below: 5 })],
    steps: [[0, 10], [1, 31], [2, 20], [3, 4], [4, 10]],
    expect: ['1:raised:band', '2:cleared:band', '3:raised:band', '4:cleared:band'],
  },
];

for (const c of CASES) {
  t.test(c.name, async (t) => {
    t.same(run(c.rules, c.metric ?? 'gas-1.lel', c.steps), c.expect);
  });
}

t.test('a transition carries the contract fields; the clear has the raise\'s id', async (t) => {
  const engine = new RuleEngine([gas({ above: 20, clearBelow: 15, snapshot: 'cam-1' })]);
  const [raised] = engine.evaluate(reading('gas-1.lel', [1000, 23.5]));
  t.same(raised, { id: 'gas-high-1000', rule: 'gas-high', device: 'gas-1', metric: 'lel', state: 'raised', severity: 'critical', value: 23.5, threshold: 20, ts: 1000, snapshot: 'cam-1' } satisfies AlarmTransition);
  const [cleared] = engine.evaluate(reading('gas-1.lel', [9000, 12]));
  t.same(cleared, { id: 'gas-high-1000', rule: 'gas-high', device: 'gas-1', metric: 'lel', state: 'cleared', severity: 'critical', value: 12, threshold: 15, ts: 9000 });
  const [again] = engine.evaluate(reading('gas-1.lel', [20_000, 30]));
  t.equal(again!.id, 'gas-high-20000', 'a new instance gets a new id');
});

t.test('the rate window stays bounded at any poll rate', async (t) => {
  const engine = new RuleEngine([{ id: 'burst', metric: 'p-1.pressure', dropBy: 1000, withinMs: 60_000, severity: 'major' }]);
  // A steady fall every 10 ms is the worst case for a window of maxima: each sample is a new minimum.
  const early: AlarmTransition[] = [];
  for (let ts = 0; ts <= 60_000; ts += 10) early.push(...engine.evaluate(reading('p-1.pressure', [ts, 10_000 - ts / 100])));
  t.same(early, [], 'a fall of 600 in a minute is no burst of 1000');
  // Reach into the one piece of state whose size matters.
  const state = (engine as unknown as { byMetric: Map<string, Array<{ conditions: Array<{ window: unknown[] }> }>> }).byMetric.get('p-1.pressure')![0]!;
  t.ok(state.conditions[0]!.window.length <= RATE_SLOTS + 1, `window holds ${state.conditions[0]!.window.length} samples`);
  // 1000 below the values of a minute ago, not of the last few thousand samples.
  const [raised] = engine.evaluate(reading('p-1.pressure', [60_010, 8995]));
  t.equal(raised?.state, 'raised', 'the old maximum is still in the window');
  t.equal(raised?.threshold, 1000);
});

t.test('a rate rule without a window is refused, not left silent', async (t) => {
  t.throws(() => new RuleEngine([gas({ dropBy: 5 })]), { code: 'RULE_INVALID', exitCode: 2, message: 'rule gas-high: dropBy and riseBy need withinMs' });
  t.throws(() => new RuleEngine([gas({ riseBy: 5 })]), { code: 'RULE_INVALID' });
});
