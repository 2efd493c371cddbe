// The bus arbiter over a real pseudo-terminal pair (socat) with the modbus driver on one end and the
// RTU simulator on the other: values exact in every type and order, faults, retries, one transaction
// at a time, a bounded queue, and RTU tunnelled over TCP.
import t, { type Test } from 'tap';
import net from 'node:net';
import pino from 'pino';
import { loadBuiltinProfile } from '../../fixtures/profiles.js';
import type { DriverContext } from '../../drivers/sdk/types.js';
import modbus from '../../drivers/modbus/index.js';
import { readRequest } from '../../drivers/modbus/pdu.js';
import { answerCheck, rtuFrame } from '../../drivers/modbus/rtu-frame.js';
import { BusArbiter } from '../../edge-agent/bus-arbiter.js';
import { BusTransports } from '../../edge-agent/bus-transports.js';
import { interFrameGapMs, openSerialLink } from '../../edge-agent/serial-link.js';
import { openTcpLink } from '../../edge-agent/tcp-link.js';
import { waitFor } from '../helpers/wait.js';
import { startModbusRtuSim, type RtuUnitOptions } from '../../fixtures/modbus-rtu-sim.js';
import { startPtyPair } from '../peers/pty-pair.js';
import { missingService } from '../helpers/services.js';
import { byMetric, loadEveryTypeProfile, EVERY_TYPE_VALUES as VALUES } from '../helpers/every-type.js';

const skip = await missingService('socat');
const log = pino({ level: 'silent' });
const everyType = await loadEveryTypeProfile();
const gas = await loadBuiltinProfile('gas-detector');

/** A pty bus: the simulator's units on one end, an arbiter on the other. */
async function bus(t: Test, units: RtuUnitOptions[], opts: { maxPendingPerDevice?: number } = {}) {
  const pty = await startPtyPair(t.testdir());
  t.teardown(() => pty.close());
  const sim = await startModbusRtuSim({ path: pty.a }, units);
  t.teardown(() => sim.close());
  const config = { id: 'rs485-1', port: pty.b, baudRate: 9600 };
  const arbiter = new BusArbiter({ id: config.id, where: pty.b, gapMs: interFrameGapMs(config), open: () => openSerialLink(config), log, ...opts });
  t.teardown(() => arbiter.close());
  const driver = (deviceId: string, unitId: number, timing = { timeoutMs: 300, retries: 0 }, profile = gas) => {
    const context: DriverContext = { deviceId, log, clock: { now: () => 1_700_000_000_000 }, timeoutMs: timing.timeoutMs, transport: { bus: arbiter.handle(deviceId, timing), tcpBus: () => { throw new Error('no TCP here'); } } };
    const d = modbus.create({ profile, unitId, bus: 'rs485-1' }, context);
    t.teardown(() => d.close());
    return d;
  };
  return { sim, arbiter, driver };
}

t.test('reads every type and order exactly over RTU; writes go through the same bus', { skip }, async (t) => {
  const { sim, driver } = await bus(t, [{ unitId: 7, profile: everyType }]);
  for (const [metric, value] of Object.entries(VALUES)) sim.unit(7).set(metric, value);
  const d = driver('et-1', 7, { timeoutMs: 500, retries: 0 }, everyType);
  await d.open();
  const samples = byMetric(await d.read());
  for (const [metric, value] of Object.entries(VALUES)) t.same([samples[metric]!.value, samples[metric]!.quality], [value, 'good'], metric);
  await d.write!('f32-abcd', 101.325);
  await d.write!('label', 'OK');
  await d.write!('relay', false);
  await d.write!('flag-b', false);
  t.same([sim.unit(7).value('f32-abcd'), sim.unit(7).value('label'), sim.unit(7).value('relay'), sim.unit(7).value('flag-a'), sim.unit(7).value('flag-b')], [101.325, 'OK', false, true, false]);
});

