import t from 'tap';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { polegate } from '../helpers/polegate-cli.js';

t.test('a valid manifest: one line, exit 0', async (t) => {
  const run = await polegate(['validate', 'config/examples/pole.yaml'], { POLE_SECRET: 'x', CAM_PASSWORD: 'y' });
  t.equal(run.code, 0, run.stderr);
  t.equal(run.stdout, 'config/examples/pole.yaml: valid pole manifest (pole bj-cy-000123, 4 devices, 3 rules)\n');
});

t.test('kind detection for profiles and cloud configs, and --kind', async (t) => {
  const profile = await polegate(['validate', 'test/cases/config/valid-interpolation/meter.yaml']);
  t.equal(profile.code, 0, profile.stderr);
  t.equal(profile.stdout, 'test/cases/config/valid-interpolation/meter.yaml: valid device profile (acme-meter, 4 metrics)\n');
  const cloud = await polegate(['validate', 'config/examples/cloud.yaml']);
  t.equal(cloud.code, 0, cloud.stderr);
  t.match(cloud.stdout, /^config\/examples\/cloud\.yaml: valid cloud config \(listeners mqtt:1883, mqtts:8883, ws:8083, http:8080; store sqlite\)\n$/);
  const forced = await polegate(['validate', 'config/examples/cloud.yaml', '--kind', 'profile']);
  t.equal(forced.code, 2);
  t.match(forced.stdout, "config/examples/cloud.yaml:6:1: required key 'name' is missing");
});

t.test('an invalid manifest: every issue on its own line, exit 2, no stack', async (t) => {
  const run = await polegate(['validate', 'test/cases/config/unknown-key-typo/input.yaml']);
  t.equal(run.code, 2);
  const lines = run.stdout.trimEnd().split('\n');
  t.equal(lines.length, 5);
  t.equal(lines[3], "test/cases/config/unknown-key-typo/input.yaml:6:48: devices[0].unitid: unknown key 'unitid' — did you mean 'unitId'?");
  t.equal(run.stderr, 'polegate: test/cases/config/unknown-key-typo/input.yaml: not a valid pole manifest: 5 problems\n');
});

t.test('missing files and unknown kinds: one line, exit 2', async (t) => {
  const missing = await polegate(['validate', 'nowhere/pole.yaml']);
  t.equal(missing.code, 2);
  t.equal(missing.stdout, '');
  t.equal(missing.stderr, 'polegate: cannot read file nowhere/pole.yaml: no such file; check the path\n');

  const dir = t.testdir();
  const odd = path.join(dir, 'odd.yaml');
  await writeFile(odd, 'hello: world\n');
  const unknown = await polegate(['validate', odd]);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /cannot tell what this file is.*pass --kind\n$/);
  t.equal(unknown.stderr.split('\n').length, 2, 'one line');

  const badKind = await polegate(['validate', odd, '--kind', 'bogus']);
  t.equal(badKind.code, 2);
});
