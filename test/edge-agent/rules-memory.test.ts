// The rules across restarts, flapping input and clock jumps (rules.ts, RuleMemory), and stale rules:
// table cases on the pure engine, where a restart is a new engine restored from what the old one
// handed out; then the same through the SQLite alarm state (alarm-state.ts) in a real file.
import t from 'tap';
import { join } from 'node:path';
import type { RuleConfig } from '../../config/manifest-schema.js';
import { AlarmState, alarmStatePath } from '../../edge-agent/alarm-state.js';
import type { NormalizedReading } from '../../edge-agent/reading.js';
import { RuleEngine, type AlarmTransition, type RuleMemory } from '../../edge-agent/rules.js';

type Value = NormalizedReading['value'];
/** A reading [ts, value, quality?]; time passing with no reading; a restart (with other rules, if given). */
type Step = [number, Value] | [number, Value, NormalizedReading['quality']] | ['tick', number] | ['restart', number, RuleConfig[]?];

type Memories = Map<string, { definition: string; memory: RuleMemory }>;

function keep(memories: Memories, engine: RuleEngine): void {
  for (const { rule, definition, memory } of engine.changes()) {
    if (memory) memories.set(rule, { definition, memory: JSON.parse(JSON.stringify(memory)) as RuleMemory });
    else memories.delete(rule);
  }
}

/** Runs the steps; every transition as `ts:state:rule:id`. */
function run(rules: RuleConfig[], steps: Step[]): string[] {
  const out: string[] = [];
  const memories: Memories = new Map();
  const show = (alarms: AlarmTransition[]) => out.push(...alarms.map((a) => `${a.ts}:${a.state}:${a.rule}:${a.id}`));
  let engine = new RuleEngine(rules);
  for (const step of steps) {
    if (step[0] === 'restart') {
      engine = new RuleEngine(step[2] ?? rules);
      show(engine.restore(memories, step[1]));
    } else if (step[0] === 'tick') {
      show(engine.tick(step[1]));
    } else {
      const [ts, value, quality = 'good'] = step;
      show(engine.evaluate({ device: 'gas-1', metric: 'lel', value, unit: '%LEL', ts, quality }));
    }
    keep(memories, engine);
  }
  return out;
}

const gas = (rule: Partial<RuleConfig>): RuleConfig => ({ id: 'gas-high', metric: 'gas-1.lel', severity: 'critical', ...rule });
const burst = gas({ id: 'burst', dropBy: 10, withinMs: 60_000 });
const stale = gas({ id: 'silent', staleMs: 5000 });

const CASES: Array<{ name: string; rules: RuleConfig[]; steps: Step[]; expect: string[] }> = [
  {
    name: 'restart mid-alarm: no second raise, the clear has the first id',
    rules: [gas({ above: 20, clearBelow: 15 })],
    steps: [[0, 10], [1000, 25], ['restart', 1500], [2000, 25], [3000, 30], [4000, 14]],
    expect: ['1000:raised:gas-high:gas-high-1000', '4000:cleared:gas-high:gas-high-1000'],
  },
  {
    name: 'restart within the hold time: the hold goes on from where it was',
    rules: [gas({ above: 20, forMs: 3000 })],
    steps: [[0, 25], [1000, 25], ['restart', 1500], [2000, 25], [3000, 25]],
    expect: ['3000:raised:gas-high:gas-high-3000'],
  },
  {
    name: 'restart while a burst holds: it clears withinMs after its last trip, not at once',
    rules: [burst],
    steps: [[0, 50], [1000, 30], ['restart', 2000], [30_000, 30], [60_999, 30], [61_000, 30]],
    expect: ['1000:raised:burst:burst-1000', '61000:cleared:burst:burst-1000'],
  },
  {
    name: 'restart with nothing active: a raise after it is a new alarm',
    rules: [gas({ above: 20 })],
    steps: [[0, 25], [1000, 10], ['restart', 1500], [2000, 25]],
    expect: ['0:raised:gas-high:gas-high-0', '1000:cleared:gas-high:gas-high-0', '2000:raised:gas-high:gas-high-2000'],
  },
  {
    name: 'flapping inside the hysteresis band: one raise, one clear',
    rules: [gas({ above: 20, clearBelow: 15 })],
    steps: [[0, 21], [1, 16], [2, 21], [3, 16], [4, 20.5], [5, 15.5], [6, 14]],
    expect: ['0:raised:gas-high:gas-high-0', '6:cleared:gas-high:gas-high-0'],
  },
  {
    name: 'flapping across the threshold with a hold time: nothing',
    rules: [gas({ above: 20, forMs: 2000 })],
    steps: [[0, 25], [1000, 19], [1500, 25], [2500, 19], [3000, 25], [4000, 19], [5000, 25], [6000, 19]],
    expect: [],
  },
  {
    name: 'a clock that steps back across a restart restarts the hold time',
    rules: [gas({ above: 20, forMs: 3000 })],
    steps: [[9000, 25], [10_000, 25], ['restart', 10_500], [500, 25], [3000, 25], [3500, 25]],
    expect: ['3500:raised:gas-high:gas-high-3500'],
  },
  {
    name: 'a clock that jumps forward counts as time held',
    rules: [gas({ above: 20, forMs: 3000 })],
    steps: [[0, 25], [1000, 25], [86_400_000, 25]],
    expect: ['86400000:raised:gas-high:gas-high-86400000'],
  },
  {
    name: 'a rule changed by a new manifest keeps its alarm and clears it by its new limits',
    rules: [gas({ above: 20 })],
    steps: [[0, 22], ['restart', 500, [gas({ above: 25, clearBelow: 23 })]], [1000, 24], [2000, 22]],
    expect: ['0:raised:gas-high:gas-high-0', '2000:cleared:gas-high:gas-high-0'],
  },
  {
    name: 'a rule removed by a new manifest: its alarm is cleared at the restart',
    rules: [gas({ above: 20 })],
    steps: [[0, 22], ['restart', 500, [gas({ id: 'other', above: 90 })]], [1000, 95]],
    expect: ['0:raised:gas-high:gas-high-0', '500:cleared:gas-high:gas-high-0', '1000:raised:other:other-1000'],
  },
  {
    name: 'stale: raised once staleMs pass with no good reading, cleared by the next good one',
    rules: [stale],
    steps: [['tick', 0], [1000, 5], ['tick', 5999], ['tick', 6000], ['tick', 7000], [7500, 9, 'bad'], [7600, 9, 'uncertain'], ['tick', 8000], [9000, 6]],
    expect: ['6000:raised:silent:silent-6000', '9000:cleared:silent:silent-6000'],
  },
  {
    name: 'stale: the wait starts at start-up when no reading ever came',
    rules: [stale],
    steps: [['tick', 100_000], ['tick', 104_999], ['tick', 105_000]],
    expect: ['105000:raised:silent:silent-105000'],
  },
  {
    name: 'stale across a restart: no second raise, cleared under the first id',
    rules: [stale],
    steps: [['tick', 0], ['tick', 5000], ['restart', 6000], ['tick', 6000], ['tick', 20_000], [21_000, 5]],
    expect: ['5000:raised:silent:silent-5000', '21000:cleared:silent:silent-5000'],
  },
  {
    name: 'stale: a clock that steps back starts the wait again',
    rules: [stale],
    steps: [['tick', 10_000], ['tick', 500], ['tick', 5499], ['tick', 5500]],
    expect: ['5500:raised:silent:silent-5500'],
  },
];

