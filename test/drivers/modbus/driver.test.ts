// The modbus driver over real sockets against the Modbus simulator.
import t from 'tap';
import type { Profile } from '../../../config/profile-schema.js';
import { PolegateError } from '../../../config/errors.js';
import type { DriverContext } from '../../../drivers/sdk/types.js';
import modbus from '../../../drivers/modbus/index.js';
import { startModbusSim } from '../../../fixtures/modbus-sim.js';
import { byMetric, EVERY_TYPE_VALUES as VALUES, loadEveryTypeProfile } from '../../helpers/every-type.js';

const profile = await loadEveryTypeProfile();
const context = (deviceId = 'dev-1'): DriverContext => ({ deviceId, log: console, clock: { now: () => 1_700_000_000_000 }, timeoutMs: 500 });

t.test('reads every type and order exactly, with units, the clock and good quality', async (t) => {
  const sim = await startModbusSim({ profile });
  t.teardown(() => sim.close());
  for (const [metric, value] of Object.entries(VALUES)) sim.set(metric, value);
  const driver = modbus.create({ profile, host: sim.host, port: sim.port, unitId: 1 }, context());
  t.teardown(() => driver.close());
  await driver.open();
  const samples = await driver.read();
  t.equal(samples.length, profile.metrics.length, 'one sample per metric');
  for (const sample of samples) {
    t.same(sample, { metric: sample.metric, value: VALUES[sample.metric], unit: profile.metrics.find((m) => m.name === sample.metric)!.unit ?? '', ts: 1_700_000_000_000, quality: 'good' }, sample.metric);
  }
  t.same(driver.describe().metrics.filter((m) => ['u16', 'label', 'relay', 'temp'].includes(m.name)), [
    { name: 'u16', unit: 'V', type: 'number' },
    { name: 'label', unit: '', type: 'string' },
    { name: 'temp', unit: 'Cel', type: 'number' },
    { name: 'relay', unit: '', type: 'boolean' },
  ]);
  t.equal(driver.describe().model, 'ET-1');
});

t.test('a Modbus exception marks the metrics of that request bad, and the device stays readable', async (t) => {
  const simProfile: Profile = { ...profile, metrics: profile.metrics.filter((m) => m.table !== 'coil') };
  const sim = await startModbusSim({ profile: simProfile });
  t.teardown(() => sim.close());
  sim.set('temp', 21.5);
  const driver = modbus.create({ profile, host: sim.host, port: sim.port, unitId: 1 }, context());
  t.teardown(() => driver.close());
  for (let poll = 1; poll <= 2; poll++) {
    const samples = byMetric(await driver.read());
    for (const name of ['relay', 'lamp']) {
      t.same(samples[name], { metric: name, value: null, unit: '', ts: 1_700_000_000_000, quality: 'bad', reason: 'Modbus exception 2 (illegal data address)' }, `poll ${poll}: ${name} bad`);
    }
    t.equal(samples.temp!.value, 21.5, `poll ${poll}: other tables still read`);
    t.equal(samples.temp!.quality, 'good');
  }
});

t.test('a stopped device fails within the timeout with a clear error; a restarted one is read again', async (t) => {
  const sim = await startModbusSim({ profile });
  sim.set('i16', 7);
  const driver = modbus.create({ profile, host: sim.host, port: sim.port, unitId: 3, timeoutMs: 300 }, context('gas-9'));
  t.teardown(() => driver.close());
  t.equal(byMetric(await driver.read()).i16!.value, 7);
  await sim.close();
  const started = Date.now();
  const err = await driver.read().then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof PolegateError, 'a PolegateError');
  t.match((err as Error).message, new RegExp(`^device gas-9 \\(Modbus TCP 127\\.0\\.0\\.1:${sim.port}, unit 3\\): .*failed`));
  t.ok(Date.now() - started < 2000, `failed after ${Date.now() - started} ms`);
  t.notMatch((err as Error).message, /\n\s+at /, 'no stack in the message');
  const again = await driver.read().then(() => undefined, (e: unknown) => e);
  t.match((again as Error).message, /connect failed/, 'reconnecting to nothing fails clearly too');

  const back = await startModbusSim({ profile, port: sim.port });
  t.teardown(() => back.close());
  back.set('i16', 8);
  t.equal(byMetric(await driver.read()).i16!.value, 8, 'reconnected by itself');
});

t.test('a device that never answers times out (wrong unit id)', async (t) => {
  const sim = await startModbusSim({ profile, unitId: 5 });
  t.teardown(() => sim.close());
  const driver = modbus.create({ profile, host: sim.host, port: sim.port, unitId: 1, timeoutMs: 200 }, context());
  t.teardown(() => driver.close());
  const started = Date.now();
  await t.rejects(driver.read(), /device dev-1 \(Modbus TCP .*, unit 1\): reading holding 0\+47 failed: Timed out/);
  t.ok(Date.now() - started < 1500, 'within the timeout');
});

