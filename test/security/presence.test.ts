// Defect 7 of the outside probe: the cloud and a pole killed together, the cloud restarted: the
// pole is not shown online for good; it is unknown until it connects, and its lastSeen is kept.
import t from 'tap';
import { once } from 'node:events';
import { connect, getJson, publish, statePayload } from '../cloud-ingest/fixture.js';
import { waitFor } from '../helpers/wait.js';
import { startCloudProcess } from './cloud-process.js';

t.test('after a SIGKILL and a restart a pole that was online is unknown until it connects again', async (t) => {
  const first = await startCloudProcess(t);
  const pole = await connect(t, `mqtt://127.0.0.1:${first.mqttPort}`, { clientId: 'pole-a', username: 'pole-a', password: first.secrets['pole-a'] });
  await publish(pole, 'city/v1/pole-a/state', statePayload('pole-a', 'online'), { retain: true });
  const poles = async (port: number) => (await getJson(`http://127.0.0.1:${port}/api/poles`, `viewer:${first.users.viewer}`)).body.poles;
  const before = (await poles(first.httpPort))[0];
  t.equal(before.state, 'online');
  first.child.kill('SIGKILL');
  await once(first.child, 'close');
  pole.end(true); // the pole dies with it: no will reaches any cloud

  const second = await startCloudProcess(t, { restartOf: first });
  const after = (await poles(second.httpPort))[0];
  t.equal(after.state, 'unknown', 'not trusted as online after the restart');
  t.equal(after.lastSeen, before.lastSeen, 'lastSeen is when the pole was last heard');
  t.equal(second.logged('poles online before this start are unknown until they connect')[0]?.poles, 1);

  const back = await connect(t, `mqtt://127.0.0.1:${second.mqttPort}`, { clientId: 'pole-a', username: 'pole-a', password: first.secrets['pole-a'] });
  await publish(back, 'city/v1/pole-a/state', statePayload('pole-a', 'online'), { retain: true });
  await waitFor('online again', async () => (await poles(second.httpPort))[0].state === 'online');
  t.pass('online again once it says so');
});
