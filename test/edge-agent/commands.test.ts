// Commands end to end: a platform user (role operate) publishes cmd through the cloud's broker to a
// real agent polling a Modbus simulator, and reads cmd/result.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import type { CommandPayload, CommandResultPayload } from '../../contract/schemas.js';
import { loadManifest } from '../../config/load-manifest.js';
import { startEdgeAgent, type EdgeAgent } from '../../edge-agent/agent.js';
import type { NormalizedReading } from '../../edge-agent/reading.js';
import { startModbusSim, type ModbusSim } from '../../fixtures/modbus-sim.js';
import { loadBuiltinProfile } from '../../fixtures/profiles.js';
import { quietScenario } from '../../fixtures/scenarios.js';
import { connect, publish, ROOT, startTestCloud, type Tap } from '../cloud-ingest/fixture.js';
import { waitFor } from '../helpers/wait.js';

const POLE = 'cmd-pole-001';
const CMD = `${ROOT}/${POLE}/cmd`;

interface Pole {
  agent: EdgeAgent;
  sim: ModbusSim;
  platform: MqttClient;
  readings: NormalizedReading[];
  /** cmd/result payloads by id, in arrival order. */
  results: Map<string, CommandResultPayload[]>;
  births: number;
}

async function startPole(t: Tap): Promise<Pole> {
  const tc = await startTestCloud(t, { poles: [POLE], users: [{ username: 'operator', role: 'operate' }] });
  const sim = await startModbusSim({ profile: await loadBuiltinProfile('gas-detector'), scenario: quietScenario('gas-detector') });
  t.teardown(() => sim.close());
  const file = path.join(tc.dir, 'pole.yaml');
  writeFileSync(file, `pole: { id: ${POLE} }
uplink: { url: "${tc.url}", password: \${POLE_SECRET} }
buffer: { path: ./outbox.db }
devices:
  - { id: gas-1, driver: modbus, host: 127.0.0.1, port: ${sim.port}, unitId: 1, profile: gas-detector, pollMs: 200 }
report: { deadband: { default: 0 }, heartbeatMs: 60000 }
`);
  const loaded = await loadManifest(file, { env: { POLE_SECRET: tc.secrets[POLE] } });

  const platform = await connect(t, tc.url, { clientId: 'platform:cmd', username: 'operator', password: tc.users.operator });
  const pole: Pole = { agent: undefined as unknown as EdgeAgent, sim, platform, readings: [], results: new Map(), births: 0 };
  platform.on('message', (topic, payload) => {
    if (topic.endsWith('/birth')) pole.births++;
    if (!topic.endsWith('/cmd/result')) return;
    const result = JSON.parse(payload.toString()) as CommandResultPayload;
    pole.results.set(result.id, [...(pole.results.get(result.id) ?? []), result]);
  });
  await platform.subscribeAsync([`${ROOT}/${POLE}/cmd/result`, `${ROOT}/${POLE}/birth`], { qos: 1 });

  pole.agent = await startEdgeAgent(loaded, { log: pino({ level: 'silent' }) });
  t.teardown(() => pole.agent.close());
  pole.agent.on('reading', (r: NormalizedReading) => pole.readings.push(r));
  // The agent subscribes to its cmd before it publishes birth: a birth seen means commands reach it.
  await waitFor('birth and a first reading', () => pole.births > 0 && pole.readings.length > 0);
  return pole;
}

let seq = 0;
async function command(pole: Pole, name: string, args: Record<string, unknown>, extra: Partial<CommandPayload> = {}): Promise<CommandResultPayload> {
  const id = extra.id ?? `c-${++seq}`;
  const count = pole.results.get(id)?.length ?? 0;
  await publish(pole.platform, CMD, { v: 1, id, name, args, ...extra });
  return waitFor(`result of ${id}`, () => pole.results.get(id)?.[count]);
}

