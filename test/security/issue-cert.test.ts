// `polegate cloud issue-cert`: the CA made once, certificates that an independent tool (openssl)
// verifies against it, with the names and usages mTLS relies on, and keys only the owner can read.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { polegate } from './tls-fixture.js';

const mode = (file: string) => (statSync(file).mode & 0o777).toString(8);

t.test('the CA, a pole and a server certificate: verified by openssl, named as mTLS needs, keys 0600 in a 0700 folder', async (t) => {
  const dir = t.testdir();
  const config = join(dir, 'cloud.yaml');
  writeFileSync(config, 'store: { kind: sqlite, path: ./city.db }\npoles: ./poles.yaml\nmqtt: { port: 0 }\n');

  const none = await polegate(['cloud', 'issue-cert', 'pole-a', '--config', config]);
  t.equal(none.code, 2);
  t.equal(none.stderr, `polegate: no CA at ${join(dir, 'tls', 'ca.pem')} and ${join(dir, 'tls', 'ca.key')}; create it first with \`polegate cloud issue-cert --ca --config …\`\n`);

  const ca = await polegate(['cloud', 'issue-cert', '--ca', 'pole-a', '--config', config]);
  t.equal(ca.code, 0, ca.stderr);
  t.match(ca.stdout, `CA created: ${join(dir, 'tls', 'ca.pem')}`);
  t.match(ca.stdout, `tls: { ca: ./ca.pem, cert: ./pole-a.pem, key: ./pole-a.key }`);
  const server = await polegate(['cloud', 'issue-cert', 'city.example', '--server', '--host', 'city.example', '--host', '10.0.0.5', '--days', '30', '--config', config]);
  t.equal(server.code, 0, server.stderr);

  const tls = join(dir, 'tls');
  t.equal(mode(tls), '700');
  t.same(['ca.key', 'pole-a.key', 'city.example.key'].map((f) => mode(join(tls, f))), ['600', '600', '600']);
  t.equal(execFileSync('openssl', ['verify', '-CAfile', join(tls, 'ca.pem'), join(tls, 'pole-a.pem'), join(tls, 'city.example.pem')]).toString(),
    `${join(tls, 'pole-a.pem')}: OK\n${join(tls, 'city.example.pem')}: OK\n`);

  const pole = new X509Certificate(readFileSync(join(tls, 'pole-a.pem')));
  t.equal(pole.subject, 'CN=pole-a');
  t.equal(pole.subjectAltName, 'DNS:pole-a');
  t.same(pole.keyUsage, ['1.3.6.1.5.5.7.3.2'], 'clientAuth');
  t.notOk(pole.ca);
  const host = new X509Certificate(readFileSync(join(tls, 'city.example.pem')));
  t.equal(host.subjectAltName, 'DNS:city.example, IP Address:10.0.0.5');
  t.same(host.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'serverAuth');
  const days = (Date.parse(host.validTo) - Date.now()) / 86_400_000;
  t.ok(days > 29 && days <= 30, `valid 30 days (${days.toFixed(2)})`);
  t.ok(new X509Certificate(readFileSync(join(tls, 'ca.pem'))).ca);

  const again = await polegate(['cloud', 'issue-cert', '--ca', '--config', config]);
  t.equal(again.code, 2);
  t.match(again.stderr, /already exist; a CA is made once: every certificate it signed depends on it/);
  const twice = await polegate(['cloud', 'issue-cert', 'pole-a', '--config', config]);
  t.equal(twice.code, 2);
  t.match(twice.stderr, /pole-a\.pem and .*pole-a\.key already exist; move them away to issue a new certificate/);
});

t.test('bad arguments are one line, exit 2', async (t) => {
  const dir = t.testdir();
  const config = join(dir, 'cloud.yaml');
  writeFileSync(config, 'store: { kind: sqlite, path: ./city.db }\npoles: ./poles.yaml\nmqtt: { port: 0 }\n');
  const cases: [string[], RegExp][] = [
    [['cloud', 'issue-cert', 'pole-a'], /needs --config FILE/],
    [['cloud', 'issue-cert', '--config', config], /needs a pole id .* or --ca/],
    [['cloud', 'issue-cert', 'Pole_A', '--ca', '--config', config], /"Pole_A" is not a valid pole id .* add --server/],
    [['cloud', 'issue-cert', 'x', '--server', '--host', 'bad host!', '--ca', '--config', config], /"bad host!" is not a host name or IP address/],
    [['cloud', 'issue-cert', 'pole-a', '--days', '0', '--config', config], /--days must be a whole number of days of at least 1, not "0"/],
  ];
  for (const [args, message] of cases) {
    const run = await polegate(args);
    t.equal(run.code, 2, args.join(' '));
    t.match(run.stderr, message);
  }
  t.notOk(existsSync(join(dir, 'tls')), 'no CA was created for a command that failed');
});

t.test('a TLS file that cannot be read, or requireClientCert without a CA, stops the start with exit 2', async (t) => {
  const dir = t.testdir();
  const missing = join(dir, 'missing.yaml');
  writeFileSync(missing, 'store: { kind: sqlite, path: ./city.db }\npoles: ./poles.yaml\nmqtts: { host: 127.0.0.1, port: 0, cert: ./tls/x.pem, key: ./tls/x.key }\n');
  const run = await polegate(['cloud', '--config', missing]);
  t.equal(run.code, 2);
  t.equal(run.stderr, `polegate: cannot read mqtts.cert ${join(dir, 'tls', 'x.pem')}: ENOENT; check mqtts.cert in the cloud config\n`);
  const noCa = join(dir, 'no-ca.yaml');
  writeFileSync(noCa, 'store: { kind: sqlite, path: ./city.db }\npoles: ./poles.yaml\nmqtts: { port: 0, cert: ./a.pem, key: ./a.key, requireClientCert: true }\n');
  const invalid = await polegate(['validate', noCa]);
  t.equal(invalid.code, 2);
  t.match(invalid.stdout, `${noCa}:3:67: mqtts.requireClientCert: requireClientCert needs mqtts.ca, the CA that signs the poles' certificates`);
});