t.test('faults: exceptions by name, bad CRC and garbage as bad samples, silence and wrong ids as unreachable', { skip }, async (t) => {
  const { sim, driver } = await bus(t, [
    { unitId: 1, profile: gas, faults: { exception: 6 } },
    { unitId: 2, profile: gas, faults: { badCrc: true } },
    { unitId: 3, profile: gas, faults: { garbage: true } },
    { unitId: 4, profile: gas, faults: { silent: true } },
    { unitId: 5, profile: gas, faults: { answerAs: 9 } },
    { unitId: 6, profile: gas },
  ]);
  sim.unit(6).set('lel', 12.3);
  const busy = byMetric(await driver('gas-1', 1).read());
  t.same([busy.lel!.quality, busy.lel!.reason, busy.fault!.reason], ['bad', 'Modbus exception 6 (server device busy)', 'Modbus exception 6 (server device busy)'], 'an exception is a bad sample, by name');

  let started = Date.now();
  const crc = byMetric(await driver('gas-2', 2, { timeoutMs: 150, retries: 0 }).read());
  t.match(crc.lel, { quality: 'bad', value: null, reason: 'malformed answer: no valid answer within 150 ms: received a frame with a bad CRC' });
  started = Date.now();
  const garbage = byMetric(await driver('gas-3', 3, { timeoutMs: 150, retries: 0 }).read());
  t.match(garbage.lel, { quality: 'bad', reason: 'malformed answer: no valid answer within 150 ms: received bytes that are no Modbus frame' });
  t.match(garbage.temp, { quality: 'bad', reason: 'not read: malformed answer: no valid answer within 150 ms: received bytes that are no Modbus frame' }, 'the rest of the poll is not asked again');
  t.ok(Date.now() - started < 440, 'one timeout per poll, not one per request (3 would take 450 ms)');
  t.equal(sim.unit(3).requests, 1);

  started = Date.now();
  await t.rejects(driver('gas-4', 4, { timeoutMs: 150, retries: 1 }).read(), {
    code: 'DEVICE_UNREACHABLE',
    message: /^device gas-4 \(Modbus RTU on bus rs485-1 at .*ttyB, unit 4\): reading holding 0\+3 failed: no answer within 150 ms \(2 attempts\)/,
  });
  const took = Date.now() - started;
  t.ok(took >= 300 && took < 1500, `a silent unit costs its timeout per attempt (${took} ms)`);
  t.equal(sim.unit(4).requests, 2, 'retried once');
  await t.rejects(driver('gas-5', 5, { timeoutMs: 150, retries: 0 }).read(), /no answer within 150 ms; ignored a frame from unit 9/);

  started = Date.now();
  const good = byMetric(await driver('gas-6', 6).read());
  t.same([good.lel!.value, good.lel!.quality], [12.3, 'good'], 'the bus resynchronizes: the next unit reads fine');
  t.ok(Date.now() - started < 600, 'and at once, with no timeout of its own');
});

t.test('a late answer within the timeout is read; a stale one is not taken for the next unit\'s', { skip }, async (t) => {
  const { sim, driver } = await bus(t, [{ unitId: 1, profile: gas, faults: { delayMs: 120 } }, { unitId: 2, profile: gas }]);
  sim.unit(1).set('lel', 1.1);
  sim.unit(2).set('lel', 2.2);
  t.equal(byMetric(await driver('slow', 1).read()).lel!.value, 1.1, 'slow but within 300 ms');
  await t.rejects(driver('too-slow', 1, { timeoutMs: 60, retries: 0 }).read(), /no answer within 60 ms/);
  // Unit 1's answers arrive now, during unit 2's transactions: they must be ignored.
  for (let i = 0; i < 3; i++) t.equal(byMetric(await driver('fast', 2).read()).lel!.value, 2.2);
});

t.test('one transaction at a time, in turn across devices, with the inter-frame gap', { skip }, async (t) => {
  const { arbiter } = await bus(t, [1, 2, 3].map((unitId) => ({ unitId, profile: gas, faults: { delayMs: 5 } })));
  const order: number[] = [];
  const request = readRequest('holding', 0, 3);
  const one = (device: string, unitId: number) => arbiter.handle(device, { timeoutMs: 500, retries: 0 })
    .transact(rtuFrame(unitId, request), answerCheck(unitId, request))
    .then((frame) => order.push(frame[0]));
  // Device a queues three at once, b and c one each: b and c do not wait for all of a's.
  await Promise.all([one('a', 1), one('a', 1), one('a', 1), one('b', 2), one('c', 3)]);
  t.same(order, [1, 2, 3, 1, 1], 'round robin, FIFO within a device; each answer matched its request');
  t.equal(arbiter.answered, 5);
  t.ok(interFrameGapMs({ id: 'x', port: 'p', baudRate: 9600 }) > 3.6 && interFrameGapMs({ id: 'x', port: 'p', baudRate: 9600 }) < 3.7, '3.5 characters of 10 bits at 9600 baud');
  t.equal(interFrameGapMs({ id: 'x', port: 'p', baudRate: 9600, parity: 'even', stopBits: 2 }), (3.5 * 12 * 1000) / 9600);
  t.equal(interFrameGapMs({ id: 'x', port: 'p', baudRate: 115200 }), 1.75, 'fixed above 19200 baud');
});

