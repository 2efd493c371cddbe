import t from 'tap';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { polegate } from '../helpers/polegate-cli.js';

const GAS = `profile gas-detector: 3 requests per poll for 6 metrics (at most 60 registers per read, gap 0)
  fc  table     start  count  metrics
  3   holding       0      3  lel, ch4, alarm-setpoint
  4   input         4      2  temp
  2   discrete      0      2  fault, alarm
`;
const PRESSURE = `profile pressure-transmitter: 2 requests per poll for 5 metrics (at most 100 registers per read, gap 0)
  fc  table    start  count  metrics
  3   holding    100      1  damping
  4   input        0      4  pressure, temp, over-range, sensor-fault
`;
const LEVEL = `profile water-level: 2 requests per poll for 5 metrics (at most 32 registers per read, gap 0)
  fc  table    start  count  metrics
  3   holding      0      5  level, distance, battery, operating-hours
  1   coil         0      1  pump
`;

t.test('the plans of the built-in profiles', async (t) => {
  for (const [name, metrics, plan] of [['gas-detector', 6, GAS], ['pressure-transmitter', 5, PRESSURE], ['water-level', 5, LEVEL]] as const) {
    const file = `drivers/profiles/${name}.yaml`;
    const run = await polegate(['validate', '--explain', file]);
    t.equal(run.code, 0, run.stderr);
    t.equal(run.stdout, `${file}: valid device profile (${name}, ${metrics} metrics)\n\n${plan}`, name);
  }
});

t.test('a manifest: every Modbus device, then the requests per poll cycle', async (t) => {
  const run = await polegate(['validate', '--explain', 'config/examples/pole.yaml'], { POLE_SECRET: 'x', CAM_PASSWORD: 'y' });
  t.equal(run.code, 0, run.stderr);
  const device = (plan: string, id: string, unit: number) => plan.replace(/^profile ([^:]+)/, `device ${id} (profile $1, unit ${unit})`);
  t.equal(run.stdout, [
    'config/examples/pole.yaml: valid pole manifest (pole bj-cy-000123, 4 devices, 3 rules)\n',
    device(GAS, 'gas-1', 1),
    device(LEVEL, 'level-1', 2),
    device(PRESSURE, 'pressure-1', 1),
    '7 requests per poll cycle for 3 Modbus devices\n',
  ].join('\n'));
});

t.test('without --explain the output is one line', async (t) => {
  const run = await polegate(['validate', 'drivers/profiles/gas-detector.yaml']);
  t.equal(run.stdout, 'drivers/profiles/gas-detector.yaml: valid device profile (gas-detector, 6 metrics)\n');
});

t.test('maxGapRegisters joins metrics across unused addresses, within maxRegistersPerRead', async (t) => {
  const dir = t.testdir();
  const profile = (gap: number) => `name: meter
maxRegistersPerRead: 6
maxGapRegisters: ${gap}
metrics:
  - { name: a, table: holding, address: 0 }
  - { name: b, table: holding, address: 3 }
  - { name: c, table: holding, address: 6, type: float32 }
  - { name: d, table: coil, address: 0 }
  - { name: e, table: coil, address: 2 }
`;
  const file = path.join(dir, 'meter.yaml');
  await writeFile(file, profile(0));
  const adjacent = await polegate(['validate', '--explain', file]);
  t.match(adjacent.stdout, 'profile meter: 5 requests per poll for 5 metrics (at most 6 registers per read, gap 0)');
  await writeFile(file, profile(2));
  const gapped = await polegate(['validate', '--explain', file]);
  t.equal(gapped.code, 0, gapped.stderr);
  t.equal(gapped.stdout.split('\n').slice(2).join('\n'), `profile meter: 3 requests per poll for 5 metrics (at most 6 registers per read, gap 2)
  fc  table    start  count  metrics
  3   holding      0      4  a, b
  3   holding      6      2  c
  1   coil         0      3  d, e
`, 'a and b join across 2 unused registers; c would too, but 0-7 is more than 6 registers');
  await writeFile(file, profile(200));
  const refused = await polegate(['validate', file]);
  t.equal(refused.code, 2);
  t.match(refused.stdout, 'maxGapRegisters');
});