t.test('commands through the cloud to a real agent and Modbus simulator', async (t) => {
  const pole = await startPole(t);

  await t.test('write a writable holding register: ok, the device changed, the next reading shows it', async (t) => {
    const result = await command(pole, 'write', { device: 'gas-1', metric: 'alarm-setpoint', value: 25.5 });
    t.same(result, { v: 1, id: result.id, ok: true, result: { device: 'gas-1', metric: 'alarm-setpoint', value: 25.5 } });
    t.equal(pole.sim.value('alarm-setpoint'), 25.5);
    const from = pole.readings.length;
    await waitFor('a reading of 25.5', () => pole.readings.slice(from).find((r) => r.metric === 'alarm-setpoint' && r.value === 25.5));
  });

  await t.test('refusals: read-only, unknown device and metric, bad args, unsupported, expired', async (t) => {
    const code = async (name: string, args: Record<string, unknown>, extra: Partial<CommandPayload> = {}) => {
      const result = await command(pole, name, args, extra);
      t.equal(result.ok, false);
      t.notOk('result' in result);
      return `${result.error!.code}: ${result.error!.message}`;
    };
    t.equal(await code('write', { device: 'gas-1', metric: 'temp', value: 1 }), 'READ_ONLY: gas-1.temp is in the input table, which is read-only');
    t.equal(await code('write', { device: 'gas-1', metric: 'lel', value: 1 }), 'READ_ONLY: gas-1.lel is not writable: profile gas-detector does not mark it writable: true');
    t.equal(await code('write', { device: 'gas-9', metric: 'lel', value: 1 }), 'UNKNOWN_DEVICE: no device gas-9 on this pole (devices: gas-1)');
    t.equal(await code('write', { device: 'gas-1', metric: 'nope', value: 1 }), 'UNKNOWN_METRIC: no metric nope on device gas-1 (profile gas-detector)');
    t.match(await code('write', { device: 'gas-1', metric: 'alarm-setpoint', value: 1e9 }), /^BAD_VALUE: /);
    t.match(await code('write', { device: 'gas-1', metric: 'alarm-setpoint' }), /^BAD_COMMAND: write: args/);
    t.equal(await code('snapshot', { device: 'gas-1' }), 'UNSUPPORTED: the driver of device gas-1 takes no snapshots');
    t.equal(await code('snapshot', { device: 'gas-9' }), 'UNKNOWN_DEVICE: no device gas-9 on this pole (devices: gas-1)');
    t.equal(await code('reboot', {}), 'UNSUPPORTED: this pole does not run reboot (it runs write, poll, set-interval, rebirth, snapshot, restart-device, set-log-level, apply-config)');
    t.equal(await code('apply-config', { manifest: 'pole: {}' }), 'UNSUPPORTED: this agent was not started from a manifest file (polegate edge --config), so it has none to replace');
    t.equal(await code('apply-config', {}), 'BAD_COMMAND: apply-config: args/manifest expected required property');
    t.equal(await code('set-log-level', { level: 'loud' }), 'BAD_COMMAND: set-log-level: args/level expected union value');
    t.match(await code('write', { device: 'gas-1', metric: 'alarm-setpoint', value: 50 }, { expiresAt: Date.now() - 1000 }), /^EXPIRED: write expired at /);
    t.not(pole.sim.value('alarm-setpoint'), 50, 'the expired write was not run');
  });

  await t.test('garbage does not crash the agent; a bad payload with an id is answered', async (t) => {
    await publish(pole.platform, CMD, Buffer.from('\x00\xffnot json'));
    await publish(pole.platform, CMD, { v: 1, name: 'poll', args: {} });
    await publish(pole.platform, CMD, { v: 1, id: 'bad-1', name: 'poll' });
    const bad = await waitFor('result of bad-1', () => pole.results.get('bad-1')?.[0]);
    t.equal(bad.ok, false);
    t.equal(bad.error!.code, 'BAD_COMMAND');
    t.match(bad.error!.message, "must have required property 'args'");
    const poll = await command(pole, 'poll', { device: 'gas-1' });
    t.equal(poll.ok, true, 'still running');
  });

  await t.test('a repeated id is answered again with the same result and runs once', async (t) => {
    const first = await command(pole, 'write', { device: 'gas-1', metric: 'alarm-setpoint', value: 30 }, { id: 'dup-1' });
    t.equal(first.ok, true);
    pole.sim.set('alarm-setpoint', 40);
    const again = await command(pole, 'write', { device: 'gas-1', metric: 'alarm-setpoint', value: 30 }, { id: 'dup-1' });
    t.same(again, first);
    t.equal(pole.sim.value('alarm-setpoint'), 40, 'not written a second time');
  });

  await t.test('poll, set-interval and rebirth', async (t) => {
    pole.sim.set('ch4', 1234);
    const poll = await command(pole, 'poll', { device: 'gas-1' });
    const readings = (poll.result as { readings: NormalizedReading[] }).readings;
    t.same(readings.map((r) => r.metric), ['lel', 'ch4', 'alarm-setpoint', 'temp', 'fault', 'alarm']);
    t.match(readings.find((r) => r.metric === 'ch4'), { device: 'gas-1', value: 1234, unit: 'ppm', quality: 'good' });
    const all = await command(pole, 'poll', {});
    t.equal((all.result as { readings: unknown[] }).readings.length, 6);

    const interval = await command(pole, 'set-interval', { device: 'gas-1', pollMs: 1000 });
    t.same(interval.result, { device: 'gas-1', pollMs: 1000 });
    const tooFast = await command(pole, 'set-interval', { device: 'gas-1', pollMs: 5 });
    t.equal(tooFast.error?.code, 'BAD_COMMAND');

    const births = pole.births;
    const rebirth = await command(pole, 'rebirth', {});
    t.same(rebirth, { v: 1, id: rebirth.id, ok: true });
    await waitFor('a new birth', () => pole.births > births);
  });

  await t.test('restart-device reopens the driver and answers with its first poll; set-log-level', async (t) => {
    pole.sim.set('ch4', 4321);
    const restart = await command(pole, 'restart-device', { device: 'gas-1' });
    t.equal(restart.ok, true);
    t.match((restart.result as { readings: NormalizedReading[] }).readings.find((r) => r.metric === 'ch4'), { value: 4321, quality: 'good' });
    t.equal((await command(pole, 'restart-device', { device: 'gas-9' })).error?.code, 'UNKNOWN_DEVICE');
    const from = pole.readings.length;
    await waitFor('readings after the restart', () => pole.readings.length > from + 6);

    const level = await command(pole, 'set-log-level', { level: 'debug', forMs: 60_000 });
    t.match(level.result, { level: 'debug', was: 'silent', revertsAt: Number });
    const back = await command(pole, 'set-log-level', { level: 'silent' });
    t.same(back.result, { level: 'silent', was: 'debug' });
  });
});
