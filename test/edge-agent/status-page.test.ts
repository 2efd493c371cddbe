// The local status server of a real `polegate edge` with a Modbus simulator and a dead device, its
// uplink through a relay to Mosquitto that the test can cut: the page in headless Chromium (values,
// a value changing live, the dead device with its error, a screenshot), /metrics through a
// Prometheus text-format parser with counts that move, /health turning 503 once the uplink has been
// down longer than status.unhealthyAfterMs, the start-up log line, a taken port refused at start,
// and a pole without `status:` that never loads the status server nor prom-client.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { startModbusSim } from '../../fixtures/modbus-sim.js';
import { startOnvifSim } from '../../fixtures/onvif-sim.js';
import { loadBuiltinProfile } from '../../fixtures/profiles.js';
import { startTcpProxy } from '../../fixtures/tcp-proxy.js';
import { launchChromium, screenshot } from '../helpers/chromium.js';
import { clearRetained } from '../helpers/mqtt-recorder.js';
import { missingService } from '../helpers/services.js';
import { startEdge } from '../helpers/status-edge.js';
import { waitFor } from '../helpers/wait.js';

const BROKER = 'mqtt://127.0.0.1:1883';
const skip = (await missingService('mosquitto')) ?? (await missingService('chromium'));

interface Family { name: string; type: string; metrics: Array<{ value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string }> }

const manifest = (pole: string, root: string, uplink: string, lines: string[]) => [
  `pole: { id: ${pole} }`,
  `uplink: { url: "${uplink}", topicRoot: ${root} }`,
  'buffer: { path: ./state/outbox.db }',
  ...lines,
  '',
].join('\n');

