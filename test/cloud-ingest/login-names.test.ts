// Pole ids and platform user names must not collide: a pole named like a user could never log in
// (logins are looked up as users first). add-pole, add-user and the cloud's start refuse it.
import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { polegate } from '../helpers/polegate-cli.js';

const CONFIG = 'mqtt: { host: 127.0.0.1, port: 0 }\nhttp: { host: 127.0.0.1, port: 0 }\nstore: { kind: sqlite, path: ./data/city.db }\npoles: ./poles.yaml\n';

t.test('add-pole --config refuses a user name as pole id; add-user refuses a pole id; the cloud refuses both in one config', async (t) => {
  const dir = t.testdir();
  const config = join(dir, 'cloud.yaml');
  const registry = join(dir, 'poles.yaml');
  await writeFile(config, CONFIG);
  const user = await polegate(['cloud', 'add-user', 'ops-viewer', '--role', 'read', '--config', config]);
  t.equal(user.code, 0, user.stderr);

  const pole = await polegate(['cloud', 'add-pole', 'ops-viewer', '--config', config]);
  t.equal(pole.code, 2);
  t.equal(pole.stderr, `polegate: "ops-viewer" is both a pole id in ${registry} and a user name in ${config}: poles and users log in with the same names, so rename the user or remove the pole\n`);
  t.equal(pole.stdout, '', 'no secret printed');

  // --config on `cloud` works as well, and the registry is the config's poles: file.
  const ok = await polegate(['cloud', '--config', config, 'add-pole', 'pole-7']);
  t.equal(ok.code, 0, ok.stderr);
  t.match(await readFile(registry, 'utf8'), /id: pole-7/);

  const clash = await polegate(['cloud', 'add-user', 'pole-7', '--role', 'read', '--config', config]);
  t.equal(clash.code, 2);
  t.equal(clash.stderr, `polegate: "pole-7" is both a pole id in ${registry} and a user name in ${config}: poles and users log in with the same names, so rename the user or remove the pole\n`);

  // A registry edited by hand (or by add-pole without --config) into a clash stops the start.
  const plain = await polegate(['cloud', 'add-pole', 'ops-viewer', '--registry', registry]);
  t.equal(plain.code, 0, plain.stderr);
  const start = await polegate(['cloud', '--config', config]);
  t.equal(start.code, 2);
  t.equal(start.stderr, `polegate: "ops-viewer" is both a pole id in ${registry} and a user name in ${config}: poles and users log in with the same names, so rename the user or remove the pole\n`);
});
