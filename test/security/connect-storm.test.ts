// A district reconnecting at once, against the real `polegate cloud`: hundreds of poles behind one
// source address (one NAT) log in together, and again after the cloud restarts with its caches
// empty; none is refused. Poles of an older registry (scrypt hashes) still log in, and
// `logins.maxPerAddress` is what lets a storm of them through one address.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { MqttClient } from 'mqtt';
import { hashSecret, newSecret } from '../../cloud-ingest/secrets.js';
import { connect, type Tap } from '../cloud-ingest/fixture.js';
import { startCloudProcess, type CloudProcess } from './cloud-process.js';

const POLES = 200;

/** Every pole logs in at once from 127.0.0.1; resolves with the clients, rejects on the first refusal. */
function storm(t: Tap, cloud: CloudProcess, secrets: Record<string, string>): Promise<MqttClient[]> {
  return Promise.all(Object.entries(secrets).map(([id, secret]) => connect(t, `mqtt://127.0.0.1:${cloud.mqttPort}`, { clientId: id, username: id, password: secret, connectTimeout: 30_000 })));
}

t.test(`${POLES} poles behind one address log in at once, and again after a restart; none refused`, async (t) => {
  const poles = Array.from({ length: POLES }, (_, i) => `storm-pole-${i}`);
  const cloud = await startCloudProcess(t, { poles });
  const first = await storm(t, cloud, cloud.secrets);
  t.equal(first.filter((c) => c.connected).length, POLES, 'all connected');
  cloud.child.kill('SIGTERM');
  await new Promise((resolve) => cloud.child.once('close', resolve));
  const again = await startCloudProcess(t, { restartOf: cloud });
  const started = Date.now();
  const back = await storm(t, again, again.secrets);
  t.equal(back.filter((c) => c.connected).length, POLES, `all back in ${Date.now() - started} ms after the restart`);
  t.same(again.logged('connection refused'), [], 'no pole refused');
  t.same(again.logged('login throttled'), [], 'no pole throttled');
});

t.test('poles with scrypt hashes still log in; logins.maxPerAddress sets how many of them one address may storm with', async (t) => {
  const secrets: Record<string, string> = {};
  const entries = [];
  for (let i = 0; i < 24; i++) {
    secrets[`old-pole-${i}`] = newSecret();
    entries.push({ id: `old-pole-${i}`, secretHash: await hashSecret(secrets[`old-pole-${i}`]!) });
  }
  const registry = stringify({ poles: entries });
  const strict = await startCloudProcess(t, { poles: [] });
  writeFileSync(join(strict.dir, 'poles.yaml'), registry);
  const outcomes = await Promise.allSettled(Object.entries(secrets).map(([id, secret]) => connect(t, `mqtt://127.0.0.1:${strict.mqttPort}`, { clientId: id, username: id, password: secret, connectTimeout: 30_000 })));
  const refused = outcomes.filter((o) => o.status === 'rejected').length;
  t.ok(refused >= 24 - 8, `with the default of 8 under way per address, ${refused} of 24 refused`);

  const tuned = await startCloudProcess(t, { poles: [], extra: { logins: { maxPerAddress: 64, maxConcurrent: 4 } } });
  writeFileSync(join(tuned.dir, 'poles.yaml'), registry);
  const clients = await storm(t, tuned, secrets);
  t.equal(clients.filter((c) => c.connected).length, 24, 'with logins.maxPerAddress 64 all 24 log in at once');
  t.same(tuned.logged('connection refused'), [], 'none refused');
});
