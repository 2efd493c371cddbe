import t from 'tap';
import type { Manifest } from '../../config/manifest-schema.js';
import type { NormalizedReading } from '../../edge-agent/reading.js';
import { ReportFilter } from '../../edge-agent/report-filter.js';

/** One reading: [device.metric, ts, value] (quality good) or with a quality. */
type Step = [string, number, NormalizedReading['value']] | [string, number, NormalizedReading['value'], NormalizedReading['quality']];

/** Feeds the steps to a fresh filter; returns the ts of every reading sent. */
function sent(report: Manifest['report'], steps: Step[]): number[] {
  const filter = new ReportFilter(report);
  return steps
    .filter(([metric, ts, value, quality = 'good']) => {
      const [device, name] = metric.split('.') as [string, string];
      return filter.shouldSend({ device, metric: name, value, unit: '', ts, quality });
    })
    .map(([, ts]) => ts);
}

// Per-metric keys are allowed by the manifest schema but not named by its static type.
const gasBand = { default: 100, 'gas-1.lel': 0.5 };
const deviceBand = { default: 100, 'gas-1': 0.5, 'gas-1.co': 10 };
const badPressureBand = { default: 1, 'p-1.pressure': '5 kPa' };

const CASES: Array<{ name: string; report: Manifest['report']; steps: Step[]; expect: number[] }> = [
  {
    name: 'no report section: everything is sent',
    report: undefined,
    steps: [['p-1.pressure', 1, 300], ['p-1.pressure', 2, 300], ['p-1.pressure', 3, 300]],
    expect: [1, 2, 3],
  },
  {
    name: 'a heartbeat alone filters nothing',
    report: { heartbeatMs: 60_000 },
    steps: [['p-1.pressure', 1, 300], ['p-1.pressure', 2, 300]],
    expect: [1, 2],
  },
  {
    name: 'absolute deadband: strictly more than the band since the last sent value',
    report: { deadband: { default: 1 } },
    steps: [['p-1.pressure', 1, 300], ['p-1.pressure', 2, 301], ['p-1.pressure', 3, 299], ['p-1.pressure', 4, 301.5], ['p-1.pressure', 5, 302]],
    expect: [1, 4],
  },
  {
    name: 'a slow drift is reported once it adds up',
    report: { deadband: { default: 1 } },
    steps: [['p-1.pressure', 1, 300], ['p-1.pressure', 2, 300.6], ['p-1.pressure', 3, 301.2], ['p-1.pressure', 4, 301.8], ['p-1.pressure', 5, 302.4]],
    expect: [1, 3, 5],
  },
  {
    name: 'percent deadband: of the last sent value\'s magnitude',
    report: { deadband: { default: '0.5%' } },
    steps: [['p-1.pressure', 1, -200], ['p-1.pressure', 2, -201], ['p-1.pressure', 3, -201.01], ['p-1.pressure', 4, -202.02]],
    expect: [1, 3, 4],
  },
  {
    name: 'percent deadband around zero: any change is sent, no change is not',
    report: { deadband: { default: '10%' } },
    steps: [['v-1.flow', 1, 0], ['v-1.flow', 2, 0], ['v-1.flow', 3, 0.001]],
    expect: [1, 3],
  },
  {
    name: 'a zero deadband sends changes only',
    report: { deadband: { default: 0 } },
    steps: [['p-1.pressure', 1, 300], ['p-1.pressure', 2, 300], ['p-1.pressure', 3, 300.01]],
    expect: [1, 3],
  },
  {
    name: 'per-metric deadband wins over the default; each metric has its own last value',
    report: { deadband: gasBand },
    steps: [['gas-1.lel', 1, 3], ['p-1.pressure', 2, 300], ['gas-1.lel', 3, 3.6], ['p-1.pressure', 4, 350], ['gas-2.lel', 5, 3], ['gas-2.lel', 6, 3.6], ['p-1.pressure', 7, 401]],
    expect: [1, 2, 3, 5, 7],
  },
  {
    name: 'a device key sets the band of its metrics; a device.metric key wins over it',
    report: { deadband: deviceBand },
    steps: [['gas-1.lel', 1, 3], ['gas-1.lel', 2, 3.6], ['gas-1.co', 3, 20], ['gas-1.co', 4, 26], ['gas-1.co', 5, 31]],
    expect: [1, 2, 3, 5],
  },
  {
    name: 'heartbeat: sent once heartbeatMs has passed since the last sent reading',
    report: { deadband: { default: 1 }, heartbeatMs: 1000 },
    steps: [['p-1.pressure', 0, 300], ['p-1.pressure', 500, 300], ['p-1.pressure', 999, 300], ['p-1.pressure', 1000, 300], ['p-1.pressure', 1500, 300], ['p-1.pressure', 2000, 300]],
    expect: [0, 1000, 2000],
  },
  {
    name: 'a clock that steps back sends, so the heartbeat does not stall',
    report: { deadband: { default: 1 }, heartbeatMs: 1000 },
    steps: [['p-1.pressure', 5000, 300], ['p-1.pressure', 100, 300], ['p-1.pressure', 200, 300]],
    expect: [5000, 100],
  },
  {
    name: 'quality changes always send',
    report: { deadband: { default: 1 } },
    steps: [['p-1.pressure', 1, 300], ['p-1.pressure', 2, 300, 'uncertain'], ['p-1.pressure', 3, 300, 'uncertain'], ['p-1.pressure', 4, 'Modbus timeout', 'bad'], ['p-1.pressure', 5, 300]],
    expect: [1, 2, 4, 5],
  },
  {
    name: 'non-numeric values send when they change',
    report: { deadband: { default: 1 } },
    steps: [['gas-1.fault', 1, false], ['gas-1.fault', 2, false], ['gas-1.fault', 3, true], ['gas-1.mode', 4, 'auto'], ['gas-1.mode', 5, 'auto'], ['gas-1.mode', 6, 'manual']],
    expect: [1, 3, 4, 6],
  },
  {
    name: 'a bad reading with a new reason is news; a number after a string is news',
    report: { deadband: { default: 1 } },
    steps: [['p-1.pressure', 1, 'no value', 'bad'], ['p-1.pressure', 2, 'no value', 'bad'], ['p-1.pressure', 3, 'CRC error', 'bad'], ['p-1.pressure', 4, 300, 'bad']],
    expect: [1, 3, 4],
  },
];

for (const c of CASES) {
  t.test(c.name, async (t) => {
    t.same(sent(c.report, c.steps), c.expect);
  });
}

t.test('a deadband that is not a number or a percentage is refused', async (t) => {
  t.throws(() => new ReportFilter({ deadband: { default: 'half' } }), { code: 'BAD_DEADBAND' });
  t.throws(() => new ReportFilter({ deadband: badPressureBand }), { code: 'BAD_DEADBAND' });
});
