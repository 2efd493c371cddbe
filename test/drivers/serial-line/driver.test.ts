// The serial-line driver over real pseudo-terminals (socat) and TCP, through the agent's bus arbiter,
// against the serial-line simulator: polled and streaming instruments, noise, lines cut in pieces,
// other devices' lines, malformed lines (bad samples with the reason), silence (unreachable), and a
// line shared with Modbus RTU units, one transaction at a time.
import t, { type Test } from 'tap';
import pino from 'pino';
import type { DriverContext, Sample } from '../../../drivers/sdk/types.js';
import serialLine from '../../../drivers/serial-line/index.js';
import modbus from '../../../drivers/modbus/index.js';
import { loadLineProfile } from '../../../config/load-profile.js';
import { builtinProfilePath } from '../../../drivers/builtin.js';
import { BusArbiter } from '../../../edge-agent/bus-arbiter.js';
import { BusTransports } from '../../../edge-agent/bus-transports.js';
import { interFrameGapMs, openSerialLink } from '../../../edge-agent/serial-link.js';
import { startSerialLineSim, type SerialLineSimOptions } from '../../../fixtures/serial-line-sim.js';
import { startModbusRtuSim } from '../../../fixtures/modbus-rtu-sim.js';
import { loadBuiltinProfile } from '../../../fixtures/profiles.js';
import { startPtyPair } from '../../peers/pty-pair.js';
import { startRs485Hub } from '../../helpers/rs485-hub.js';
import { missingService } from '../../helpers/services.js';
import { waitFor } from '../../helpers/wait.js';

const skip = await missingService('socat');
const log = pino({ level: 'silent' });
const radar = await loadLineProfile(builtinProfilePath('radar-level', 'serial-line')!);
const weather = await loadLineProfile(builtinProfilePath('weather-station', 'serial-line')!);
const byMetric = (samples: Sample[]) => Object.fromEntries(samples.map((s) => [s.metric, s]));
const values = (samples: Sample[]) => Object.fromEntries(samples.map((s) => [s.metric, s.value]));

function arbiterOn(t: Test, port: string): BusArbiter {
  const config = { id: 'rs485-1', port, baudRate: 9600 };
  const arbiter = new BusArbiter({ id: config.id, where: port, gapMs: interFrameGapMs(config), open: () => openSerialLink(config), log });
  t.teardown(() => arbiter.close());
  return arbiter;
}

function context(deviceId: string, arbiter: BusArbiter, timing = { timeoutMs: 300, retries: 0 }): DriverContext {
  return { deviceId, log, clock: { now: Date.now }, timeoutMs: timing.timeoutMs, transport: { bus: arbiter.handle(deviceId, timing), tcpBus: () => { throw new Error('no TCP here'); } } };
}

async function onPty(t: Test, sim: SerialLineSimOptions) {
  const pty = await startPtyPair(t.testdir());
  t.teardown(() => pty.close());
  const instrument = await startSerialLineSim({ path: pty.a }, sim);
  t.teardown(() => instrument.close());
  return { instrument, arbiter: arbiterOn(t, pty.b) };
}

