// The dashboard in headless Chromium against a real `polegate cloud` process and a real edge agent:
// the sign-in link, the pole on the plane coloured by presence, its latest value changing as the
// pole reports, an alarm turning it red and listed on the pole, no failed request, and a screenshot
// under test-output/.
import t from 'tap';
import { join } from 'node:path';
import { startEdgeAgent } from '../../edge-agent/agent.js';
import { launchChromium, screenshot } from '../helpers/chromium.js';
import { testManifest } from '../helpers/edge-manifest.js';
import { missingService } from '../helpers/services.js';
import { startCloudProcess } from '../security/cloud-process.js';

const skip = await missingService('chromium');

t.test('the dashboard shows a live pole and its values', { skip }, async (t) => {
  const cloud = await startCloudProcess(t, { poles: ['pole-dash'], users: [{ username: 'op', role: 'operate' }] });
  const base = `http://127.0.0.1:${cloud.httpPort}`;

  // The page itself holds nothing and is served without credentials; the API still wants them.
  const page0 = await fetch(`${base}/`);
  t.equal(page0.status, 200);
  t.match(page0.headers.get('content-type'), /^text\/html/);
  t.match(page0.headers.get('content-security-policy'), /default-src 'self'/);
  t.equal((await fetch(`${base}/dashboard/nope.js`)).status, 404);
  t.equal((await fetch(`${base}/dashboard/..%2Froutes.ts`)).status, 404, 'no path from a request reaches the file system');
  t.equal((await fetch(`${base}/api/poles`)).status, 401);

  const loaded = testManifest({
    pole: 'pole-dash', topicRoot: 'city/v1', url: `mqtt://127.0.0.1:${cloud.mqttPort}`, bufferPath: join(cloud.dir, 'outbox.db'),
    devices: [{ id: 'gauge', pollMs: 300, metrics: [{ name: 'level', unit: 'm', value: 1, step: 0.5 }] }],
  });
  loaded.manifest.uplink.password = cloud.secrets['pole-dash'];
  // The level grows 0.5 m a read: past 8 m after some 5 s, late enough to see the pole green first.
  loaded.manifest.rules = [{ id: 'level-high', metric: 'gauge.level', above: 8, severity: 'critical' }];
  const agent = await startEdgeAgent(loaded);
  t.teardown(() => agent.close());

  const chromium = await launchChromium();
  t.teardown(() => chromium.close());

  // A visitor without credentials is asked for them.
  const stranger = await chromium.page();
  await stranger.goto(`${base}/`);
  await stranger.locator('#sign-in').waitFor({ state: 'visible', timeout: 10_000 });

  const page = await chromium.page();
  await page.goto(`${base}/login#u=op&p=${encodeURIComponent(cloud.users.op!)}`);
  await page.waitForURL(`${base}/`, { timeout: 10_000 });
  t.notOk(page.url().includes(cloud.users.op!), 'the password left the address bar');

  const mark = page.locator('circle[data-pole="pole-dash"]');
  await mark.waitFor({ timeout: 15_000 });
  await page.waitForFunction(() => document.querySelector('circle[data-pole="pole-dash"] title')?.textContent?.startsWith('pole-dash: online'), undefined, { timeout: 10_000 });
  t.pass('the pole is drawn, online');

  await mark.click();
  const value = page.locator('tr[data-metric="gauge/level"] td.value');
  await page.waitForFunction(() => /^\d/.test(document.querySelector('tr[data-metric="gauge/level"] td.value')?.textContent ?? ''), undefined, { timeout: 10_000 });
  const first = await value.textContent();
  const row = page.locator('tr[data-metric="gauge/level"]');
  t.match(await row.textContent(), /gaugelevel.*mgood/, 'device, metric, unit and quality shown');
  await page.waitForFunction((before) => {
    const now = document.querySelector('tr[data-metric="gauge/level"] td.value')?.textContent;
    return now !== undefined && now !== before;
  }, first, { timeout: 10_000 });
  t.not(await value.textContent(), first, 'the value changed as the pole reported');

  await mark.and(page.locator('[data-state="alarm"]')).waitFor({ timeout: 15_000 });
  t.equal(await mark.getAttribute('class'), 'alarm selected', 'the alarm turns the pole red');
  await page.locator('#alarms', { hasText: 'level-high' }).waitFor({ timeout: 5_000 });
  t.match(await page.locator('#alarms').textContent(), /critical.*level-high \(gauge\/level = /, 'the active alarm is listed on the pole');

  t.ok(await screenshot(page, 'dashboard-pole'));
  t.same(chromium.problems, [], 'no failed request, no page error');
});
