// One reading's whole journey: a Modbus device simulator → `polegate edge` (a real child process) →
// MQTT → aedes → the SQLite store → the HTTP API, normalized; then the pole dies (SIGKILL) and
// the broker's last will turns it offline.
import t from 'tap';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../helpers/wait.js';
import { POLE, registerPole, cloudOn, sims, writeManifest, getJson } from './helpers.js';

const cli = fileURLToPath(new URL('../../dist/cli/polegate.js', import.meta.url));

t.test('a simulator value reaches the API normalized, and the last will marks the pole offline', async (t) => {
  const dir = t.testdir();
  const { registry, secret } = await registerPole(dir);
  const cloud = await cloudOn(t, dir, registry);
  const { gas, pressure } = await sims(t);
  gas.set('lel', 12.3); // %LEL: canonical as written
  pressure.set('pressure', 0.4123); // MPa on the wire → kPa in the store
  const manifest = writeManifest(dir, { mqttPort: cloud.ports.mqtt!, gasPort: gas.port, pressurePort: pressure.port });

  const edge = spawn(process.execPath, [cli, 'edge', '--config', manifest], { env: { ...process.env, POLE_SECRET: secret, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  edge.stdout.on('data', (d) => (output += d));
  edge.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => edge.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  t.teardown(() => edge.kill('SIGKILL'));

  const api = `http://127.0.0.1:${cloud.ports.http}`;
  const latest = (pole: any, device: string, metric: string) =>
    pole.devices.find((d: any) => d.id === device)?.metrics.find((m: any) => m.name === metric);

  const pole = await waitFor('the pole online with both devices\' values in the API', async () => {
    const p = await getJson(`${api}/api/poles/${POLE}`);
    const lel = latest(p, 'gas-1', 'lel');
    const kpa = latest(p, 'pressure-1', 'pressure');
    return p.state === 'online' && lel?.latest && kpa?.latest ? p : undefined;
  }, 20_000).catch((err) => {
    throw new Error(`${err.message}\nedge output:\n${output}`);
  });

  const lel = latest(pole, 'gas-1', 'lel');
  t.equal(lel.unit, '%LEL');
  t.ok(Math.abs(lel.latest.value - 12.3) < 1e-6, `lel ${lel.latest.value} = 12.3 %LEL`);
  t.equal(lel.latest.quality, 'good');
  const kpa = latest(pole, 'pressure-1', 'pressure');
  t.equal(kpa.unit, 'kPa', 'pressure is stored in the canonical unit');
  t.ok(Math.abs(kpa.latest.value - 412.3) < 1e-3, `pressure ${kpa.latest.value} kPa = 0.4123 MPa`);
  t.equal(latest(pole, 'gas-1', 'fault').latest.value, false, 'a discrete input arrives as a boolean');

  const series = await waitFor('a series of several points', async () => {
    const s = await getJson<{ points: Array<{ ts: number; value: number }> }>(`${api}/api/series?pole=${POLE}&device=pressure-1&metric=pressure&from=0&to=${Date.now() + 60_000}`);
    return s.points.length >= 3 ? s : undefined;
  });
  t.ok(series.points.every((p) => Math.abs(p.value - 412.3) < 1e-3), 'every point is the normalized value');
  t.ok(series.points.every((p, i) => i === 0 || p.ts >= series.points[i - 1]!.ts), 'points are in time order');

  edge.kill('SIGKILL');
  await exited;
  const offline = await waitFor('presence offline through the last will', async () => {
    const p = await getJson(`${api}/api/poles/${POLE}`);
    return p.state === 'offline' ? p : undefined;
  }, 15_000);
  t.equal(offline.state, 'offline');
  t.notMatch(output, new RegExp(secret), 'the pole secret never appears in the agent output');
});
