import t, { type Test } from 'tap';
import pino from 'pino';
import { Scheduler, type DeviceStateEvent } from '../../edge-agent/scheduler.js';
import type { Driver, Sample } from '../../drivers/sdk/types.js';
import testDriver, { type TestDeviceControl, type TestMetric } from '../helpers/test-driver.js';
import { waitFor } from '../helpers/wait.js';

const clock = { now: () => Date.now() };
const log = pino({ level: 'silent' });
const METRICS: TestMetric[] = [{ name: 'level', unit: 'cm', value: 100, step: 1 }];

function device(id: string, control: TestDeviceControl, pollMs = 20): { id: string; driver: Driver; pollMs: number } {
  return { id, pollMs, driver: testDriver.create({ metrics: METRICS, control }, { deviceId: id, log, clock, timeoutMs: 100 }) };
}

function harness(t: Test, devices: ReturnType<typeof device>[], opts: { maxBackoffMs?: number; pollTimeoutMs?: number; onEvent?: (e: DeviceStateEvent) => void; onIdle?: () => void } = {}) {
  const samples = new Map<string, Sample[][]>();
  const events: DeviceStateEvent[] = [];
  const { onEvent, ...schedulerOpts } = opts;
  const scheduler = new Scheduler(devices, {
    clock,
    log,
    onSamples: (id, s) => samples.set(id, [...(samples.get(id) ?? []), s]),
    onEvent: (e) => {
      events.push(e);
      onEvent?.(e);
    },
    ...schedulerOpts,
  });
  scheduler.start();
  t.teardown(() => scheduler.stop());
  return { scheduler, samples, events };
}

t.test('polls each device on its interval and never overlaps a device with itself', async (t) => {
  const slow: TestDeviceControl = { readDelayMs: 60 };
  const { samples } = harness(t, [device('slow', slow, 10)]);
  await waitFor('five polls', () => (samples.get('slow')?.length ?? 0) >= 5, 5000);
  t.equal(slow.maxActive, 1, 'one read at a time');
  const first = samples.get('slow')![0]![0]!;
  t.same([first.metric, first.value, first.unit], ['level', 100, 'cm'], 'samples are handed on as the driver gave them');
});

t.test('a slow device does not delay another one', async (t) => {
  const slow: TestDeviceControl = { readDelayMs: 1500 };
  const fast: TestDeviceControl = {};
  const { samples } = harness(t, [device('slow', slow, 20), device('fast', fast, 20)]);
  await waitFor('ten polls of the fast device', () => (samples.get('fast')?.length ?? 0) >= 10, 1400);
  t.equal(samples.get('slow'), undefined, 'the slow one has not answered yet');
});

t.test('three failures in a row take a device offline; the first good read brings it back', async (t) => {
  const flaky: TestDeviceControl = { failing: true };
  // Counted when the event is emitted: by the time a test observes it, a retry may have run.
  let readsAtOffline: number | undefined;
  const { events, scheduler, samples } = harness(t, [device('flaky', flaky, 10)], {
    maxBackoffMs: 40,
    onEvent: (e) => (readsAtOffline ??= e.type === 'device-offline' ? flaky.reads : undefined),
  });
  await waitFor('device-offline', () => events.length >= 1, 5000);
  t.match(events[0], { type: 'device-offline', device: 'flaky', error: 'no response from test device' });
  t.equal(readsAtOffline, 3, 'offline after exactly three failed reads');
  t.ok(scheduler.isOffline('flaky'));
  const readsOffline = flaky.reads!;
  await waitFor('retries while offline', () => flaky.reads! >= readsOffline + 3, 5000);
  flaky.failing = false;
  await waitFor('device-online', () => events.length >= 2, 5000);
  t.match(events[1], { type: 'device-online', device: 'flaky' });
  t.notOk(scheduler.isOffline('flaky'));
  t.equal(events.length, 2, 'one event each way');
  t.ok(samples.get('flaky')!.length >= 1, 'samples flow again');
});

t.test('retries of an offline device back off, up to the cap', async (t) => {
  const dead: TestDeviceControl = { failing: true };
  const started = Date.now();
  harness(t, [device('dead', dead, 20)], { maxBackoffMs: 160 });
  await waitFor('seven reads', () => dead.reads! >= 7, 5000);
  // 3 reads at 20 ms, then 20, 40, 80, 160 (capped): at least 300 ms in all; without backoff, 140 ms.
  t.ok(Date.now() - started >= 300, `backoff spaced the retries (${Date.now() - started} ms)`);
});

