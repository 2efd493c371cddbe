// mTLS end to end with real processes: `polegate cloud` with mqtts.requireClientCert and a CA made
// by `polegate cloud issue-cert --ca`. A pole's certificate logs it in (CN = pole id = client id);
// another pole's, an expired, a foreign-CA or no certificate is refused; Mosquitto's clients and
// `polegate edge` with uplink.tls connect; the HTTP API answers over TLS (http.tls).
import t from 'tap';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { caFiles, createCa, issueCert, validFor } from '../../cloud-ingest/certificates.js';
import { sims } from '../e2e/helpers.js';
import { missingService } from '../helpers/services.js';
import { waitFor } from '../helpers/wait.js';
import { connectTls, httpsJson, makePki, startCloudProcess, startEdgeProcess, telemetry, writeCloudConfig } from './tls-fixture.js';

const pki = await makePki(t.testdir());
const server = pki.cert('localhost');
const config = writeCloudConfig(pki, 'mtls.yaml', [
  `mqtts: { host: 127.0.0.1, port: 0, cert: ${server.cert}, key: ${server.key}, ca: ./tls/ca.pem, requireClientCert: true }`,
  `http: { host: 127.0.0.1, port: 0, tls: { cert: ./tls/localhost.pem, key: ./tls/localhost.key } }`,
].join('\n'));
const cloud = await startCloudProcess(t, config);
const mqtts = cloud.ports.mqtts!;
const api = `https://127.0.0.1:${cloud.ports.http}`;
const viewer = `viewer:${pki.users.viewer}`;

const series = async (pole: string) => (await httpsJson(`${api}/api/series?pole=${pole}&device=gas-1&metric=lel&from=0&to=${Date.now() + 60_000}`, pki.ca, viewer)).body.points as { value: number }[] | undefined;

t.test('a pole logs in with its certificate alone (no password) and its telemetry is stored; the API answers over TLS', async (t) => {
  const pole = await connectTls(t, mqtts, pki.ca, { clientId: 'pole-a', certFiles: pki.cert('pole-a') });
  await new Promise<void>((resolve, reject) => pole.publish('city/v1/pole-a/telemetry', telemetry('pole-a', 1, 4.2), { qos: 1 }, (err) => (err ? reject(err) : resolve())));
  t.same((await series('pole-a'))!.map((p) => p.value), [4.2]);
  t.equal((await httpsJson(`${api}/api/poles`, pki.ca)).status, 401, 'Basic credentials still required over TLS');
});

t.test("pole A's certificate presented as pole B is refused, with or without B's secret", async (t) => {
  await t.rejects(connectTls(t, mqtts, pki.ca, { clientId: 'pole-b', certFiles: pki.cert('pole-a') }), /Bad username or password/);
  await t.rejects(connectTls(t, mqtts, pki.ca, { clientId: 'pole-b', username: 'pole-b', password: pki.secrets['pole-b'], certFiles: pki.cert('pole-a') }), /Bad username or password/);
  await waitFor('the refusal logged', () => cloud.output().includes('is not registered for pole pole-b'));
  t.notMatch(cloud.output(), pki.secrets['pole-b']!, 'the secret is never logged');
  t.ok(await connectTls(t, mqtts, pki.ca, { clientId: 'pole-b', certFiles: pki.cert('pole-b') }), "pole B's own certificate works");
});

t.test('an expired certificate, one of a foreign CA, and none at all are refused in the handshake', async (t) => {
  const dir = t.testdir();
  const past = { notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) };
  const expired = await issueCert(caFiles(pki.dir), 'pole-a', join(dir, 'expired'), { validity: past });
  await createCa(caFiles(join(dir, 'foreign')), 'some other CA', validFor(30));
  const foreign = await issueCert(caFiles(join(dir, 'foreign')), 'pole-a', join(dir, 'foreign'), { validity: validFor(30) });
  for (const [what, certFiles] of [['expired', expired], ['foreign CA', foreign], ['no certificate', undefined]] as const) {
    const err = await connectTls(t, mqtts, pki.ca, { clientId: 'pole-a', certFiles }).then(() => undefined, (e: Error) => e);
    t.ok(err, `${what}: refused`);
    t.notMatch(err?.message ?? '', /Bad username|Not authorized/, `${what}: refused by TLS, before MQTT`);
  }
});

const mosquitto = await missingService('mosquitto-binary');

t.test("Mosquitto's clients connect to our broker over mTLS, as the pole their certificate names", { skip: mosquitto }, async (t) => {
  const pub = (clientId: string, seq: number) => new Promise<number | null>((resolve) => {
    const child = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(mqtts), '--cafile', pki.ca, '--cert', pki.cert('pole-a').cert, '--key', pki.cert('pole-a').key,
      '-i', clientId, '-q', '1', '-t', `city/v1/${clientId}/telemetry`, '-m', telemetry(clientId, seq, seq / 10)], { stdio: 'ignore' });
    child.on('close', resolve);
  });
  t.equal(await pub('pole-a', 2), 0);
  await waitFor('the reading of mosquitto_pub stored', async () => (await series('pole-a'))?.some((p) => p.value === 0.2));
  t.not(await pub('pole-b', 3), 0, "pole A's certificate as pole B: mosquitto_pub fails");
  t.notOk((await series('pole-b'))?.some((p) => p.value === 0.3), 'and nothing was stored for pole B');
});

t.test('the edge agent with uplink.tls { ca, cert, key } (relative to the manifest) and no password gets its readings into the store', async (t) => {
  const dir = t.testdir();
  const { gas } = await sims(t);
  gas.set('lel', 7.5);
  const manifest = join(dir, 'pole.yaml');
  const a = pki.cert('pole-a');
  writeFileSync(manifest, `pole: { id: pole-a, location: { lat: 31.82, lon: 117.23 } }
uplink: { url: "mqtts://127.0.0.1:${mqtts}", tls: { ca: ${relative(dir, pki.ca)}, cert: ${relative(dir, a.cert)}, key: ${relative(dir, a.key)} } }
buffer: { path: ./outbox.db }
devices:
  - { id: gas-1, driver: modbus, host: 127.0.0.1, port: ${gas.port}, unitId: 1, profile: gas-detector, pollMs: 200 }
`);
  // From another working directory: the TLS paths are read from the manifest's folder.
  const edge = startEdgeProcess(t, manifest, tmpdir());
  const pole = await waitFor('pole-a online with its gas reading, over mTLS', async () => {
    const p = (await httpsJson(`${api}/api/poles/pole-a`, pki.ca, viewer)).body;
    const lel = p.devices?.find((d: { id: string }) => d.id === 'gas-1')?.metrics.find((m: { name: string }) => m.name === 'lel');
    return p.state === 'online' && lel?.latest?.value === 7.5 ? p : undefined;
  }, 20_000).catch((err: Error) => {
    throw new Error(`${err.message}\nedge output:\n${edge.output()}`);
  });
  t.equal(pole.id, 'pole-a');
});
