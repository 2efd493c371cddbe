// The built-in profiles load, are read in few requests, and keep the metrics manifests refer to.
import t from 'tap';
import { builtinDrivers, builtinProfileNames, builtinProfilePath } from '../../drivers/builtin.js';
import { builtinRuntimeKinds, loadBuiltinRuntime } from '../../drivers/builtin-runtime.js';
import { ModbusOptions } from '../../drivers/modbus/options.js';
import { planReads } from '../../drivers/modbus/read-plan.js';
import modbus from '../../drivers/modbus/index.js';
import { loadBuiltinProfile, loadProfileArg } from '../../fixtures/profiles.js';
import { startModbusSim } from '../../fixtures/modbus-sim.js';
import { quietScenario } from '../../fixtures/scenarios.js';

t.same(builtinProfileNames(), ['gas-detector', 'pressure-transmitter', 'water-level']);
t.equal(builtinProfilePath('nope'), undefined);
t.equal(builtinDrivers.modbus!.create, modbus.create);
t.equal(builtinDrivers.modbus!.optionsSchema, ModbusOptions);

t.test('the agent finds the same built-in drivers as config/, without their schemas', async (t) => {
  t.same([...builtinRuntimeKinds].sort(), Object.keys(builtinDrivers).sort());
  for (const kind of builtinRuntimeKinds) {
    const runtime = await loadBuiltinRuntime(kind);
    t.equal(runtime?.create, builtinDrivers[kind]!.create, kind);
    t.notOk(runtime && 'optionsSchema' in runtime, `${kind}: no schema at run time`);
  }
  t.equal(await loadBuiltinRuntime('toString'), undefined);
});

const EXPECT: Record<string, { metrics: string[]; maxRequests: number; units: Record<string, string> }> = {
  'gas-detector': { metrics: ['lel', 'temp', 'fault'], maxRequests: 3, units: { lel: '%LEL', temp: 'Cel' } },
  'pressure-transmitter': { metrics: ['pressure'], maxRequests: 2, units: { pressure: 'MPa' } },
  'water-level': { metrics: ['level', 'battery'], maxRequests: 2, units: { level: 'cm', battery: 'V' } },
};

for (const name of builtinProfileNames()) {
  t.test(name, async (t) => {
    const profile = await loadBuiltinProfile(name);
    const want = EXPECT[name]!;
    const plan = planReads(profile.metrics, { maxRegistersPerRead: profile.maxRegistersPerRead });
    t.ok(plan.length <= want.maxRequests, `${plan.length} requests per poll`);
    for (const metric of want.metrics) t.ok(profile.metrics.some((m) => m.name === metric), `has ${metric}`);
    for (const [metric, unit] of Object.entries(want.units)) t.equal(profile.metrics.find((m) => m.name === metric)!.unit, unit, `${metric} in ${unit}`);

    const sim = await startModbusSim({ profile, scenario: quietScenario(name), seed: 3 });
    t.teardown(() => sim.close());
    const driver = modbus.create({ profile, host: sim.host, port: sim.port, unitId: 1 }, { deviceId: name, log: console, clock: { now: Date.now }, timeoutMs: 1000 });
    t.teardown(() => driver.close());
    const samples = await driver.read();
    t.equal(samples.length, profile.metrics.length);
    t.ok(samples.every((s) => s.quality === 'good'), 'the quiet scenario reads good everywhere');
  });
}

t.test('profile arguments: name or path', async (t) => {
  t.equal((await loadProfileArg(builtinProfilePath('water-level')!)).model, 'WL-200');
  await t.rejects(loadProfileArg('gas-detecter'), { exitCode: 2, message: /no built-in profile gas-detecter; built-in profiles are gas-detector, pressure-transmitter, water-level/ });
});

t.test('built-in serial-line profiles: listed apart from the Modbus ones, valid, and refused by a Modbus device', async (t) => {
  const { loadLineProfile, loadProfile } = await import('../../config/load-profile.js');
  t.same(builtinProfileNames('serial-line'), ['radar-level', 'weather-station']);
  for (const name of builtinProfileNames('serial-line')) {
    const profile = await loadLineProfile(builtinProfilePath(name, 'serial-line')!);
    t.equal(profile.name, name, `${name} is named after its file`);
  }
  t.equal((await loadLineProfile(builtinProfilePath('radar-level', 'serial-line')!)).request, 'MEAS?\r\n');
  t.equal((await loadLineProfile(builtinProfilePath('weather-station', 'serial-line')!)).request, undefined, 'the weather station streams');
  await t.rejects(loadProfile(builtinProfilePath('radar-level', 'serial-line')!), { message: /kind: this is a serial-line profile; a modbus device needs a modbus profile/ });
});
