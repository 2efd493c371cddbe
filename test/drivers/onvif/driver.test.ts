// The onvif driver against the simulated camera over real HTTP: device information, health reasons,
// the clock offset of a camera months off, events and a camera restart,
// malformed answers, and snapshots (digest and basic, the 5 MB one refused).
import t, { type Test } from 'tap';
import pino from 'pino';
import onvif from '../../../drivers/onvif/index.js';
import type { OnvifDriverOptions } from '../../../drivers/onvif/options.js';
import type { Driver, DriverEvent } from '../../../drivers/sdk/types.js';
import { startOnvifSim, type OnvifSim, type OnvifSimOptions } from '../../../fixtures/onvif-sim.js';
import { freePort } from '../../../fixtures/free-port.js';
import { waitFor } from '../../helpers/wait.js';

const MONTHS_MS = 120 * 24 * 3600 * 1000;

async function setup(t: Test, simOptions: OnvifSimOptions = {}, options: Partial<OnvifDriverOptions> = {}): Promise<{ sim: OnvifSim; driver: Driver & { health: string }; events: DriverEvent[] }> {
  const sim = await startOnvifSim({ password: 'secret-pw', ...simOptions });
  const driver = onvif.create({ host: sim.host, port: sim.port, username: sim.username, password: sim.password, timeoutMs: 1500, ...options },
    { deviceId: 'cam-1', log: pino({ level: 'silent' }), clock: { now: Date.now }, timeoutMs: 1500 }) as Driver & { health: string };
  const events: DriverEvent[] = [];
  t.teardown(async () => {
    await driver.close();
    await sim.close();
  });
  return { sim, driver, events };
}

t.test('connects, describes the camera and reads its health', async (t) => {
  const { driver } = await setup(t);
  await driver.open();
  const description = driver.describe();
  t.match(description, { manufacturer: 'Polegate', model: 'SimCam 1', firmware: '1.4.2', serial: 'SIM-0001' }, 'GetDeviceInformation facts, each in its own field');
  t.same(description.metrics.map((m) => m.name), ['online', 'clockOffset']);
  const samples = await driver.read();
  t.same(samples.map((s) => [s.metric, s.value, s.quality]), [['online', true, 'good'], ['clockOffset', 0, 'good']]);
  t.equal(driver.health, 'up');
});

t.test('wrong password: credentials refused, said so', async (t) => {
  const { driver } = await setup(t, {}, { password: 'wrong' });
  await t.rejects(driver.open(), { code: 'DEVICE_AUTH', message: /device cam-1 \(ONVIF 127\.0\.0\.1:\d+\): .*credentials refused.*check username and password/ });
  t.equal(driver.health, 'credentials-refused');
  t.notMatch(String(await driver.read().catch((e: Error) => e.message)), /wrong|secret-pw/, 'no password in the message');
});

t.test('a port with no camera: unreachable; a web server that is no camera: not ONVIF', async (t) => {
  const port = await freePort();
  const lonely = onvif.create({ host: '127.0.0.1', port, username: 'admin', password: 'x', timeoutMs: 1000 }, { deviceId: 'cam-9', log: pino({ level: 'silent' }), clock: { now: Date.now }, timeoutMs: 1000 });
  await t.rejects(lonely.open(), { code: 'DEVICE_UNREACHABLE', message: /cam-9.*unreachable \(.*ECONNREFUSED.*\); check that the camera is powered/ });
  const { sim, driver } = await setup(t);
  sim.faults.notOnvif = true;
  await t.rejects(driver.open(), { message: /reachable, but not answering ONVIF.*check port:/ });
  t.equal(driver.health, 'not-onvif');
  sim.faults.notOnvif = false;
  await driver.read();
  t.equal(driver.health, 'up', 'a camera that comes back is picked up');
});

t.test('a clock months off: measured, tokens in camera time, metric and event; re-measured when the camera jumps', async (t) => {
  const { sim, driver, events } = await setup(t, { faults: { clockOffsetMs: MONTHS_MS } });
  await driver.open();
  driver.subscribe!((e) => events.push(e));
  const [, offset] = await driver.read();
  t.ok(Math.abs((offset!.value as number) - MONTHS_MS / 1000) <= 1, `clockOffset ${offset!.value} s`);
  t.match(events.find((e) => e.type === 'clock-offset'), { offsetMs: Number, message: /camera clock is \d+ s off/ });
  // The camera reboots and its clock jumps back: the next authenticated call is refused once, then made in the new time.
  sim.faults.clockOffsetMs = 0;
  sim.setState('motion', true);
  await waitFor('motion after the clock jump', () => events.find((e) => e.type === 'motion'));
  const [, again] = await driver.read();
  t.equal(again!.value, 0);
  t.match(events.filter((e) => e.type === 'clock-offset').at(-1), { message: 'camera clock is right again' });
});

t.test('event times are corrected by the clock offset', async (t) => {
  const { sim, driver, events } = await setup(t, { faults: { clockOffsetMs: -MONTHS_MS } });
  await driver.open();
  driver.subscribe!((e) => events.push(e));
  await waitFor('subscribed', () => sim.subscriptions() === 1);
  sim.setState('tamper', true);
  const tamper = await waitFor('tamper', () => events.find((e) => e.type === 'tamper'));
  t.ok(Math.abs(tamper.ts - Date.now()) < 3000, `event ts ${new Date(tamper.ts).toISOString()} is host time`);
  t.equal(tamper.state, true);
});