t.test('a bit write to a device that never answers is a link failure, not a refused write', async (t) => {
  // The unit id no simulated unit has: the read before the bit write times out.
  const sim = await startModbusSim({ profile, unitId: 5 });
  t.teardown(() => sim.close());
  const driver = modbus.create({ profile, host: sim.host, port: sim.port, unitId: 1, timeoutMs: 200 }, context());
  t.teardown(() => driver.close());
  await t.rejects(driver.write!('flag-a', true), { code: 'DEVICE_UNREACHABLE', message: /writing flag-a failed: Timed out/ });
});

t.test('writes go to holding registers and coils and read back', async (t) => {
  const sim = await startModbusSim({ profile });
  t.teardown(() => sim.close());
  const driver = modbus.create({ profile, host: sim.host, port: sim.port, unitId: 1 }, context());
  t.teardown(() => driver.close());
  await driver.write!('f32-abcd', 101.325);
  await driver.write!('i16', -300);
  await driver.write!('u16', 12.3);
  await driver.write!('label', 'OK');
  await driver.write!('relay', true);
  sim.set('flag-b', true);
  await driver.write!('flag-a', true);
  t.same(
    [sim.value('f32-abcd'), sim.value('i16'), sim.value('u16'), sim.value('label'), sim.value('relay'), sim.value('flag-a'), sim.value('flag-b')],
    [101.325, -300, 12.3, 'OK', true, true, true],
    'the device has the values; writing one bit left the other alone',
  );
  await driver.write!('flag-b', false);
  await driver.write!('relay', false);
  const samples = byMetric(await driver.read());
  t.same([samples['f32-abcd']!.value, samples['flag-a']!.value, samples['flag-b']!.value, samples.relay!.value], [101.325, true, false, false]);
});

t.test('writes that cannot be are refused with a clear error', async (t) => {
  const sim = await startModbusSim({ profile });
  t.teardown(() => sim.close());
  const driver = modbus.create({ profile, host: sim.host, port: sim.port, unitId: 1 }, context());
  t.teardown(() => driver.close());
  await t.rejects(driver.write!('level', 3), { code: 'WRITE_REFUSED', exitCode: 2, message: /level is in the input table, which is read-only/ });
  await t.rejects(driver.write!('door', true), /door is in the discrete table, which is read-only/);
  await t.rejects(driver.write!('lamp', true), /lamp is not writable \(set writable: true in profile every-type/);
  await t.rejects(driver.write!('nope', 1), /no metric nope in profile every-type/);
  await t.rejects(driver.write!('i16', 40000), { code: 'WRITE_REFUSED', message: /cannot write i16: i16: 40000 is outside the int16 range/ });
  await t.rejects(driver.write!('relay', 'on'), /relay is a bool: write true or false/);
  t.equal(sim.value('i16'), 0, 'nothing was written');
});

t.test('options the driver cannot use are refused at create', async (t) => {
  const ctx = context();
  t.throws(() => modbus.create({ profile, unitId: 1, bus: 'rs485-1' }, ctx), { code: 'NOT_SUPPORTED', exitCode: 2, message: /device dev-1: Modbus RTU on bus rs485-1 needs the agent's shared buses, which this driver was not given/ });
  t.throws(() => modbus.create({ profile, unitId: 1, host: 'h', framing: 'rtu-over-tcp' }, ctx), /Modbus RTU over TCP to h:502 needs the agent's shared buses/);
  t.throws(() => modbus.create({ profile, unitId: 1 }, ctx), /needs host \(Modbus TCP\) or bus/);
  const bad: Profile = { name: 'bad', metrics: [{ name: 'x', table: 'holding', address: 0, type: 'float32', order: 'GHEFCDAB' }] };
  t.throws(() => modbus.create({ profile: bad, unitId: 1, host: 'h' }, ctx), /device dev-1: profile bad, metric x: float32 has 4 bytes/);
});

t.test('open() on a closed port fails clearly; close() is idempotent', async (t) => {
  const sim = await startModbusSim({ profile });
  const port = sim.port;
  await sim.close();
  const driver = modbus.create({ profile, host: '127.0.0.1', port, unitId: 1 }, context());
  await t.rejects(driver.open(), new RegExp(`device dev-1 \\(Modbus TCP 127\\.0\\.0\\.1:${port}, unit 1\\): connect failed: .*ECONNREFUSED`));
  await driver.close();
  await driver.close();
  t.pass('closed twice');
});
