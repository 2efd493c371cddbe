// `npm start` is the first thing a newcomer runs: the demo must come up with no set-up, show live
// telemetry and camera events, play the gas leak to a critical alarm carrying the camera's picture,
// cut the uplink and drain the backlog inside 90 s, print the dashboard's sign-in link first, and
// stop cleanly on Ctrl-C.
import t from 'tap';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../helpers/wait.js';

const cli = fileURLToPath(new URL('../../dist/cli/polegate.js', import.meta.url));

t.test('the demo runs the whole system and plays the gas leak to an alarm', async (t) => {
  const dir = path.join(t.testdir(), 'demo');
  const demo = spawn(process.execPath, [cli, 'demo', '--dir', dir, '--mqtt-port', '0', '--http-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  demo.stdout.on('data', (d) => (out += d));
  demo.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
  t.teardown(() => demo.kill('SIGKILL'));

  const started = Date.now();
  await waitFor('the API URL', () => /Cloud API +http:\/\/127\.0\.0\.1:\d+\/api\/poles/.test(out), 20_000);
  // The dashboard's sign-in link is the first thing printed after the title.
  const lines = out.split('\n');
  const next = lines[lines.findIndex((l) => l.startsWith('polegate demo')) + 1] ?? '';
  const dashboard = /^ {2}Dashboard +(http:\/\/127\.0\.0\.1:\d+)\/login#u=platform&p=([A-Za-z0-9_-]+)$/.exec(next);
  t.ok(dashboard, `the dashboard's sign-in link comes first (got ${JSON.stringify(next)})`);
  const page = await fetch(`${dashboard![1]}/`);
  t.equal(page.status, 200, 'the dashboard is served');
  t.match(await page.text(), /<title>polegate<\/title>/);
  const sub = await waitFor('the mosquitto_sub line', () => /mosquitto_sub -h 127\.0\.0\.1 -p \d+ -i platform:sub -u platform -P (\S+) -t 'city\/v1\/#' -v\n/.exec(out) ?? undefined, 20_000);
  t.equal(sub[1], dashboard![2], 'the same platform password');
  // The next line, whole: stdout may arrive in pieces, even in the middle of the password.
  const api = await waitFor('the curl command', () => /curl -u (platform:\S+) (http:\/\/\S+)\n/.exec(out) ?? undefined, 20_000);
  t.ok(api, 'prints a curl command with the platform credentials');
  await waitFor('the pole online', () => out.includes('demo-pole-001 is online'), 20_000);
  await waitFor('live telemetry with normalized units', () => /telemetry \d+.*pressure-1\.pressure=[\d.]+ kPa/.test(out), 20_000);

  const [user, password] = api![1]!.split(':');
  const res = await fetch(api![2]!, { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } });
  t.equal(res.status, 200, 'the printed credentials open the API');
  const pole = (await res.json()) as { state: string; devices: Array<{ id: string }> };
  t.equal(pole.state, 'online');
  t.same(pole.devices.map((d) => d.id).sort(), ['cam-1', 'gas-1', 'level-1', 'pressure-1']);
  await waitFor('camera motion in the live view', () => out.includes('event motion started on cam-1'), 30_000);

  await waitFor('the scripted gas leak to raise the critical alarm', () => out.includes('ALARM CRITICAL raised: gas-high on gas-1.lel'), 60_000);
  // The alarm carries the camera's picture taken at the raise; the printed link serves it.
  const picture = await waitFor('the alarm line, whole, with its picture link', () => /ALARM CRITICAL raised: gas-high on gas-1\.lel.*, picture (http:\/\/\S+\/api\/blobs\/[0-9a-f]{64})\n/.exec(out) ?? undefined, 10_000);
  const jpeg = await waitFor('the picture stored in the cloud', async () => {
    const r = await fetch(picture[1]!, { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } });
    return r.status === 200 ? r : undefined;
  }, 10_000);
  t.equal(jpeg.headers.get('content-type'), 'image/jpeg');
  t.same([...new Uint8Array(await jpeg.arrayBuffer()).slice(0, 2)], [0xff, 0xd8], 'a JPEG');

  // The uplink cut and the backlog's drain both happen inside a 90-second run.
  await waitFor('the uplink cut', () => out.includes('-- uplink cut'), 60_000);
  const restored = await waitFor('the uplink restored', () => (out.includes('-- uplink restored') ? out.length : undefined), 30_000);
  await waitFor('the backlog drained', () => /telemetry \d+ \(backlog, \d+ readings\)/.test(out.slice(restored)), 20_000);
  t.ok(Date.now() - started < 90_000, `cut and drain within 90 s (${Math.round((Date.now() - started) / 1000)} s)`);

  demo.kill('SIGINT');
  t.equal(await exited, 0, 'Ctrl-C stops everything and exits 0');
  t.match(out, /stopped\./);
  t.notMatch(out, /internal error|at .*\.js:\d+/, 'no stack traces');
});

t.test('the demo refuses to wipe a folder it did not make', async (t) => {
  const dir = t.testdir({ 'precious.txt': 'keep me' });
  const demo = spawn(process.execPath, [cli, 'demo', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  demo.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => demo.once('exit', (c) => resolve(c)));
  t.equal(code, 2);
  t.match(err, /is not empty and was not made by `polegate demo`; choose another folder with --dir/);
});
