// `polegate status` against a real `polegate edge` with a Modbus simulator: the facts in the terminal
// found through --config, the same as JSON through --url, a clear message and exit 1 when no agent
// answers, and exit 2 for a manifest without `status:`.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startModbusSim } from '../../fixtures/modbus-sim.js';
import { freePort } from '../../fixtures/free-port.js';
import { loadBuiltinProfile } from '../../fixtures/profiles.js';
import { clearRetained } from '../helpers/mqtt-recorder.js';
import { polegate } from '../helpers/polegate-cli.js';
import { missingService } from '../helpers/services.js';
import { startEdge } from '../helpers/status-edge.js';
import { waitFor } from '../helpers/wait.js';

const BROKER = 'mqtt://127.0.0.1:1883';

t.test('no agent answering: one line, exit 1', async (t) => {
  const port = await freePort();
  const run = await polegate(['status', '--url', `http://127.0.0.1:${port}/`]);
  t.equal(run.code, 1);
  t.match(run.stderr, new RegExp(`no status server answers at http://127\\.0\\.0\\.1:${port}/ \\(ECONNREFUSED\\): polegate edge is not running there`));
  t.notMatch(run.stderr, /\n\s+at /, 'no stack');
});

t.test('a manifest without status: exits 2 and says what to add', async (t) => {
  const dir = t.testdir({ 'pole.yaml': 'pole: { id: pole-x }\nuplink: { url: "mqtt://127.0.0.1:1" }\ndevices: []\n' });
  const run = await polegate(['status', '--config', join(dir, 'pole.yaml')]);
  t.equal(run.code, 2);
  t.match(run.stderr, /has no status: \{ port: … \}, so the agent serves no status; add one/);
});

t.test('the facts of a running agent', { skip: await missingService('mosquitto') }, async (t) => {
  const sim = await startModbusSim({ profile: await loadBuiltinProfile('gas-detector') });
  t.teardown(() => sim.close());
  sim.set('lel', 7.5);
  const id = randomBytes(4).toString('hex');
  const root = `test-${id}/v1`;
  const pole = `pole-cli-status-${id}`;
  t.teardown(() => clearRetained(BROKER, root, pole));
  const port = await freePort();
  const dir = t.testdir({
    'pole.yaml': [
      `pole: { id: ${pole} }`,
      `uplink: { url: "${BROKER}", topicRoot: ${root} }`,
      'buffer: { path: ./state/outbox.db }',
      `status: { port: ${port} }`,
      'devices:',
      `  - { id: gas-1, driver: modbus, host: 127.0.0.1, port: ${sim.port}, unitId: 1, profile: gas-detector, pollMs: 200 }`,
      '  - { id: dead-1, driver: modbus, host: 127.0.0.1, port: 1, unitId: 1, profile: gas-detector, pollMs: 200 }',
      '',
    ].join('\n'),
  });
  const edge = startEdge(t, dir);
  t.equal((await edge.started()).status, `http://127.0.0.1:${port}/`);

  const text = await waitFor('status to show the uplink, the value and the dead device', async () => {
    const run = await polegate(['status', '--config', join(dir, 'pole.yaml')]);
    return run.code === 0 && /uplink +connected/.test(run.stdout) && /dead-1 .* offline/.test(run.stdout) && /lel = 7\.5 %LEL/.test(run.stdout) && run.stdout;
  }, 30_000);
  t.match(text, new RegExp(`^pole ${pole}: agent up .*, status at http://127\\.0\\.0\\.1:${port}/`));
  t.match(text, /^health +ok$/m);
  t.match(text, /^outbox +\d+ unsent/m);
  t.match(text, /gas-1 \(modbus, 127\.0\.0\.1:\d+\) online/);
  t.match(text, /dead-1 \(modbus, 127\.0\.0\.1:1\) offline: device dead-1 \(Modbus TCP 127\.0\.0\.1:1, unit 1\): connect failed/);
  t.match(text, /^alarms +none active$/m);
  t.match(text, /device-offline dead-1/);

  const json = await polegate(['status', '--url', `http://127.0.0.1:${port}/`, '--json']);
  t.equal(json.code, 0);
  const parsed = JSON.parse(json.stdout) as { health: { ok: boolean }; status: { pole: string; devices: Array<{ id: string; health: string; values: Array<{ metric: string; value: unknown }> }> } };
  t.equal(parsed.health.ok, true);
  t.equal(parsed.status.pole, pole);
  t.equal(parsed.status.devices.find((d) => d.id === 'gas-1')?.values.find((v) => v.metric === 'lel')?.value, 7.5);
  t.equal(parsed.status.devices.find((d) => d.id === 'dead-1')?.health, 'offline');
  t.equal(await edge.stop(), 0);
});
