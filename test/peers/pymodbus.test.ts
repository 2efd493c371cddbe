// polegate against an independent Modbus implementation: Debian's pymodbus server, over TCP and over
// RTU on a socat pty pair with several units, holding register images the test writes with the
// profile's own layout. Every type in every byte order must read back as the value written.
import t from 'tap';
import pino from 'pino';
import type { Profile } from '../../config/profile-schema.js';
import type { DriverContext, ReadingValue, Sample } from '../../drivers/sdk/types.js';
import modbus from '../../drivers/modbus/index.js';
import { encodeValue } from '../../drivers/sdk/decode-registers.js';
import { BusArbiter } from '../../edge-agent/bus-arbiter.js';
import { interFrameGapMs, openSerialLink } from '../../edge-agent/serial-link.js';
import { EVERY_TYPE_VALUES, loadEveryTypeProfile } from '../helpers/every-type.js';
import { missingService } from '../helpers/services.js';
import { startPtyPair } from './pty-pair.js';
import { startPymodbus, type PymodbusUnits } from './pymodbus.js';

const skip = (await missingService('pymodbus')) ?? (await missingService('socat'));
const log = pino({ level: 'silent' });
const profile = await loadEveryTypeProfile();
/** Each metric's value, as the tables below compare them. */
const valuesOf = (samples: Sample[]) => Object.fromEntries(samples.map((s) => [s.metric, s.value]));

const VALUES: Record<string, ReadingValue> = EVERY_TYPE_VALUES;
const OTHER: Record<string, ReadingValue> = { ...VALUES, i16: 31000, 'f32-cdab': 1.5, 'u64-hgfedcba': 9007199254740991, label: 'U2', 'flag-b': false, relay: false };

/** The tables of a unit holding `values`, as pymodbus takes them: every address from 0. */
function tablesOf(p: Profile, values: Record<string, ReadingValue>): PymodbusUnits[number] {
  const tables: Record<'holding' | 'input' | 'coil' | 'discrete', number[]> = { holding: [], input: [], coil: [], discrete: [] };
  for (const metric of p.metrics) {
    const table = tables[metric.table];
    const image = encodeValue(metric, values[metric.name]!, [table[metric.address] ?? 0]);
    image.forEach((word, i) => (table[metric.address + i] = word));
  }
  return tables;
}

const context = (deviceId: string, extra: Partial<DriverContext> = {}): DriverContext => ({ deviceId, log, clock: { now: Date.now }, timeoutMs: 1000, ...extra });

t.test('Modbus TCP against pymodbus: every type and order', { skip }, async (t) => {
  const server = await startPymodbus({ tcp: 0 }, { 1: tablesOf(profile, VALUES) });
  t.teardown(() => server.stop());
  const driver = modbus.create({ profile, host: '127.0.0.1', port: server.port!, unitId: 1 }, context('tcp-1'));
  t.teardown(() => driver.close());
  t.same(valuesOf(await driver.read()), VALUES);
  await driver.write!('f32-abcd', -7.25);
  await driver.write!('relay', false);
  const after = valuesOf(await driver.read());
  t.same([after['f32-abcd'], after.relay], [-7.25, false], 'writes reach pymodbus');
});

t.test('Modbus RTU on a pty bus against pymodbus: two units, every type and order, an absent unit times out', { skip }, async (t) => {
  const pty = await startPtyPair(t.testdir());
  t.teardown(() => pty.close());
  const server = await startPymodbus({ rtu: pty.a }, { 1: tablesOf(profile, VALUES), 2: tablesOf(profile, OTHER) });
  t.teardown(() => server.stop());
  const config = { id: 'rs485-1', port: pty.b, baudRate: 9600 };
  const arbiter = new BusArbiter({ id: config.id, where: pty.b, gapMs: interFrameGapMs(config), open: () => openSerialLink(config), log });
  t.teardown(() => arbiter.close());
  const make = (id: string, unitId: number, timeoutMs = 1000) => {
    const d = modbus.create({ profile, bus: 'rs485-1', unitId }, context(id, { transport: { bus: arbiter.handle(id, { timeoutMs, retries: 0 }), tcpBus: () => { throw new Error('no TCP'); } } }));
    t.teardown(() => d.close());
    return d;
  };
  const [one, two] = [make('u1', 1), make('u2', 2)];
  const [a, b] = await Promise.all([one.read(), two.read()]);
  t.same(valuesOf(a), VALUES, 'unit 1');
  t.same(valuesOf(b), OTHER, 'unit 2');
  await two.write!('i16', -123);
  t.equal(valuesOf(await two.read()).i16, -123, 'a write over RTU');
  await t.rejects(make('u3', 3, 200).read(), /device u3 \(Modbus RTU on bus rs485-1 at .*, unit 3\): reading holding 0\+47 failed: no answer within 200 ms/);
  t.same(valuesOf(await one.read()), VALUES, 'unit 1 again after the silent one');
});
