// `polegate scan onvif` against the simulated camera: a unicast probe on loopback finds it, the
// device information comes with credentials, and the snippet makes a valid manifest; multicast is
// tried inside a network namespace of its own when this machine lets us make one.
import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadManifest } from '../../config/load-manifest.js';
import { startOnvifSim } from '../../fixtures/onvif-sim.js';
import { polegate, root } from '../helpers/polegate-cli.js';

t.test('unicast: found, described, and the snippet validates', async (t) => {
  const sim = await startOnvifSim({ discoveryPort: 0, password: 'scan-pw' });
  t.teardown(() => sim.close());
  const target = `127.0.0.1:${sim.discoveryPort}`;
  const bare = await polegate(['scan', 'onvif', '--target', target, '--timeout', '500']);
  t.equal(bare.code, 0, bare.stderr);
  t.match(bare.stderr, `probing WS-Discovery at ${target} (unicast)`);
  t.equal(bare.stdout, [
    '# 1 camera found; name the ids, and give the password through ${CAM_PASSWORD} (never in the file)',
    'devices:',
    `  - { id: cam-1, driver: onvif, host: 127.0.0.1, port: ${sim.port}, username: admin, password: "\${CAM_PASSWORD}", events: [motion, tamper] }   # SimCam 1`,
    '',
  ].join('\n'));

  const described = await polegate(['scan', 'onvif', '--target', target, '--timeout', '800', '--username', 'admin', '--password', 'scan-pw']);
  t.equal(described.code, 0, described.stderr);
  t.match(described.stdout, /# Polegate SimCam 1 \(firmware 1\.4\.2, serial SIM-0001\)\n$/);
  const refused = await polegate(['scan', 'onvif', '--target', target, '--timeout', '800', '--username', 'admin', '--password', 'nope']);
  t.match(refused.stdout, /# GetServices: credentials refused/);

  const dir = t.testdir();
  const file = path.join(dir, 'pole.yaml');
  await writeFile(file, `pole: { id: scan-pole-001 }\nuplink: { url: mqtt://127.0.0.1:1 }\n${described.stdout}`);
  const loaded = await loadManifest(file, { env: { CAM_PASSWORD: 'scan-pw' } });
  t.same(loaded.devices.map((d) => [d.config.id, d.options.port, d.options.password]), [['cam-1', sim.port, 'scan-pw']]);
});

t.test('nothing answers: said so', async (t) => {
  const run = await polegate(['scan', 'onvif', '--target', '127.0.0.1:9', '--timeout', '200']);
  t.equal(run.code, 0);
  t.equal(run.stdout, '# no ONVIF camera answered\n');
  const bad = await polegate(['scan', 'onvif', '--target', 'nowhere']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, "'nowhere' is not HOST:PORT");
});

function canUnshare(): boolean {
  try {
    execFileSync('unshare', ['-n', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

t.test('multicast inside a network namespace', { skip: canUnshare() ? false : 'unshare -n is not permitted here' }, async (t) => {
  // One shell in a fresh namespace: loopback up with a multicast route, the simulator joining the
  // group on 3702, then the scan with its default (multicast) probe.
  const script = [
    'ip link set lo up', 'ip route add 239.0.0.0/8 dev lo',
    `node --import tsx -e "import('./fixtures/onvif-sim.ts').then(async (m) => { const s = await m.startOnvifSim({ discoveryPort: 3702, discoveryMulticast: true }); console.log('ready'); setTimeout(() => s.close(), 15000); })" > "$T/sim.out" &`,
    'for i in $(seq 100); do grep -q ready "$T/sim.out" 2>/dev/null && break; sleep 0.1; done',
    'node --import tsx cli/polegate.ts scan onvif --timeout 1000',
    'kill %1',
  ].join('\n');
  const dir = t.testdir();
  const child = spawn('unshare', ['-n', 'bash', '-c', script], { cwd: root, env: { PATH: process.env.PATH, T: dir } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  await new Promise((resolve) => child.on('close', resolve));
  t.match(stderr, 'probing WS-Discovery at 239.255.255.250:3702 (multicast)');
  t.match(stdout, /# 1 camera found.*\ndevices:\n {2}- \{ id: cam-1, driver: onvif, host: 127\.0\.0\.1, port: \d+,/, stderr);
});
