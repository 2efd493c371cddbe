// Polls per second of the gas-detector profile through the modbus driver against the simulator on
// loopback, beside a baseline of raw modbus-serial reads of the same registers in the same run.
import modbus from '../drivers/modbus/index.js';
import { planProfile } from '../drivers/modbus/read-plan.js';
import { startModbusSim } from '../fixtures/modbus-sim.js';
import { loadBuiltinProfile } from '../fixtures/profiles.js';
import { quietScenario } from '../fixtures/scenarios.js';
import { openRawModbus } from './lib/raw-modbus.js';
import { pollFor } from './lib/timed.js';

const SECONDS = 2.5;

async function timed(what: string, poll: () => Promise<unknown>): Promise<number> {
  const { polls, seconds } = await pollFor(SECONDS, 200, poll);
  const rate = polls / seconds;
  console.log(`${what.padEnd(34)} ${rate.toFixed(0).padStart(7)} polls/s`);
  return rate;
}

const profile = await loadBuiltinProfile('gas-detector');
const plan = planProfile(profile);
const sim = await startModbusSim({ profile, scenario: quietScenario('gas-detector') });

const raw = await openRawModbus(sim.host, sim.port);
const baseline = await timed('baseline: raw modbus-serial reads', async () => {
  for (const r of plan) await raw.read(r);
});
await raw.close();

const driver = modbus.create({ profile, host: sim.host, port: sim.port, unitId: 1 }, { deviceId: 'bench', log: console, clock: { now: Date.now }, timeoutMs: 1000 });
await driver.open();
const ours = await timed('modbus driver read() (decoded)', () => driver.read());
await driver.close();
await sim.close();

console.log(`requests per poll: ${plan.length} (${plan.map((r) => `${r.table} ${r.address}+${r.count}`).join(', ')}); ${profile.metrics.length} metrics`);
console.log(`ratio driver/baseline: ${(ours / baseline).toFixed(2)}`);
console.log(`RSS: ${(process.memoryUsage().rss / 1048576).toFixed(1)} MiB`);
