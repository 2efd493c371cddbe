// Polls per second of a 19-value device spread over the holding, input, coil and discrete tables,
// through the modbus driver's read() over Modbus TCP against Debian's pymodbus server (an independent
// peer, test/peers/pymodbus-server.py), beside a baseline measured in the same run: raw modbus-serial
// reads of the same requests, nothing decoded. Target (issue 3): ≥ 760 polls/s with ≤ 4 requests per
// poll; Node-RED with node-red-contrib-modbus reaches 381 on our machines. Then the requests per poll
// cycle of the built-in profiles with and without coalescing.
import type { Profile, ProfileMetric } from '../config/profile-schema.js';
import modbus from '../drivers/modbus/index.js';
import { planProfile, type ReadRequest } from '../drivers/modbus/read-plan.js';
import { builtinProfileNames } from '../drivers/builtin.js';
import { loadBuiltinProfile } from '../fixtures/profiles.js';
import { startPymodbus } from '../test/peers/pymodbus.js';
import { openRawModbus } from './lib/raw-modbus.js';
import { pollFor } from './lib/timed.js';

const SECONDS = 3;
const TARGET = 760;
const NODE_RED = 381;

/** 19 values: 7 in holding (int16, uint16, int32, float32 CDAB, …), 6 input, 3 coils, 3 discrete. */
const metrics: ProfileMetric[] = [
  { name: 'h-level', table: 'holding', address: 0, type: 'uint16', scale: 0.1, unit: 'cm' },
  { name: 'h-temp', table: 'holding', address: 1, type: 'int16', scale: 0.1, unit: 'Cel' },
  { name: 'h-flow', table: 'holding', address: 2, type: 'float32', order: 'CDAB', unit: 'm3/h' },
  { name: 'h-total', table: 'holding', address: 4, type: 'uint32' },
  { name: 'h-setpoint', table: 'holding', address: 6, type: 'uint16', writable: true },
  { name: 'h-mode', table: 'holding', address: 7, type: 'uint16' },
  { name: 'h-status', table: 'holding', address: 8, type: 'bool', bit: 3 },
  { name: 'i-pressure', table: 'input', address: 0, type: 'float32', unit: 'kPa' },
  { name: 'i-voltage', table: 'input', address: 2, type: 'uint16', scale: 0.01, unit: 'V' },
  { name: 'i-current', table: 'input', address: 3, type: 'int16', scale: 0.001, unit: 'A' },
  { name: 'i-energy', table: 'input', address: 4, type: 'uint32', unit: 'kW.h' },
  { name: 'i-hours', table: 'input', address: 6, type: 'uint32', order: 'CDAB', unit: 'h' },
  { name: 'i-rssi', table: 'input', address: 8, type: 'int16' },
  { name: 'c-pump', table: 'coil', address: 0, type: 'bool', writable: true },
  { name: 'c-valve', table: 'coil', address: 1, type: 'bool' },
  { name: 'c-heater', table: 'coil', address: 2, type: 'bool' },
  { name: 'd-fault', table: 'discrete', address: 0, type: 'bool' },
  { name: 'd-door', table: 'discrete', address: 1, type: 'bool' },
  { name: 'd-flood', table: 'discrete', address: 2, type: 'bool' },
];
const profile: Profile = { name: 'bench-19', maxRegistersPerRead: 125, metrics };
const plan = planProfile(profile);

const server = await startPymodbus({ tcp: 0 }, {
  1: {
    holding: [123, 0xffec, 0x0000, 0x4248, 0x0001, 0x1170, 42, 1, 0b1000],
    input: [0x43a0, 0x0000, 2301, 0xfc18, 0, 5, 1, 0, 0xffb0],
    coil: [1, 0, 1],
    discrete: [0, 1, 0],
  },
});

interface Figure {
  rate: number;
  cpuUsPerPoll: number;
}

async function timed(what: string, poll: () => Promise<unknown>): Promise<Figure> {
  const { polls, seconds, cpuUs } = await pollFor(SECONDS, 300, poll);
  const figure = { rate: polls / seconds, cpuUsPerPoll: cpuUs / polls };
  console.log(`${what.padEnd(40)} ${figure.rate.toFixed(0).padStart(6)} polls/s   CPU ${figure.cpuUsPerPoll.toFixed(0).padStart(4)} µs/poll (this process)`);
  return figure;
}

async function baseline(requests: ReadRequest[]): Promise<Figure> {
  const raw = await openRawModbus('127.0.0.1', server.port!);
  const figure = await timed('baseline: raw modbus-serial, same requests', async () => {
    for (const r of requests) await raw.read(r);
  });
  await raw.close();
  return figure;
}

try {
  const base = await baseline(plan);
  const driver = modbus.create({ profile, host: '127.0.0.1', port: server.port!, unitId: 1 }, { deviceId: 'bench-19', log: console, clock: { now: Date.now }, timeoutMs: 1000 });
  await driver.open();
  const samples = await driver.read();
  const bad = samples.filter((s) => s.quality !== 'good');
  if (samples.length !== 19 || bad.length > 0) throw new Error(`expected 19 good values, got ${samples.length} with ${bad.length} not good: ${JSON.stringify(bad)}`);
  const ours = await timed('modbus driver read(), 19 values decoded', () => driver.read());
  await driver.close();

  console.log(`requests per poll: ${plan.length} (${plan.map((r) => `${r.table} ${r.address}+${r.count}`).join(', ')}); target ≤ 4`);
  console.log(`polls/s: ${ours.rate.toFixed(0)}, target ≥ ${TARGET} (${ours.rate >= TARGET ? 'met' : 'NOT met'}); Node-RED + node-red-contrib-modbus: ${NODE_RED} (×${(ours.rate / NODE_RED).toFixed(2)})`);
  console.log(`ratio driver/baseline: ${(ours.rate / base.rate).toFixed(2)}`);

  console.log('\nrequests per poll cycle, built-in profiles: coalesced vs one request per metric');
  console.log(`  ${'bench-19 (above)'.padEnd(22)} ${plan.length} vs ${metrics.length}`);
  for (const name of builtinProfileNames()) {
    const p = await loadBuiltinProfile(name);
    console.log(`  ${name.padEnd(22)} ${planProfile(p).length} vs ${p.metrics.length}`);
  }
} finally {
  await server.stop();
}