// Two real agents, a browser and three simulators: minutes on a loaded machine, not the default 2.
t.test('status page, /metrics and /health of a running pole', { skip, timeout: 240_000 }, async (t) => {
  const sim = await startModbusSim({ profile: await loadBuiltinProfile('gas-detector') });
  t.teardown(() => sim.close());
  sim.set('lel', 12.5);
  const camera = await startOnvifSim({ password: 'cam-secret' });
  t.teardown(() => camera.close());
  const proxy = await startTcpProxy({ target: { host: '127.0.0.1', port: 1883 } });
  t.teardown(() => proxy.close());
  const id = randomBytes(4).toString('hex');
  const root = `test-${id}/v1`;
  const pole = `pole-status-${id}`;
  t.teardown(() => clearRetained(BROKER, root, pole));
  const dir = t.testdir({
    'pole.yaml': manifest(pole, root, `mqtt://127.0.0.1:${proxy.port}`, [
      'status: { port: 0, unhealthyAfterMs: 1500 }',
      'report: { deadband: { default: 0 } }',
      'devices:',
      `  - { id: gas-1, driver: modbus, host: 127.0.0.1, port: ${sim.port}, unitId: 1, profile: gas-detector, pollMs: 200 }`,
      // Nothing listens on port 1: the device fails every poll and goes offline with its error.
      '  - { id: dead-1, driver: modbus, host: 127.0.0.1, port: 1, unitId: 1, profile: gas-detector, pollMs: 200 }',
      `  - { id: cam-1, driver: onvif, host: 127.0.0.1, port: ${camera.port}, username: ${camera.username}, password: cam-secret, pollMs: 1000, snapshotMs: 1000 }`,
    ]),
  });
  const edge = startEdge(t, dir);
  const started = await edge.started();
  t.match(started.config, /pole\.yaml$/, 'the start-up line names the config file');
  t.same(started.devices, ['gas-1', 'dead-1', 'cam-1'], 'and the devices');
  t.match(started.status, /^http:\/\/127\.0\.0\.1:\d+\/$/, 'and the status URL, on 127.0.0.1 by default');
  const url = started.status!;
  t.match(edge.loaded(), /prom-client/, 'with status: the agent loads prom-client (the module-load check sees it)');

  const status = async () => (await fetch(new URL('/api/status', url))).json() as Promise<{ uplink: { connected: boolean }; devices: Array<{ id: string; health: string }> }>;
  await waitFor('the uplink up and dead-1 offline', async () => {
    const s = await status();
    return s.uplink.connected && s.devices.find((d) => d.id === 'dead-1')?.health === 'offline';
  }, 20_000);

  await t.test('the page in Chromium', async (t) => {
    const browser = await launchChromium();
    t.teardown(() => browser.close());
    const page = await browser.page();
    await page.goto(url);
    const gas = page.locator('tr[data-device="gas-1"]');
    await gas.getByText('lel = 12.5 %LEL').waitFor({ timeout: 10_000 });
    await gas.getByText('online', { exact: true }).waitFor({ timeout: 10_000 });
    t.pass('the live device is online');
    sim.set('lel', 42.5);
    await gas.getByText('lel = 42.5 %LEL').waitFor({ timeout: 10_000 });
    t.pass('a value changed on the device shows on the page without a reload');
    const dead = await page.locator('tr[data-device="dead-1"]').textContent();
    t.match(dead, /offline/, 'the dead device is offline');
    t.match(dead, /127\.0\.0\.1:1.*(ECONNREFUSED|refused)/, 'with its error');
    t.match(await page.locator('#uplink').textContent(), /connected/, 'the uplink is shown connected');
    t.match(await page.locator('#events').textContent(), /device-offline/, 'recent events list the offline event');
    const picture = page.locator('#cameras img[alt="snapshot of cam-1"]');
    await picture.waitFor({ timeout: 15_000 });
    await waitFor('the snapshot to load', () => picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0));
    t.pass('the camera\'s latest snapshot is shown');
    t.ok(await screenshot(page, 'status-page'), 'screenshot saved');
    t.same(browser.problems, [], 'no failed requests or page errors');
  });

  await t.test('/metrics in Prometheus text format', async (t) => {
    const scrape = async () => {
      const res = await fetch(new URL('/metrics', url));
      t.match(res.headers.get('content-type'), /text\/plain/);
      const text = await res.text();
      return Object.assign(new Map((parsePrometheusTextFormat(text) as Family[]).map((f) => [f.name, f])), { text });
    };
    const value = (families: Map<string, Family>, name: string, labels: Record<string, string> = {}) =>
      Number(families.get(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ?? NaN);
    const first = await scrape();
    const polled = value(first, 'polegate_readings_polled_total');
    t.ok(polled > 0, `readings polled: ${polled}`);
    const second = await waitFor('readings polled to grow', async () => {
      const next = await scrape();
      return value(next, 'polegate_readings_polled_total') > polled && next;
    });
    t.ok(value(second, 'polegate_readings_acked_total') > 0, 'readings acked by the broker');
    t.ok(value(second, 'polegate_readings_published_total') >= value(second, 'polegate_readings_acked_total'), 'published ≥ acked');
    t.ok(value(second, 'polegate_device_transactions_total', { device: 'gas-1' }) > 0, 'transactions by device');
    t.ok(value(second, 'polegate_device_errors_total', { device: 'dead-1', kind: 'DEVICE_UNREACHABLE' }) >= 3, 'errors by device and kind');
    t.equal(value(second, 'polegate_uplink_connected'), 1);
    t.equal(value(second, 'polegate_device_online', { device: 'dead-1' }), 0);
    t.ok(second.has('polegate_outbox_bytes') && second.has('polegate_uplink_in_flight_messages') && second.has('polegate_uplink_reconnects_total'), 'outbox, in-flight, reconnects');
    const trips = second.get('polegate_device_round_trip_seconds');
    t.equal(trips?.type, 'HISTOGRAM', 'round trips as a histogram');
    t.ok(trips?.metrics.some((m) => Number(m.buckets?.['+Inf']) > 0), 'with observations');
    // The parser drops a histogram's labels: the device's own count is read from the text.
    t.ok(Number(/^polegate_device_round_trip_seconds_count\{device="gas-1"\} (\d+)$/m.exec(second.text)?.[1]) > 0, 'by device');
  });

  await t.test('/health turns 503 once the uplink is down longer than unhealthyAfterMs', async (t) => {
    const healthOf = async () => {
      const res = await fetch(new URL('/health', url));
      return { code: res.status, body: await res.json() as { ok: boolean; problems: string[] } };
    };
    t.equal((await healthOf()).code, 200, 'healthy while connected (a dead device does not make the pole unhealthy)');
    proxy.cut();
    await waitFor('the agent to see the uplink down', async () => !(await status()).uplink.connected, 90_000);
    t.equal((await healthOf()).code, 200, 'a fresh outage is not yet unhealthy');
    const bad = await waitFor('/health 503', async () => {
      const h = await healthOf();
      return h.code === 503 && h;
    });
    t.match(bad.body.problems.join('\n'), /the uplink has been down for \d+ s/);
    proxy.restore();
    await waitFor('/health 200 again', async () => (await healthOf()).code === 200, 60_000);
  });

  await t.test('a taken status port stops a second agent at start, exit 2', async (t) => {
    const port = new URL(url).port;
    const other = t.testdir({
      'pole.yaml': manifest(`${pole}-b`, root, BROKER, [`status: { port: ${port} }`, 'devices:', '  - { id: gas-1, driver: modbus, host: 127.0.0.1, port: 1, unitId: 1, profile: gas-detector }']),
    });
    const second = startEdge(t, other);
    t.equal(await second.exit, 2);
    t.match(second.output(), new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port} \\(status\\.port in .*pole\\.yaml\\): address already in use — .*set another status\\.port`));
    t.notMatch(second.output(), /\n\s+at /, 'no stack trace');
    t.notMatch(second.output(), /edge agent starting/, 'before the agent starts');
  });

  const stopping = Date.now();
  t.equal(await edge.stop(), 0, 'stops cleanly');
  t.comment(`stopped in ${Date.now() - stopping} ms`);
});

t.test('a pole without status: loads neither the status server nor prom-client', { skip: await missingService('mosquitto') }, async (t) => {
  const id = randomBytes(4).toString('hex');
  const dir = t.testdir({
    'pole.yaml': manifest(`pole-nostatus-${id}`, `test-${id}/v1`, BROKER, ['devices:', '  - { id: gas-1, driver: modbus, host: 127.0.0.1, port: 1, unitId: 1, profile: gas-detector }']),
  });
  const edge = startEdge(t, dir);
  const started = await edge.started();
  t.equal(started.status, undefined, 'no status URL in the start-up line');
  t.match(edge.loaded(), /edge-agent\/agent\.ts/, 'the hook sees the agent load');
  t.notMatch(edge.loaded(), /prom-client|edge-agent\/status\//, 'but nothing of the status server');
  t.equal(await edge.stop(), 0);
});
