// Defect 14 of the outside probe: a cloud config with only `ws:` serves MQTT over WebSocket, and
// a client there is authenticated, limited and refused exactly as over TCP.
import t from 'tap';
import { connect, getJson, publish, reading, telemetryPayload } from '../cloud-ingest/fixture.js';
import { waitFor } from '../helpers/wait.js';
import { startCloudProcess } from './cloud-process.js';

t.test('MQTT over WebSocket alone: the same logins, ACL and limits as over TCP', async (t) => {
  const cloud = await startCloudProcess(t, { extra: { mqtt: undefined, ws: { host: '127.0.0.1', port: 0, maxPacketBytes: '64KiB' } } });
  t.equal(cloud.mqttPort, undefined, 'no TCP listener');
  const url = `ws://127.0.0.1:${cloud.wsPort}`;
  await t.rejects(connect(t, url, { clientId: 'pole-a', username: 'pole-a', password: 'wrong' }), /Bad username or password/);
  await t.rejects(connect(t, url, { clientId: 'pole-a', username: 'viewer', password: cloud.users.viewer }), /Identifier rejected/);
  const viewer = await connect(t, url, { clientId: 'viewer:browser', username: 'viewer', password: cloud.users.viewer });
  const received: string[] = [];
  viewer.on('message', (topic) => received.push(topic));
  await viewer.subscribeAsync('city/v1/#', { qos: 1 });

  const pole = await connect(t, url, { clientId: 'pole-a', username: 'pole-a', password: cloud.secrets['pole-a'] });
  await publish(pole, 'city/v1/pole-a/telemetry', telemetryPayload('pole-a', 's1', [reading(1)]));
  await waitFor('the reading forwarded over WebSocket', () => received.includes('city/v1/pole-a/telemetry'));
  const series = await getJson(`http://127.0.0.1:${cloud.httpPort}/api/series?pole=pole-a&device=gas-1&metric=lel`, `viewer:${cloud.users.viewer}`);
  t.equal(series.body.points.length, 1, 'stored');

  const closed = new Promise<void>((resolve) => pole.once('close', () => resolve()));
  pole.publish('city/v1/pole-a/telemetry', Buffer.alloc(100 * 1024, 0x20), { qos: 1 });
  await closed;
  t.pass('a packet over ws.maxPacketBytes closes the connection');
});
