// Runs every folder of test/cases/modbus (see its README): the codec reads the register dump
// through the read plan, and the driver reads the same dump over Modbus TCP from a server.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { freePort } from '../../../fixtures/free-port.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import modbusSerial from 'modbus-serial';
import type { Profile, RegisterTable } from '../../../config/profile-schema.js';
import { planReads } from '../../../drivers/modbus/read-plan.js';
import { decodeRegisters } from '../../../drivers/sdk/decode-registers.js';
import modbus from '../../../drivers/modbus/index.js';
import { loadProfile } from '../../../config/load-profile.js';

const CASES = fileURLToPath(new URL('../../cases/modbus/', import.meta.url));
type Dump = Partial<Record<RegisterTable, Record<string, number>>>;

function wordsOf(dump: Dump, table: RegisterTable, address: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => {
    const word = dump[table]?.[String(address + i)];
    if (word === undefined) throw Object.assign(new Error(`no ${table} ${address + i} in the dump`), { modbusErrorCode: 2 });
    return word;
  });
}

function inProfileOrder<T extends { metric: string }>(profile: Profile, samples: T[]): T[] {
  const order = profile.metrics.map((m) => m.name);
  return [...samples].sort((a, b) => order.indexOf(a.metric) - order.indexOf(b.metric));
}

async function serveDump(dump: Dump): Promise<{ port: number; close: () => Promise<void> }> {
  const port = await freePort();
  const vector = {
    getHoldingRegister: (a: number) => wordsOf(dump, 'holding', a, 1)[0],
    getMultipleHoldingRegisters: (a: number, n: number) => wordsOf(dump, 'holding', a, n),
    getInputRegister: (a: number) => wordsOf(dump, 'input', a, 1)[0],
    getMultipleInputRegisters: (a: number, n: number) => wordsOf(dump, 'input', a, n),
    getCoil: (a: number) => wordsOf(dump, 'coil', a, 1)[0] === 1,
    getDiscreteInput: (a: number) => wordsOf(dump, 'discrete', a, 1)[0] === 1,
  };
  const server = new modbusSerial.ServerTCP(vector, { host: '127.0.0.1', port });
  await new Promise((resolve) => server.once('initialized', resolve));
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const names = readdirSync(CASES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
t.ok(names.length >= 6, `${names.length} cases`);

for (const name of names) {
  t.test(name, async (t) => {
    const dir = path.join(CASES, name);
    const profile = await loadProfile(path.join(dir, 'profile.yaml'));
    const dump = JSON.parse(readFileSync(path.join(dir, 'registers.json'), 'utf8')) as Dump;
    const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as unknown[];

    const decoded = planReads(profile.metrics, { maxRegistersPerRead: profile.maxRegistersPerRead }).flatMap((request) => {
      const words = wordsOf(dump, request.table, request.address, request.count);
      return request.metrics.map(({ metric, offset, width }) => ({ metric: metric.name, ...decodeRegisters(metric, words.slice(offset, offset + width)) }));
    });
    t.same(inProfileOrder(profile, decoded), expected, 'codec');

    const server = await serveDump(dump);
    t.teardown(server.close);
    const driver = modbus.create({ profile, host: '127.0.0.1', port: server.port, unitId: 1 }, { deviceId: name, log: console, clock: { now: () => 42 }, timeoutMs: 2000 });
    t.teardown(() => driver.close());
    await driver.open();
    const samples = await driver.read();
    t.same(inProfileOrder(profile, samples).map(({ unit, ts, ...rest }) => rest), expected, 'driver over Modbus TCP');
    t.ok(samples.every((s) => s.ts === 42), 'ts from the clock');
    t.same(samples.map((s) => s.unit), samples.map((s) => profile.metrics.find((m) => m.name === s.metric)!.unit ?? ''), 'units from the profile');
  });
}
