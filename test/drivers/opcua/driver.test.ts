// The opcua driver against node-opcua's own server (fixtures/opcua-sim.ts): poll and subscribe,
// status codes as quality, a node that does not exist, a server restart, certificates in stateDir,
// Sign and SignAndEncrypt with a user and password.
import t, { type Test } from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import opcua from '../../../drivers/opcua/index.js';
import type { OpcuaDriverOptions } from '../../../drivers/opcua/options.js';
import type { Driver, Sample } from '../../../drivers/sdk/index.js';
import { startOpcuaSim } from '../../../fixtures/opcua-sim.js';
import { waitFor } from '../../helpers/wait.js';

const nodes: OpcuaDriverOptions['nodes'] = [
  { name: 'flow', nodeId: 'ns=1;s=Pump1.Flow', type: 'float', unit: 'm3/h' },
  { name: 'pressure', nodeId: 'ns=1;s=Pump1.Pressure', type: 'float', unit: 'MPa' },
  { name: 'running', nodeId: 'ns=1;s=Pump1.Running', type: 'bool' },
  { name: 'mode', nodeId: 'ns=1;s=Pump1.Mode', type: 'string' },
  { name: 'level', nodeId: 'ns=1;s=Pump1.Level', type: 'float', unit: 'm' },
  { name: 'vibration', nodeId: 'ns=1;s=Pump1.Vibration', type: 'float', unit: 'mm/s' },
];

const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function driverFor(t: Test, options: OpcuaDriverOptions, stateDir: string): Driver {
  const driver = opcua.create(options, { deviceId: 'plc-1', log, clock: { now: () => Date.now() }, timeoutMs: 2000, stateDir });
  t.teardown(() => driver.close());
  return driver;
}

const byName = (samples: Sample[]) => Object.fromEntries(samples.map((s) => [s.metric, s]));

const sim = await startOpcuaSim();
t.teardown(() => sim.close());

t.test('poll: every node read, status codes as quality, certificates under stateDir', async (t) => {
  const stateDir = t.testdir();
  const driver = driverFor(t, { endpoint: sim.endpoint, nodes, timeoutMs: 10_000 }, stateDir);
  await driver.open();
  t.same(driver.describe().metrics.map((m) => [m.name, m.type, m.unit]), [['flow', 'number', 'm3/h'], ['pressure', 'number', 'MPa'], ['running', 'boolean', ''], ['mode', 'string', ''], ['level', 'number', 'm'], ['vibration', 'number', 'mm/s']]);
  const s = byName(await driver.read());
  t.match(s.flow, { value: Number, unit: 'm3/h', quality: 'good' });
  t.ok(s.flow!.value as number > 110 && (s.flow!.value as number) < 130);
  t.match(s.pressure, { unit: 'MPa', quality: 'good' });
  t.match(s.running, { value: true, quality: 'good' });
  t.match(s.mode, { value: 'auto', quality: 'good' });
  t.match(s.level, { value: 2.5, quality: 'uncertain', reason: /UncertainLastUsableValue/ });
  t.match(s.vibration, { value: null, quality: 'bad', reason: /BadSensorFailure from ns=1;s=Pump1\.Vibration/ });
  t.ok(existsSync(join(stateDir, 'opcua-pki', 'own')), 'the client PKI is in the state folder');
});

t.test('a node that does not exist: open fails naming its node id', async (t) => {
  const driver = driverFor(t, { endpoint: sim.endpoint, nodes: [...nodes.slice(0, 1), { name: 'ghost', nodeId: 'ns=1;s=Pump1.Ghost', type: 'float' }] }, t.testdir());
  await t.rejects(driver.open(), { message: /has no node ns=1;s=Pump1\.Ghost \(nodes: ghost\)/, code: 'OPCUA_NODE_UNKNOWN' });
});

t.test('subscribe: changes pushed by the server are what the next poll reports', async (t) => {
  const driver = driverFor(t, { endpoint: sim.endpoint, nodes, subscribe: true, timeoutMs: 5000 }, t.testdir());
  await driver.open();
  sim.set('Mode', 'manual');
  await waitFor('the pushed change', async () => byName(await driver.read()).mode!.value === 'manual', 10_000);
  sim.set('Mode', 'auto');
  await waitFor('the change back', async () => byName(await driver.read()).mode!.value === 'auto', 10_000);
});

t.test('a restarted server is read again without a new driver', async (t) => {
  const own = await startOpcuaSim();
  const driver = driverFor(t, { endpoint: own.endpoint, nodes: nodes.slice(0, 1), timeoutMs: 3000 }, t.testdir());
  await driver.open();
  t.equal((await driver.read())[0]!.quality, 'good');
  await own.close();
  await t.rejects(driver.read(), /OPC UA/, 'a read while the server is down fails');
  const again = await startOpcuaSim({ port: own.port, pkiDir: own.pkiDir });
  t.teardown(() => again.close());
  const samples = await waitFor('a read after the restart', async () => driver.read(), 15_000);
  t.equal(samples[0]!.quality, 'good');
});

t.test('Sign and SignAndEncrypt (Basic256Sha256) with user ops and its password; a wrong password is refused', async (t) => {
  const own = await startOpcuaSim({ password: 'pump-secret' });
  t.teardown(() => own.close());
  for (const securityMode of ['Sign', 'SignAndEncrypt'] as const) {
    // The first connect makes the client's key pair: give it time on a loaded machine.
    const driver = driverFor(t, { endpoint: own.endpoint, securityMode, username: 'ops', password: 'pump-secret', nodes: nodes.slice(0, 1), timeoutMs: 15_000 }, t.testdir());
    await driver.open();
    t.match((await driver.read())[0], { metric: 'flow', quality: 'good' }, `${securityMode}: read`);
  }
  const wrong = driverFor(t, { endpoint: own.endpoint, securityMode: 'SignAndEncrypt', username: 'ops', password: 'guess', nodes: nodes.slice(0, 1), timeoutMs: 15_000 }, t.testdir());
  await t.rejects(wrong.open(), /OPC UA/, 'a wrong password does not open a session');
});
