// Defect 1 of the outside probe: a socket declaring a huge packet is closed at its fixed header,
// before authentication nothing much can be held, and listeners cap their connections.
import t from 'tap';
import mqttPacket from 'mqtt-packet';
import { connect, publish, reading, telemetryPayload } from '../cloud-ingest/fixture.js';
import { waitFor } from '../helpers/wait.js';
import { startCloudProcess } from './cloud-process.js';
import { connectPacket, rawConnect, stream } from './raw-mqtt.js';

const MiB = 1024 * 1024;
const HUGE_CONNECT = Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]); // CONNECT, remaining length 256 MiB

t.test('sockets declaring 256 MiB are closed at the header and the cloud keeps its memory', async (t) => {
  const cloud = await startCloudProcess(t);
  const before = cloud.rssMiB();
  const clients = await Promise.all([1, 2, 3, 4].map(() => rawConnect(cloud.mqttPort)));
  const sent = await Promise.all(clients.map((c) => stream(c, HUGE_CONNECT, 256 * MiB)));
  await Promise.all(clients.map((c) => c.closed));
  for (const bytes of sent) t.ok(bytes < 64 * MiB, `closed after ${bytes} bytes, long before 256 MiB`);
  const growth = cloud.rssMiB() - before;
  t.ok(growth < 64, `RSS grew ${growth.toFixed(1)} MiB (limit 64)`);
  const closed = await waitFor('four refusals in the log', () => cloud.logged('connection closed').length === 4 && cloud.logged('connection closed'));
  t.match(closed[0]!.reason, /packet of 268435455 bytes declared, over mqtt\.maxPacketBytes 1114112/);

  // The broker still serves: a pole logs in and its reading is stored.
  const pole = await connect(t, `mqtt://127.0.0.1:${cloud.mqttPort}`, { clientId: 'pole-a', username: 'pole-a', password: cloud.secrets['pole-a'] });
  await publish(pole, 'city/v1/pole-a/telemetry', telemetryPayload('pole-a', 's1', [reading(1)]));
});

t.test('after login a packet over mqtt.maxPacketBytes closes the connection; one under it is stored', async (t) => {
  const cloud = await startCloudProcess(t, { mqtt: { maxPacketBytes: '256KiB' } });
  const url = `mqtt://127.0.0.1:${cloud.mqttPort}`;
  const pole = await connect(t, url, { clientId: 'pole-a', username: 'pole-a', password: cloud.secrets['pole-a'] });
  const readings = Array.from({ length: 1000 }, (_, i) => reading(i + 1, { device: `gas-${'x'.repeat(100)}` }));
  await publish(pole, 'city/v1/pole-a/telemetry', telemetryPayload('pole-a', 's1', readings)); // ~190 KiB
  t.pass('a publish under the limit is acknowledged');
  const closed = new Promise<void>((resolve) => pole.once('close', () => resolve()));
  pole.publish('city/v1/pole-a/telemetry', Buffer.alloc(300 * 1024, 0x20), { qos: 1 });
  await closed;
  t.pass('the connection is closed');
  await waitFor('the refusal in the log', () => cloud.logged('connection closed').find((l) => /packet of \d+ bytes declared, over mqtt\.maxPacketBytes 262144/.test(String(l.reason))));
});

t.test('a client must log in in time, may send little before it does, and connections are capped', async (t) => {
  const TIMEOUT = 3000;
  const cloud = await startCloudProcess(t, { mqtt: { connectTimeoutMs: TIMEOUT, maxConnections: 4 } });
  // A client that logs in in time stays, past the login timeout of the others.
  const ok = await rawConnect(cloud.mqttPort);
  ok.send(connectPacket('pole-b', 'pole-b', cloud.secrets['pole-b']));
  await waitFor('CONNACK', () => ok.packets.find((p) => p.cmd === 'connack'));
  const silent = await rawConnect(cloud.mqttPort);
  const chatty = await rawConnect(cloud.mqttPort);
  const started = Date.now();
  // A CONNECT under the packet limit, but far more than a login needs: closed before it completes.
  await stream(chatty, Buffer.from([0x10, 0x80, 0x80, 0x08]), 200 * 1024); // remaining length 128 KiB
  await chatty.closed;
  t.ok(Date.now() - started < TIMEOUT, 'closed for its size, not by the timeout');
  const third = await rawConnect(cloud.mqttPort);
  const fourth = await rawConnect(cloud.mqttPort);
  const fifth = await rawConnect(cloud.mqttPort); // ok, silent, third and fourth are open: refused at accept
  await fifth.closed;
  t.ok(Date.now() - started < TIMEOUT, 'the connection over the cap is refused at once');
  await Promise.all([silent.closed, third.closed, fourth.closed]);
  t.ok(Date.now() - started >= TIMEOUT - 100, 'the silent clients were closed by the login timeout');
  t.notOk(ok.socket.destroyed, 'the logged-in client, older than them, is still connected');
  const reasons = cloud.logged('connection closed').map((l) => l.reason);
  t.ok(reasons.includes('over 65536 bytes sent before authentication'), String(reasons));
  t.ok(reasons.includes(`not authenticated within ${TIMEOUT} ms`), String(reasons));
  await waitFor('the cap in the log', () => cloud.logged('connection refused: too many open connections').length > 0);
  ok.socket.destroy();
});

t.test('a connection reaches the broker only with a CONNECT a login could be; a CONNECT in pieces still logs in', async (t) => {
  const cloud = await startCloudProcess(t);
  const cases: [string, Buffer, string][] = [
    ['a PINGREQ first', Buffer.from([0xc0, 0x00]), 'first packet of type byte 0xc0, not CONNECT'],
    ['a CONNECT declaring 100 KiB (under maxPacketBytes, over what a login may send)', Buffer.from([0x10, 0x80, 0xa0, 0x06]), 'over 65536 bytes sent before authentication'],
  ];
  for (const [what, bytes, reason] of cases) {
    const c = await rawConnect(cloud.mqttPort);
    c.socket.write(bytes);
    await c.closed;
    await waitFor(`the refusal of ${what} in the log`, () => cloud.logged('connection closed').some((l) => l.reason === reason));
  }
  // The fixed header one byte at a time: read, put back, and the broker parses the whole CONNECT.
  const c = await rawConnect(cloud.mqttPort);
  const packet = mqttPacket.generate(connectPacket('pole-a', 'pole-a', cloud.secrets['pole-a']));
  c.socket.setNoDelay(true);
  for (const piece of [packet.subarray(0, 1), packet.subarray(1, 2), packet.subarray(2)]) {
    await new Promise((resolve) => c.socket.write(piece, resolve));
  }
  await waitFor('the CONNACK', () => c.packets.find((p) => p.cmd === 'connack'));
  t.match(c.packets.find((p) => p.cmd === 'connack'), { returnCode: 0 });
  c.socket.destroy();
});
