// Defects 3 and 4 of the outside probe, against the real `polegate cloud`: a burst of wrong
// passwords does not hold up a pole's login, and a platform user cannot take a pole's client id.
import t from 'tap';
import http from 'node:http';
import { connect } from '../cloud-ingest/fixture.js';
import { waitFor } from '../helpers/wait.js';
import { startCloudProcess } from './cloud-process.js';

/** One HTTP request with Basic credentials from a given loopback source address; resolves its status. */
function basic(port: number, credentials: string, localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/api/poles', localAddress, agent: false, headers: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
  });
}

t.test("1,000 concurrent wrong passwords: a pole's first login stays fast, the attack is throttled and logged without secrets", async (t) => {
  const cloud = await startCloudProcess(t);
  const attack = Promise.all(Array.from({ length: 1000 }, (_, i) => basic(cloud.httpPort, `viewer:wrong-${i}`, '127.0.0.2')));
  await waitFor('the attack under way', () => cloud.logged('login throttled').length > 0);
  const started = Date.now();
  const pole = await connect(t, `mqtt://127.0.0.1:${cloud.mqttPort}`, { clientId: 'pole-a', username: 'pole-a', password: cloud.secrets['pole-a'] });
  const loginMs = Date.now() - started;
  t.ok(pole.connected);
  t.ok(loginMs < 5000, `the pole logged in in ${loginMs} ms during the attack (39.6 s before throttling)`);
  const statuses = await attack;
  t.ok(statuses.every((s) => s === 401), 'every wrong password refused');
  t.equal(await basic(cloud.httpPort, `viewer:${cloud.users.viewer}`, '127.0.0.3'), 200, 'the right password from elsewhere works');
  const throttled = cloud.logged('login throttled');
  t.match(throttled[0], { address: '127.0.0.2', username: 'viewer' });
  t.notOk(cloud.log().some((l) => l.includes('wrong-')), 'no password in the log');
});

t.test("a platform user may not take a pole's client id; the pole stays connected", async (t) => {
  const cloud = await startCloudProcess(t);
  const url = `mqtt://127.0.0.1:${cloud.mqttPort}`;
  const pole = await connect(t, url, { clientId: 'pole-a', username: 'pole-a', password: cloud.secrets['pole-a'] });
  let kicked = false;
  pole.on('close', () => (kicked = true));
  const viewer = { username: 'viewer', password: cloud.users.viewer };
  await t.rejects(connect(t, url, { clientId: 'pole-a', ...viewer }), /Identifier rejected/);
  await t.rejects(connect(t, url, { clientId: 'pole-not-yet-registered', ...viewer }), /Identifier rejected/, 'nor an id a pole may get later');
  const ok = await connect(t, url, { clientId: 'viewer:dashboard', ...viewer });
  t.ok(ok.connected, 'an id outside the pole-id form is accepted');
  t.ok(pole.connected && !kicked, 'the pole was never kicked off');
  t.match(await waitFor('the refusal in the log', () => cloud.logged('connection refused')[0]), { clientId: 'pole-a', username: 'viewer', reason: /may not have the form of a pole id/ });
});