t.test('a device that queues more than its share is refused and reported, others go on', { skip }, async (t) => {
  const { arbiter } = await bus(t, [{ unitId: 1, profile: gas, faults: { delayMs: 20 } }], { maxPendingPerDevice: 2 });
  const overruns: unknown[] = [];
  arbiter.on('overrun', (e) => overruns.push(e));
  const request = readRequest('holding', 0, 1);
  const send = (device: string) => arbiter.handle(device, { timeoutMs: 500, retries: 0 }).transact(rtuFrame(1, request), answerCheck(1, request));
  const results = await Promise.allSettled([send('greedy'), send('greedy'), send('greedy'), send('greedy'), send('other')]);
  t.same(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled'], 'two pending; the third and fourth refused');
  t.match((results[2] as PromiseRejectedResult).reason, { code: 'BUS_OVERRUN', message: /device greedy already has 2 transactions pending on bus rs485-1 at .*; it cannot keep up with its interval/ });
  t.same(overruns, [{ bus: 'rs485-1', device: 'greedy', pending: 2 }], 'reported once');
  await send('greedy');
  t.pass('accepted again once it has caught up');
});

t.test('RTU over TCP: devices behind one serial server share one connection and its arbiter', { skip }, async (t) => {
  const sim = await startModbusRtuSim({ tcp: {} }, [{ unitId: 1, profile: gas }, { unitId: 2, profile: gas, faults: { delayMs: 30 } }]);
  t.teardown(() => sim.close());
  sim.unit(1).set('lel', 4.5);
  sim.unit(2).set('ch4', 321);
  const transports = new BusTransports([], { clock: { now: Date.now }, log, onEvent: () => undefined });
  t.teardown(() => transports.close());
  const make = (id: string, unitId: number) => {
    const context: DriverContext = { deviceId: id, log, clock: { now: Date.now }, timeoutMs: 500, transport: transports.forDevice(id, undefined, { timeoutMs: 500, retries: 0 }) };
    return modbus.create({ profile: gas, unitId, host: '127.0.0.1', port: sim.port!, framing: 'rtu-over-tcp' }, context);
  };
  const [a, b] = [make('dtu-1', 1), make('dtu-2', 2)];
  const [ra, rb] = await Promise.all([a.read(), b.read()]);
  t.equal(byMetric(ra).lel!.value, 4.5);
  t.equal(byMetric(rb).ch4!.value, 321);
  t.throws(() => modbus.create({ profile: gas, unitId: 1, host: 'h', framing: 'rtu-over-tcp' }, { deviceId: 'x', log, clock: { now: Date.now }, timeoutMs: 100 }), { code: 'NOT_SUPPORTED', message: /device x: Modbus RTU over TCP to h:502 needs the agent's shared buses/ });
});

t.test('listen: bytes while the line is idle go to listeners, a transaction\'s to it; a listener survives a lost link', async (t) => {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    // An instrument that answers 'Q' with 'A\n'.
    socket.on('data', (d: Buffer) => d.includes('Q') && socket.write('A\n'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as net.AddressInfo;
  const arbiter = new BusArbiter({ id: 'line', where: `127.0.0.1:${port}`, gapMs: 0, open: () => openTcpLink('127.0.0.1', port, 500), log, reopenMs: { min: 20, max: 40 } });
  t.teardown(() => arbiter.close());
  let heard = '';
  const stop = arbiter.listen((bytes) => (heard += bytes.toString('latin1')));
  await waitFor('the link opened by listen alone', () => sockets.length === 1);
  sockets[0]!.write('stream-1\n');
  await waitFor('idle bytes to the listener', () => heard === 'stream-1\n');
  const answer = await arbiter.handle('d', { timeoutMs: 500, retries: 0 }).transact(Buffer.from('Q'), (got) => (got.includes('\n') ? { kind: 'frame', length: got.indexOf('\n') + 1 } : { kind: 'incomplete' }));
  t.equal(answer.toString(), 'A\n');
  t.equal(heard, 'stream-1\n', 'the answer went to the transaction, not the listener');
  sockets[0]!.destroy();
  await waitFor('the link reopened', () => sockets.length === 2, 5000);
  sockets[1]!.write('stream-2\n');
  await waitFor('the listener hears the new link', () => heard === 'stream-1\nstream-2\n');
  stop();
  sockets[1]!.write('stream-3\n');
  await arbiter.handle('d', { timeoutMs: 500, retries: 0 }).transact(Buffer.from('Q'), (got) => (got.includes('A\n') ? { kind: 'frame', length: got.indexOf('A\n') + 2 } : { kind: 'incomplete' }));
  t.equal(heard, 'stream-1\nstream-2\n', 'nothing after the listener stopped');
});
