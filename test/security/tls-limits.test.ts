// The mqtts listener's own limits, over TLS against the real `polegate cloud`: mqtts.maxPacketBytes
// closes a socket at a declared length (before and after login), mqtts.connectTimeoutMs closes a
// client that does not log in, mqtts.maxConnections refuses the connection over the cap.
import t from 'tap';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { waitFor } from '../helpers/wait.js';
import { connectTls, makePki, startCloudProcess, writeCloudConfig } from './tls-fixture.js';

const TIMEOUT = 1500;
const pki = await makePki(t.testdir());
const server = pki.cert('localhost');
const config = writeCloudConfig(pki, 'limits.yaml', `mqtts: { host: 127.0.0.1, port: 0, cert: ${server.cert}, key: ${server.key}, maxPacketBytes: 4KiB, connectTimeoutMs: ${TIMEOUT}, maxConnections: 3 }`);
const cloud = await startCloudProcess(t, config);
const port = cloud.ports.mqtts!;

/** A TLS socket to the mqtts listener, handshake done; resolves its `closed` promise with it. */
async function tlsSocket(): Promise<{ socket: tls.TLSSocket; closed: Promise<void> }> {
  const socket = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(pki.ca), servername: 'localhost' });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('close', () => reject(new Error('closed in the handshake'))));
  return { socket, closed };
}

const closedFor = (reason: RegExp | string) => waitFor(`"${reason}" in the log`, () => cloud.output().split('\n').some((l) => l.includes('connection closed') && (typeof reason === 'string' ? l.includes(reason) : reason.test(l))));

t.test('mqtts.maxPacketBytes: a CONNECT declaring more is closed at its header; after login a larger publish closes the connection', async (t) => {
  const raw = await tlsSocket();
  raw.socket.write(Buffer.from([0x10, 0x80, 0x40])); // CONNECT, remaining length 8192
  await raw.closed;
  await closedFor('packet of 8192 bytes declared, over mqtts.maxPacketBytes 4096');
  const pole = await connectTls(t, port, pki.ca, { clientId: 'pole-a', username: 'pole-a', password: pki.secrets['pole-a'] });
  const gone = new Promise<void>((resolve) => pole.once('close', () => resolve()));
  pole.publish('city/v1/pole-a/event', Buffer.alloc(5000, 0x61));
  await gone;
  await closedFor(/packet of 50\d\d bytes declared, over mqtts\.maxPacketBytes 4096/);
  t.pass('both closed, both logged');
});

t.test('mqtts.connectTimeoutMs: a client that does not log in is closed; mqtts.maxConnections: the 4th connection is refused', async (t) => {
  const started = Date.now();
  const idle = await tlsSocket();
  await idle.closed;
  t.ok(Date.now() - started >= TIMEOUT - 100, `closed after ${Date.now() - started} ms`);
  await closedFor(`not authenticated within ${TIMEOUT} ms`);
  // Opened together, well within the login timeout that would close them and make room.
  const open = await Promise.all([tlsSocket(), tlsSocket(), tlsSocket()]);
  const fourth = await tlsSocket().then(() => 'handshake done', () => 'refused');
  t.equal(fourth, 'refused', 'over the cap, the connection is closed before its handshake');
  await waitFor('the cap in the log', () => cloud.output().includes('connection refused: too many open connections'));
  for (const s of open) s.socket.destroy();
});
