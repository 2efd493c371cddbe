// Serial-line instruments through the real agent (`polegate edge` in its own process) to an MQTT
// subscriber: a polled radar on an RS-485 line shared with a Modbus RTU gas detector (socat ptys and
// a multi-drop hub), a streaming weather station over TCP, and an instrument whose lines are garbage
// (bad readings that say why, while the others keep reporting).
import t from 'tap';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startSerialLineSim } from '../../fixtures/serial-line-sim.js';
import { startModbusRtuSim } from '../../fixtures/modbus-rtu-sim.js';
import { loadBuiltinProfile } from '../../fixtures/profiles.js';
import { startRs485Hub } from '../helpers/rs485-hub.js';
import { clearRetained, record, type Recorder } from '../helpers/mqtt-recorder.js';
import { missingService } from '../helpers/services.js';
import { waitFor } from '../helpers/wait.js';

const CLI = path.join(import.meta.dirname, '../../cli/polegate.ts');
const BROKER = 'mqtt://127.0.0.1:1883';
const skip = (await missingService('mosquitto')) ?? (await missingService('socat'));

/** The latest reading of device.metric the platform received. */
function latest(rec: Recorder, device: string, metric: string): { value: unknown; unit: string; quality: string } | undefined {
  const readings = rec.of('telemetry').flatMap((m) => m.payload.readings as Array<{ device: string; metric: string; value: unknown; unit: string; quality: string }>);
  return readings.filter((r) => r.device === device && r.metric === metric).at(-1);
}

t.test('polegate edge reads serial-line instruments on a shared RS-485 line and over TCP', { skip }, async (t) => {
  const root = t.testdir();
  const hub = await startRs485Hub(root, 2);
  t.teardown(() => hub.close());
  const gas = await startModbusRtuSim({ path: hub.drops[0]! }, [{ unitId: 1, profile: await loadBuiltinProfile('gas-detector') }]);
  t.teardown(() => gas.close());
  gas.unit(1).set('lel', 7.5);
  const radar = await startSerialLineSim({ path: hub.drops[1]! }, { instrument: 'radar-level' });
  t.teardown(() => radar.close());
  const weather = await startSerialLineSim({ tcp: { port: 0 } }, { instrument: 'weather-station', streamMs: 100 });
  t.teardown(() => weather.close());
  const broken = await startSerialLineSim({ tcp: { port: 0 } }, { instrument: 'radar-level', faults: { garbage: true } });
  t.teardown(() => broken.close());

  const id = randomBytes(4).toString('hex');
  const topicRoot = `test-${id}/v1`;
  const pole = `pole-${id}`;
  writeFileSync(path.join(root, 'pole.yaml'), [
    `pole: { id: ${pole} }`,
    `uplink: { url: "${BROKER}", topicRoot: ${topicRoot} }`,
    `buffer: { path: ${path.join(root, 'outbox.db')} }`,
    'buses:',
    `  - { id: rs485-1, port: ${hub.master}, baudRate: 9600 }`,
    'devices:',
    '  - { id: gas-1, driver: modbus, bus: rs485-1, unitId: 1, profile: gas-detector, pollMs: 200 }',
    '  - { id: radar-1, driver: serial-line, bus: rs485-1, profile: radar-level, pollMs: 200 }',
    `  - { id: wx-1, driver: serial-line, host: 127.0.0.1, port: ${weather.port}, profile: weather-station, pollMs: 300 }`,
    `  - { id: radar-2, driver: serial-line, host: 127.0.0.1, port: ${broken.port}, profile: radar-level, pollMs: 300, timeoutMs: 200 }`,
    'report: { heartbeatMs: 1000 }',
    '',
  ].join('\n'));
  const rec = await record(BROKER, topicRoot);
  t.teardown(() => rec.close());
  t.teardown(() => clearRetained(BROKER, topicRoot, pole));
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'edge', '--config', 'pole.yaml'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exit;
  });

  const birth = await waitFor('birth', () => rec.of('birth')[0], 20_000);
  const described = (birth.payload.devices as Array<{ id: string; driver: string; metrics: Array<{ name: string; unit: string }> }>).find((d) => d.id === 'wx-1');
  t.equal(described?.driver, 'serial-line');
  t.same(described?.metrics.find((m) => m.name === 'pressure')?.unit, 'kPa', 'birth: hPa is announced in kPa');
  await waitFor('every device reported', () => ['gas-1.lel', 'radar-1.level', 'wx-1.pressure', 'radar-2.level'].every((key) => latest(rec, ...(key.split('.') as [string, string]))), 20_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${out.slice(-3000)}`);
  });
  t.same(latest(rec, 'radar-1', 'level'), { ...latest(rec, 'radar-1', 'level'), value: 1.234, unit: 'm', quality: 'good' });
  t.same(latest(rec, 'radar-1', 'status')?.value, 'OK');
  t.same(latest(rec, 'gas-1', 'lel')?.value, 7.5, 'the Modbus unit on the same line');
  t.same(latest(rec, 'wx-1', 'pressure'), { ...latest(rec, 'wx-1', 'pressure'), value: 101.32, unit: 'kPa', quality: 'good' });
  t.same(latest(rec, 'wx-1', 'rain')?.unit, 'm');
  const bad = latest(rec, 'radar-2', 'level')!;
  t.equal(bad.quality, 'bad');
  t.match(bad.value, /malformed answer: no valid answer within 200 ms: received line "ERR\?\? 0x1F ###" does not match/);

  radar.set({ level: 2.75 });
  gas.unit(1).set('lel', 9);
  await waitFor('new values from both drops', () => latest(rec, 'radar-1', 'level')?.value === 2.75 && latest(rec, 'gas-1', 'lel')?.value === 9, 10_000);
  child.kill('SIGTERM');
  t.equal(await exit, 0, 'a clean stop');
});