t.test('a polled instrument on a pty: values, noise, pieces, foreign lines, a malformed line, silence', { skip }, async (t) => {
  const { instrument, arbiter } = await onPty(t, { instrument: 'radar-level' });
  const d = serialLine.create({ profile: radar, bus: 'rs485-1' }, context('radar-1', arbiter));
  t.teardown(() => d.close());
  await d.open();
  t.same(d.describe().metrics, [{ name: 'level', unit: 'm', type: 'number' }, { name: 'temp', unit: 'Cel', type: 'number' }, { name: 'status', unit: '', type: 'string' }]);
  const first = await d.read();
  t.same(values(first), { level: 1.234, temp: 21.5, status: 'OK' });
  t.ok(first.every((s) => s.quality === 'good'));
  instrument.set({ level: -0.25, temp: -3.5, status: 'LOW' });
  for (const fault of [{ noise: true }, { partial: true }, { foreign: true }, { noise: true, partial: true, foreign: true }]) {
    instrument.fault(fault);
    t.same(values(await d.read()), { level: -0.25, temp: -3.5, status: 'LOW' }, `good through ${Object.keys(fault).join(' + ')}`);
  }
  instrument.fault({ garbage: true });
  const bad = byMetric(await d.read());
  t.equal(bad.level!.quality, 'bad');
  t.equal(bad.level!.value, null);
  t.match(bad.level!.reason, /^malformed answer: no valid answer within 300 ms: received line "ERR\?\? 0x1F ###" does not match the profile's line: pattern$/);
  instrument.fault({ silent: true });
  await t.rejects(d.read(), { code: 'DEVICE_UNREACHABLE', message: /device radar-1 \(serial line on bus rs485-1 at .*\): no answer within 300 ms; check that the instrument is powered and wired/ });
  instrument.fault({});
  t.equal(values(await d.read()).level, -0.25, 'reads again once the instrument answers');
});

t.test('a streaming instrument: the latest complete line is the poll value; garbage is bad, silence unreachable', { skip }, async (t) => {
  const { instrument, arbiter } = await onPty(t, { instrument: 'weather-station', streamMs: 20 });
  const d = serialLine.create({ profile: weather, bus: 'rs485-1' }, context('wx-1', arbiter));
  t.teardown(() => d.close());
  await d.open();
  t.same(values(await d.read()), { wind_dir: 236, wind_speed: 3.4, temp: 18.2, humidity: 61.3, pressure: 1013.2, rain: 0.25 });
  instrument.set({ temp: -7.5, pressure: 998.1 });
  await waitFor('the new values on the line', async () => (await d.read()).find((s) => s.metric === 'temp')?.value === -7.5, 5000);
  instrument.fault({ noise: true, partial: true, foreign: true });
  await d.read();
  t.same(values(await d.read()).pressure, 998.1, 'noise, pieces and other devices\' lines in between');
  instrument.fault({ garbage: true });
  await waitFor('a bad sample', async () => (await d.read())[0]!.quality === 'bad', 5000);
  t.match(byMetric(await d.read()).temp!.reason, /line "ERR\?\? 0x1F ###" does not match/);
  instrument.fault({ silent: true });
  await d.read().catch(() => undefined);
  await t.rejects(d.read(), { code: 'DEVICE_UNREACHABLE', message: /no line within 300 ms/ });
});

t.test('over TCP to a serial server, through the agent\'s transports', async (t) => {
  const instrument = await startSerialLineSim({ tcp: { port: 0 } }, { instrument: 'radar-level' });
  t.teardown(() => instrument.close());
  const transports = new BusTransports([], { clock: { now: Date.now }, log, onEvent: () => undefined });
  t.teardown(() => transports.close());
  const transport = transports.forDevice('radar-tcp', undefined, { timeoutMs: 500, retries: 0 });
  const d = serialLine.create({ profile: radar, host: '127.0.0.1', port: instrument.port! }, { deviceId: 'radar-tcp', log, clock: { now: Date.now }, timeoutMs: 500, transport });
  t.teardown(() => d.close());
  await d.open();
  t.same(values(await d.read()), { level: 1.234, temp: 21.5, status: 'OK' });
  instrument.fault({ partial: true, noise: true });
  instrument.set({ level: 7.5 });
  t.equal(values(await d.read()).level, 7.5);
  t.equal(instrument.requests, 2, 'one request per poll');

  const stream = await startSerialLineSim({ tcp: { port: 0 } }, { instrument: 'weather-station', streamMs: 20 });
  t.teardown(() => stream.close());
  const w = serialLine.create({ profile: weather, host: '127.0.0.1', port: stream.port! }, { deviceId: 'wx-tcp', log, clock: { now: Date.now }, timeoutMs: 500, transport: transports.forDevice('wx-tcp', undefined, { timeoutMs: 500, retries: 0 }) });
  t.teardown(() => w.close());
  await w.open();
  t.equal(values(await w.read()).wind_dir, 236, 'a streaming instrument over TCP');
});

t.test('on an RS-485 line shared with Modbus RTU units: both read, one transaction at a time', { skip }, async (t) => {
  const root = t.testdir();
  const hub = await startRs485Hub(root, 2);
  t.teardown(() => hub.close());
  const gas = await loadBuiltinProfile('gas-detector');
  const units = await startModbusRtuSim({ path: hub.drops[0]! }, [{ unitId: 1, profile: gas }, { unitId: 2, profile: gas }]);
  t.teardown(() => units.close());
  units.unit(1).set('lel', 12.5);
  units.unit(2).set('lel', 3);
  const instrument = await startSerialLineSim({ path: hub.drops[1]! }, { instrument: 'radar-level' });
  t.teardown(() => instrument.close());
  const arbiter = arbiterOn(t, hub.master);
  const line = serialLine.create({ profile: radar, bus: 'rs485-1' }, context('radar-1', arbiter, { timeoutMs: 500, retries: 0 }));
  const gas1 = modbus.create({ profile: gas, unitId: 1, bus: 'rs485-1' }, context('gas-1', arbiter, { timeoutMs: 500, retries: 0 }));
  const gas2 = modbus.create({ profile: gas, unitId: 2, bus: 'rs485-1' }, context('gas-2', arbiter, { timeoutMs: 500, retries: 0 }));
  for (const d of [line, gas1, gas2]) {
    t.teardown(() => d.close());
    await d.open();
  }
  for (let round = 0; round < 5; round++) {
    instrument.set({ level: round });
    const [r, g1, g2] = await Promise.all([line.read(), gas1.read(), gas2.read()]);
    t.equal(values(r).level, round, `round ${round}: the instrument`);
    t.equal(values(g1).lel, 12.5, `round ${round}: unit 1`);
    t.equal(values(g2).lel, 3, `round ${round}: unit 2`);
  }
  t.equal(instrument.requests, 5, 'the instrument heard only its own requests');
  const turns = hub.turns;
  const answersBeforeNextRequest = turns.every((who, i) => i === 0 || (who === 'master') !== (turns[i - 1] === 'master'));
  t.ok(answersBeforeNextRequest, `the master never wrote twice without an answer between: ${turns.join(' ')}`);
});
