// TLS with independent peers: Mosquitto's clients against `polegate cloud` serving mqtts with a
// server certificate only (poles and users log in with passwords), and `polegate edge` against a
// private Mosquitto configured for TLS with client certificates, all from `issue-cert`.
import t from 'tap';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sims } from '../e2e/helpers.js';
import { freePort } from '../helpers/mosquitto.js';
import { missingService } from '../helpers/services.js';
import { waitFor } from '../helpers/wait.js';
import { connectTls, makePki, startCloudProcess, startEdgeProcess, telemetry, writeCloudConfig } from './tls-fixture.js';
import net from 'node:net';

const skip = await missingService('mosquitto-binary');

interface Sub {
  output(): string;
  done: Promise<number | null>;
}

function mosquittoSub(args: string[]): Sub {
  const child = spawn('mosquitto_sub', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return { output: () => output, done: new Promise((resolve) => child.on('close', resolve)) };
}

t.test('mosquitto_sub and mosquitto_pub with --cafile, against our broker serving mqtts with a server certificate', { skip }, async (t) => {
  const pki = await makePki(t.testdir());
  const server = pki.cert('localhost');
  const cloud = await startCloudProcess(t, writeCloudConfig(pki, 'server-tls.yaml', `mqtts: { host: 127.0.0.1, port: 0, cert: ${server.cert}, key: ${server.key} }`));
  const port = String(cloud.ports.mqtts);
  const tls = ['-h', '127.0.0.1', '-p', port, '--cafile', pki.ca];
  // -C 1: exit after one message; -W: give up after 20 s.
  const sub = mosquittoSub([...tls, '-u', 'viewer', '-P', pki.users.viewer!, '-i', 'viewer:1', '-t', 'city/v1/+/telemetry', '-C', '1', '-W', '20', '-v']);
  // The subscription may not be in place yet: publish (a new reading each time) until the subscriber has one.
  let seq = 0;
  await waitFor('mosquitto_sub received the pole\'s telemetry', async () => {
    const pub = spawn('mosquitto_pub', [...tls, '-u', 'pole-a', '-P', pki.secrets['pole-a']!, '-i', 'pole-a', '-q', '1', '-t', 'city/v1/pole-a/telemetry', '-m', telemetry('pole-a', ++seq, 1.5)], { stdio: 'ignore' });
    const code = await new Promise((resolve) => pub.on('close', resolve));
    if (code !== 0) throw new Error(`mosquitto_pub exited ${code}`);
    return sub.output().includes('city/v1/pole-a/telemetry') || undefined;
  }, 20_000, 500);
  t.equal(await sub.done, 0);
  t.match(sub.output(), /^city\/v1\/pole-a\/telemetry \{"v":1,"pole":"pole-a"/);

  const untrusted = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '--cafile', '/etc/ssl/certs/ca-certificates.crt', '-u', 'pole-a', '-P', pki.secrets['pole-a']!, '-i', 'pole-a', '-t', 'city/v1/pole-a/telemetry', '-m', '{}'], { stdio: 'ignore' });
  t.not(await new Promise((resolve) => untrusted.on('close', resolve)), 0, 'a client that does not trust the city CA does not connect');
  await t.rejects(connectTls(t, cloud.ports.mqtts!, '/etc/ssl/certs/ca-certificates.crt', { clientId: 'pole-a', username: 'pole-a', password: pki.secrets['pole-a'] }), /certificate/);
});

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

t.test('polegate edge with uplink.tls against a private Mosquitto that requires client certificates', { skip }, async (t) => {
  const dir = t.testdir();
  const pki = await makePki(dir);
  const port = await freePort();
  const server = pki.cert('localhost');
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, [
    `listener ${port} 127.0.0.1`,
    `cafile ${pki.ca}`, `certfile ${server.cert}`, `keyfile ${server.key}`,
    // Only clients with a certificate of the city CA; the certificate's CN is the username.
    'require_certificate true', 'use_identity_as_username true', 'allow_anonymous false',
    'persistence false', `log_dest file ${join(dir, 'mosquitto.log')}`,
    // Started as root, Mosquitto drops to its own user, which may not read the 0700 tls/ folder.
    ...(process.getuid?.() === 0 ? ['user root'] : []), '',
  ].join('\n'));
  const broker = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' });
  const brokerExited = new Promise((resolve) => broker.once('exit', resolve));
  t.teardown(async () => {
    broker.kill('SIGTERM');
    await brokerExited;
  });
  await waitFor(`mosquitto on ${port}`, () => accepts(port), 10_000);

  const b = pki.cert('pole-b');
  const sub = mosquittoSub(['-h', '127.0.0.1', '-p', String(port), '--cafile', pki.ca, '--cert', b.cert, '--key', b.key, '-i', 'watcher', '-t', 'city/v1/pole-a/telemetry', '-C', '1', '-W', '30']);

  const { gas } = await sims(t);
  gas.set('lel', 3.3);
  const a = pki.cert('pole-a');
  const manifest = join(dir, 'pole.yaml');
  writeFileSync(manifest, `pole: { id: pole-a, location: { lat: 31.82, lon: 117.23 } }
uplink: { url: "mqtts://127.0.0.1:${port}", tls: { ca: ${pki.ca}, cert: ${a.cert}, key: ${a.key} } }
buffer: { path: ./outbox.db }
devices:
  - { id: gas-1, driver: modbus, host: 127.0.0.1, port: ${gas.port}, unitId: 1, profile: gas-detector, pollMs: 200 }
`);
  const edge = startEdgeProcess(t, manifest, dir);
  const code = await sub.done;
  t.equal(code, 0, `mosquitto_sub got a message\n${sub.output()}\nedge:\n${edge.output()}`);
  const payload = JSON.parse(sub.output().trim().split('\n')[0]!);
  t.match(payload, { v: 1, pole: 'pole-a' });
  t.match(payload.readings.find((r: { metric: string }) => r.metric === 'lel'), { device: 'gas-1', value: 3.3, quality: 'good' });
});
