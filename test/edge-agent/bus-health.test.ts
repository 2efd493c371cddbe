// A pole agent with 8 Modbus RTU units on one pseudo-terminal bus (socat), through the manifest's
// buses: one unit dead, one slow, one sending garbage. The healthy ones keep their interval
// (counted over a measured window); the dead one goes offline; the line is unplugged (socat killed,
// the pty gone) → bus-down, then plugged back → bus-up, and polling resumes without a restart.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadManifest } from '../../config/load-manifest.js';
import { startEdgeAgent } from '../../edge-agent/agent.js';
import type { NormalizedReading } from '../../edge-agent/reading.js';
import { startModbusRtuSim, type RtuUnitOptions } from '../../fixtures/modbus-rtu-sim.js';
import { loadBuiltinProfile } from '../../fixtures/profiles.js';
import { startPtyPair } from '../peers/pty-pair.js';
import { missingService } from '../helpers/services.js';
import { waitFor } from '../helpers/wait.js';

const skip = await missingService('socat');
const gas = await loadBuiltinProfile('gas-detector');
const POLL_MS = 500;
const HEALTHY = [1, 2, 3, 5, 6];
const DEAD = 4;
const SLOW = 7;
const GARBAGE = 8;

t.test('8 units on one bus: faults stay local, the bus survives an unplug', { skip }, async (t) => {
  const dir = t.testdir();
  let pty = await startPtyPair(dir);
  t.teardown(() => pty.close());
  const units: RtuUnitOptions[] = [1, 2, 3, 5, 6, 7, 8].map((unitId) => ({
    unitId,
    profile: gas,
    faults: unitId === SLOW ? { delayMs: 25 } : unitId === GARBAGE ? { garbage: true } : {},
  }));
  const startSim = async () => {
    const sim = await startModbusRtuSim({ path: pty.a }, units);
    for (const unitId of [1, 2, 3, 5, 6, 7]) sim.unit(unitId).set('lel', unitId / 10);
    return sim;
  };
  let sim = await startSim();
  t.teardown(() => sim.close());

  const file = join(dir, 'pole.yaml');
  writeFileSync(file, [
    'pole: { id: test-bus-pole }',
    'uplink: { url: "mqtt://127.0.0.1:9" }   # nothing listens: this test watches the agent itself',
    'buffer: { path: ./outbox.db }',
    'buses:',
    `  - { id: rs485-1, port: ${pty.b}, baudRate: 9600, parity: none, dataBits: 8, stopBits: 1 }`,
    // The faulty units' timeouts are what they cost the bus; the healthy ones get room for a
    // loaded machine (a starved event loop must not pass for a slow unit).
    'devices:',
    ...[1, 2, 3, 4, 5, 6, 7, 8].map((u) => `  - { id: unit-${u}, driver: modbus, bus: rs485-1, unitId: ${u}, profile: gas-detector, pollMs: ${POLL_MS}, timeoutMs: ${u === DEAD || u === GARBAGE ? 80 : 400} }`),
  ].join('\n'));
  const agent = await startEdgeAgent(await loadManifest(file), { flushMs: 0, scheduler: { maxBackoffMs: 1000 } });
  t.teardown(() => agent.close());
  const readings: NormalizedReading[] = [];
  const events: Array<{ type: string; device?: string; bus?: string; port?: string; error?: string }> = [];
  agent.on('reading', (r: NormalizedReading) => readings.push(r));
  agent.on('event', (e) => events.push(e));

  await waitFor('the dead unit offline', () => events.some((e) => e.type === 'device-offline' && e.device === `unit-${DEAD}`), 10_000);
  const last = (match: (r: NormalizedReading) => boolean) => readings.filter(match).at(-1);
  const from = Date.now();
  await waitFor('a 4 s window', () => Date.now() - from >= 4000, 6000);
  const to = Date.now();
  const expected = (to - from) / POLL_MS;
  for (const unitId of [...HEALTHY, SLOW]) {
    // A poll may wait behind the others' transactions, so one may fall just outside the window;
    // over the window the mean interval must still be pollMs.
    const times = readings.filter((r) => r.device === `unit-${unitId}` && r.metric === 'lel' && r.quality === 'good' && r.ts >= from && r.ts < to).map((r) => r.ts);
    const mean = (times.at(-1)! - times[0]!) / (times.length - 1);
    t.ok(times.length >= Math.floor(expected) - 1 && mean < POLL_MS * 1.15, `unit-${unitId}: ${times.length} good polls in ${to - from} ms (the interval allows ${expected.toFixed(1)}), every ${mean.toFixed(0)} ms`);
  }
  t.equal(last((r) => r.device === `unit-${SLOW}` && r.metric === 'lel')?.value, 0.7, 'the slow unit reads right');
  t.equal(last((r) => r.device === 'unit-3' && r.metric === 'lel')?.value, 0.3);
  const garbled = last((r) => r.device === `unit-${GARBAGE}` && r.metric === 'lel');
  t.match(garbled, { quality: 'bad', value: /malformed answer: no valid answer within 80 ms: received bytes that are no Modbus frame/ }, 'garbage: bad samples, the unit keeps being polled');
  t.notOk(events.some((e) => e.type === 'device-offline' && e.device !== `unit-${DEAD}`), 'only the dead unit went offline');

  // Unplug: socat goes, and with it both ends of the line.
  await sim.close();
  await pty.close();
  const down = await waitFor('bus-down', () => events.find((e) => e.type === 'bus-down'), 5000);
  t.match(down, { type: 'bus-down', bus: 'rs485-1', port: pty.b, error: /ttyB/ });
  pty = await startPtyPair(dir);
  sim = await startSim();
  sim.unit(2).set('lel', 4.2);
  const up = await waitFor('bus-up', () => events.find((e) => e.type === 'bus-up'), 10_000);
  t.match(up, { type: 'bus-up', bus: 'rs485-1', port: pty.b });
  const resumed = Date.now();
  await waitFor('unit-2 read again with its new value', () => readings.some((r) => r.device === 'unit-2' && r.metric === 'lel' && r.value === 4.2 && r.ts >= resumed), 10_000);
  t.equal(events.filter((e) => e.type === 'bus-down').length, 1, 'one bus-down for one unplug');
});