for (const c of CASES) {
  t.test(c.name, async (t) => {
    t.same(run(c.rules, c.steps), c.expect);
  });
}

t.test('stale alarms carry the last good value and staleMs as threshold', async (t) => {
  const engine = new RuleEngine([stale]);
  engine.evaluate({ device: 'gas-1', metric: 'lel', value: 4.5, unit: '%LEL', ts: 0, quality: 'good' });
  t.same(engine.tick(5000), [{ id: 'silent-5000', rule: 'silent', device: 'gas-1', metric: 'lel', state: 'raised', severity: 'critical', value: 4.5, threshold: 5000, ts: 5000 }]);
  t.equal(new RuleEngine([gas({ above: 1 }), stale]).shortestStaleMs, 5000);
  t.equal(new RuleEngine([gas({ above: 1 })]).shortestStaleMs, undefined);
});

t.test('the alarm state in SQLite: an active alarm survives the file being closed and opened', async (t) => {
  const file = alarmStatePath(join(t.testdir(), 'outbox.db'));
  t.equal(file, join(t.testdir(), 'outbox-alarms.db'));
  const rules = [gas({ above: 20 }), gas({ id: 'quiet', above: 90 })];
  const first = new RuleEngine(rules);
  const store = AlarmState.open(file);
  const [raised] = first.evaluate({ device: 'gas-1', metric: 'lel', value: 25, unit: '%LEL', ts: 1000, quality: 'good' });
  store.save(first.changes());
  t.same(first.changes(), [], 'nothing new to write after a write');
  store.close();

  const again = AlarmState.open(file);
  t.teardown(() => again.close());
  const memories = again.load();
  t.same([...memories.keys()], ['gas-high'], 'only a rule with something to remember has a row');
  const second = new RuleEngine(rules);
  t.same(second.restore(memories, 2000), []);
  t.same(second.evaluate({ device: 'gas-1', metric: 'lel', value: 30, unit: '%LEL', ts: 3000, quality: 'good' }), []);
  const [cleared] = second.evaluate({ device: 'gas-1', metric: 'lel', value: 5, unit: '%LEL', ts: 4000, quality: 'good' });
  t.equal(cleared!.id, raised!.id);
  again.save(second.changes());
  t.same([...again.load().keys()], [], 'cleared: the row is gone');

  again.save([{ rule: 'gone', definition: '{}', memory: { trippingSince: 1 } }]);
  again.keepOnly(['gas-high']);
  t.same([...again.load().keys()], [], 'rows of rules no longer in the manifest are dropped');
  t.throws(() => AlarmState.open(join(file, 'not-a-folder', 'outbox-alarms.db')), { code: 'ALARM_STATE_OPEN' });
});