t.test('a device that fails to open is retried like a failing read', async (t) => {
  const control: TestDeviceControl = { failOpens: 2 };
  const { samples, events } = harness(t, [device('late', control, 10)]);
  await waitFor('samples after two failed opens', () => samples.get('late')?.length, 5000);
  t.equal(control.failOpens, 0);
  t.same(events, [], 'two failures do not make it offline');
});

t.test('a read that never returns counts as failed and is not overlapped', async (t) => {
  const stuck: TestDeviceControl = { readDelayMs: 1500 };
  const { events } = harness(t, [device('stuck', stuck, 10)], { pollTimeoutMs: 50, maxBackoffMs: 20 });
  await waitFor('device-offline', () => events.length >= 1, 5000);
  t.match(events[0]!.error, /no answer within 50 ms|previous call has not returned/);
  t.equal(stuck.maxActive, 1, 'the stuck read is never joined by another');
});

t.test('a driver whose read throws instead of rejecting is polled again, not left busy', async (t) => {
  let throws = 2;
  let reads = 0;
  // A vendor driver written without async: its read throws synchronously.
  const driver: Driver = {
    open: async () => undefined,
    describe: () => ({ metrics: [] }),
    read: () => {
      reads++;
      if (throws-- > 0) throw new Error('register map not loaded');
      return Promise.resolve([{ metric: 'level', value: 1, unit: 'cm', ts: Date.now(), quality: 'good' }]);
    },
    close: async () => undefined,
  };
  const { samples, events } = harness(t, [{ id: 'sync', driver, pollMs: 10 }]);
  await waitFor('samples after two thrown reads', () => samples.get('sync')?.length, 5000);
  t.equal(reads, 3, 'two failed reads, then a good one');
  t.same(events, [], 'two failures do not make it offline');
});

/** A device that records when each of its reads starts. */
function timedDevice(id: string, pollMs: number) {
  const starts: number[] = [];
  const driver: Driver = {
    open: async () => undefined,
    describe: () => ({ metrics: [] }),
    read: async () => {
      starts.push(Date.now());
      return [{ metric: 'level', value: starts.length, unit: 'cm', ts: Date.now(), quality: 'good' }];
    },
    close: async () => undefined,
  };
  return { device: { id, driver, pollMs }, starts };
}

t.test('devices on the same interval are polled together, even after a poll out of turn', async (t) => {
  // A `poll` command 25 ms into an interval: polling "the last poll + pollMs" would keep that device
  // 25 ms behind the other for good (a wake-up of its own every round); the grid takes it back in step.
  const early = timedDevice('early', 80);
  const late = timedDevice('late', 80);
  const { scheduler } = harness(t, [early.device, late.device]);
  await waitFor('two polls of each', () => early.starts.length >= 2 && late.starts.length >= 2, 5000);
  const mark = early.starts.at(-1)! + 25;
  await waitFor('25 ms into the interval', () => Date.now() >= mark, 1000, 2);
  await scheduler.pollNow('late');
  const outOfTurn = late.starts.length - 1;
  t.ok(late.starts[outOfTurn]! - early.starts.at(-1)! >= 20, 'the out-of-turn poll is off the grid');
  await waitFor('four more polls of the late device', () => late.starts.length >= outOfTurn + 5, 5000);
  const apart = late.starts.slice(outOfTurn + 1).map((s) => Math.min(...early.starts.map((e) => Math.abs(e - s))));
  t.ok(apart.every((ms) => ms < 10), `each later poll of that device is with one of the other's (${apart.join(', ')} ms apart)`);
});

t.test('onIdle tells when the last poll of a round has ended', async (t) => {
  const slow: TestDeviceControl = { readDelayMs: 30 };
  const fast: TestDeviceControl = {};
  const calls: Array<[number, number]> = [];
  harness(t, [device('slow', slow, 80), device('fast', fast, 80)], { onIdle: () => calls.push([slow.active ?? 0, fast.active ?? 0]) });
  await waitFor('four rounds', () => calls.length >= 4, 5000);
  t.ok(calls.every(([a, b]) => a === 0 && b === 0), 'no read is in progress when it is called');
  t.ok(calls.length <= slow.reads!, `once per round, not once per device (${calls.length} calls, ${slow.reads} rounds)`);
});
