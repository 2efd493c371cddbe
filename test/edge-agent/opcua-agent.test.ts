// OPC UA through the real `polegate edge` (bin/polegate, dist/): a pressure node in MPa leaves the
// pole in kPa, status codes arrive as quality, a subscribed device reports pushed changes, a node
// that does not exist takes its device offline with the node id in the error, and a restarted
// server is read again without restarting the agent. A pole without an OPC UA device never loads
// node-opcua (a module-resolution hook in the agent lists what it loads).
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startOpcuaSim } from '../../fixtures/opcua-sim.js';
import { missingService } from '../helpers/services.js';
import { clearRetained, record } from '../helpers/mqtt-recorder.js';
import { waitFor } from '../helpers/wait.js';

const BIN = join(import.meta.dirname, '../../bin/polegate');
const BROKER = 'mqtt://127.0.0.1:1883';

// Loaded into the agent with NODE_OPTIONS: every module URL it resolves that is node-opcua's.
const hooks = {
  'hook.mjs': "import { register } from 'node:module';\nregister('./loader.mjs', import.meta.url);\n",
  'loader.mjs': `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (resolved.url.includes('node-opcua')) appendFileSync(process.env.OPCUA_LOADED, resolved.url + '\\n');
  return resolved;
}
`,
};

function startEdge(t: Test, dir: string) {
  const loadedLog = join(dir, 'loaded.txt');
  const child = spawn(BIN, ['edge', '--config', 'pole.yaml'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'info', NODE_OPTIONS: `--import=${join(dir, 'hook.mjs')}`, OPCUA_LOADED: loadedLog },
  });
  const run = { out: '', exit: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))), child, loaded: () => (existsSync(loadedLog) ? readFileSync(loadedLog, 'utf8') : '') };
  child.stdout.on('data', (c: Buffer) => (run.out += c));
  child.stderr.on('data', (c: Buffer) => (run.out += c));
  t.teardown(() => (child.exitCode === null ? child.kill('SIGKILL') : undefined));
  return run;
}

const skip = await missingService('mosquitto');

t.test('OPC UA devices in polegate edge', { skip }, async (t) => {
  let sim = await startOpcuaSim();
  t.teardown(() => sim.close());
  const id = randomBytes(4).toString('hex');
  const root = `test-${id}/v1`;
  const pole = `pole-opcua-${id}`;
  const dir = t.testdir({
    ...hooks,
    'pole.yaml': [
      `pole: { id: ${pole} }`,
      `uplink: { url: "${BROKER}", topicRoot: ${root} }`,
      'buffer: { path: ./state/outbox.db }',
      'report: { deadband: { default: 0 }, heartbeatMs: 1000 }',
      'devices:',
      `  - id: plc-1`,
      `    driver: opcua`,
      `    endpoint: "${sim.endpoint}"`,
      `    pollMs: 300`,
      `    timeoutMs: 1000`,
      `    nodes:`,
      `      - { name: pressure, nodeId: "ns=1;s=Pump1.Pressure", type: float, unit: MPa }`,
      `      - { name: running, nodeId: "ns=1;s=Pump1.Running", type: bool }`,
      `      - { name: level, nodeId: "ns=1;s=Pump1.Level", type: float, unit: m }`,
      `      - { name: vibration, nodeId: "ns=1;s=Pump1.Vibration", type: float, unit: mm }`,
      `  - { id: plc-2, driver: opcua, endpoint: "${sim.endpoint}", subscribe: true, pollMs: 300, nodes: [{ name: mode, nodeId: "ns=1;s=Pump1.Mode", type: string }] }`,
      `  - { id: plc-3, driver: opcua, endpoint: "${sim.endpoint}", pollMs: 200, nodes: [{ name: ghost, nodeId: "ns=1;s=Pump1.Ghost", type: float }] }`,
      '',
    ].join('\n'),
  });
  const rec = await record(BROKER, root);
  t.teardown(() => rec.close());
  t.teardown(() => clearRetained(BROKER, root, pole));
  const edge = startEdge(t, dir);
  const readings = () => rec.of('telemetry').flatMap((m) => m.payload.readings) as Array<{ device: string; metric: string; value: unknown; unit: string; quality: string; ts: number }>;
  const latest = (device: string, metric: string) => readings().filter((r) => r.device === device && r.metric === metric).at(-1);

  const pressure = await waitFor('a pressure reading', () => latest('plc-1', 'pressure'), 60_000);
  t.equal(pressure.unit, 'kPa', 'MPa leaves the pole as kPa');
  t.ok(Math.abs((pressure.value as number) - 350) < 15, `about 350 kPa (${pressure.value})`);
  t.match(latest('plc-1', 'running'), { value: true, quality: 'good' });
  t.match(latest('plc-1', 'level'), { value: 2.5, quality: 'uncertain' });
  t.match(latest('plc-1', 'vibration'), { value: /BadSensorFailure/, quality: 'bad' }, 'a Bad status goes as a bad reading saying which');
  t.ok(existsSync(join(dir, 'state', 'opcua-pki')), 'certificates under the state folder, beside the outbox');

  await waitFor('the subscribed value', () => latest('plc-2', 'mode')?.value === 'auto', 20_000);
  sim.set('Mode', 'manual');
  await waitFor('the pushed change reported', () => latest('plc-2', 'mode')?.value === 'manual', 20_000);

  const offline = await waitFor('plc-3 offline', () => rec.of('event').map((m) => m.payload.event).find((e) => e.type === 'device-offline' && e.device === 'plc-3'), 30_000);
  t.match(offline.error, /no node ns=1;s=Pump1\.Ghost \(nodes: ghost\)/, 'the error names the missing node');
  t.match(edge.loaded(), /node-opcua-client/, 'node-opcua loaded for OPC UA devices (the hook sees it)');

  const { port, pkiDir } = sim;
  await sim.close();
  sim = await startOpcuaSim({ port, pkiDir });
  const restartedAt = Date.now();
  await waitFor('plc-1 read again after the server restart', () => readings().some((r) => r.device === 'plc-1' && r.metric === 'pressure' && r.ts > restartedAt), 60_000);
  t.equal(edge.child.exitCode, null, 'the same agent process');
  edge.child.kill('SIGTERM');
  t.equal(await edge.exit, 0);
});

t.test('a pole without an OPC UA device loads nothing of node-opcua', async (t) => {
  const dir = t.testdir({
    ...hooks,
    'pole.yaml': [
      'pole: { id: pole-no-opcua }',
      'uplink: { url: "mqtt://127.0.0.1:1" }',
      'buffer: { path: ./outbox.db }',
      'devices:',
      '  - { id: gas-1, driver: modbus, host: 127.0.0.1, port: 1, unitId: 1, profile: gas-detector, pollMs: 200 }',
      '',
    ].join('\n'),
  });
  const edge = startEdge(t, dir);
  await waitFor('the device polled and found offline', () => edge.out.includes('device offline'), 30_000);
  t.equal(edge.loaded(), '', 'no node-opcua module resolved');
  edge.child.kill('SIGTERM');
  t.equal(await edge.exit, 0);
});