t.test('motion and tamper, one event per change, and a camera restart', async (t) => {
  const { sim, driver, events } = await setup(t, { pullHoldMs: 200 });
  await driver.open();
  driver.subscribe!((e) => events.push(e));
  await waitFor('subscribed', () => sim.subscriptions() === 1);
  sim.setState('motion', true);
  await waitFor('motion on', () => events.some((e) => e.type === 'motion' && e.state === true));
  sim.setState('cell-motion', true); // the same state from a second topic: no new event
  sim.setState('motion', false);
  await waitFor('motion off', () => events.some((e) => e.type === 'motion' && e.state === false));
  t.same(events.filter((e) => e.type === 'motion').map((e) => e.state), [true, false], 'one event per change');
  t.equal(events.find((e) => e.type === 'motion')!.topic, 'tns1:VideoSource/MotionAlarm');

  const before = sim.counts.get('CreatePullPointSubscription') ?? 0;
  sim.restart();
  await waitFor('subscribed again after the restart', () => (sim.counts.get('CreatePullPointSubscription') ?? 0) > before && sim.subscriptions() === 1);
  sim.setState('tamper', true);
  await waitFor('tamper after the restart', () => events.some((e) => e.type === 'tamper' && e.state === true));
  sim.setState('scene-change', true); // same tamper state from another topic
  sim.setState('tamper', false);
  await waitFor('tamper off', () => events.some((e) => e.type === 'tamper' && e.state === false));
  t.same(events.filter((e) => e.type === 'tamper').map((e) => e.state), [true, false]);
});

t.test('renewal keeps one subscription; a refused Renew makes a new one, and events resume', async (t) => {
  const { sim, driver, events } = await setup(t, { pullHoldMs: 100, subscriptionMs: 1000 });
  await driver.open();
  driver.subscribe!((e) => events.push(e));
  await waitFor('renewed twice', () => (sim.counts.get('Renew') ?? 0) >= 2);
  t.equal(sim.counts.get('CreatePullPointSubscription'), 1, 'renewed, not subscribed again');
  sim.faults.renewRefused = true;
  await waitFor('subscribed again', () => (sim.counts.get('CreatePullPointSubscription') ?? 0) >= 2);
  sim.faults.renewRefused = false;
  sim.setState('motion', true);
  await waitFor('motion', () => events.some((e) => e.type === 'motion' && e.state === true));
  t.pass('events resume');
});

t.test('malformed answers are a health reason, not a crash; the camera is picked up when it answers again', async (t) => {
  const { sim, driver } = await setup(t);
  await driver.open();
  sim.faults.malformed = true;
  await t.rejects(driver.read(), { message: /cam-1.*not answering ONVIF/ });
  sim.faults.malformed = false;
  t.equal((await driver.read())[0]!.value, true);
});

t.test('slow answers hit our timeout', async (t) => {
  const { sim, driver } = await setup(t, {}, { timeoutMs: 300 });
  sim.faults.slowMs = 1000;
  await t.rejects(driver.open(), { message: /no answer within 300 ms/ });
});

t.test('snapshots: a JPEG over digest auth that changes over time; basic auth; 5 MB refused', async (t) => {
  // Room for the simulator's JPEG encoder on a loaded machine.
  const { sim, driver } = await setup(t, {}, { timeoutMs: 5000 });
  await driver.open();
  const first = await driver.snapshot!();
  t.same([...first.subarray(0, 2)], [0xff, 0xd8], 'a JPEG');
  await waitFor('a new second', async () => !(await driver.snapshot!()).equals(first), 6000, 200);
  sim.faults.bigSnapshot = true;
  await t.rejects(driver.snapshot!(), { code: 'SNAPSHOT_TOO_LARGE', message: /cam-1.*larger than the limit of 2097152/ });
  sim.faults.bigSnapshot = false;
  t.ok((await driver.snapshot!()).length > 1000, 'the next one works');

  const basic = await setup(t, { snapshotAuth: 'basic' }, { timeoutMs: 5000 });
  await basic.driver.open();
  t.same([...(await basic.driver.snapshot!()).subarray(0, 2)], [0xff, 0xd8], 'basic auth');
});

t.test('a profile token the camera does not have is named with the ones it has', async (t) => {
  const { driver } = await setup(t, {}, { profile: 'sub' });
  await t.rejects(driver.open(), { code: 'CONFIG_INVALID', message: /no media profile 'sub' \(the camera has main\)/ });
});

t.test('a pull the camera holds longer than timeoutMs is not a failure', async (t) => {
  const { sim, driver, events } = await setup(t, { pullHoldMs: 2500 }, { timeoutMs: 500 });
  await driver.open();
  driver.subscribe!((e) => events.push(e));
  await waitFor('a held pull answered', () => (sim.counts.get('PullMessages') ?? 0) >= 3, 8000);
  t.equal(sim.counts.get('CreatePullPointSubscription'), 1, 'one subscription throughout');
  sim.setState('motion', true);
  await waitFor('motion', () => events.some((e) => e.type === 'motion'));
});
