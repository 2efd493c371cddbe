// Hostile or mistaken config files: an alias bomb, a file of megabytes, binary garbage. Each is one
// clear line naming the file, exit 2, for `validate`, `edge` and `cloud`; never an internal error.
import t from 'tap';
import { truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { polegate } from '../helpers/polegate-cli.js';

// Each level aliases the one above nine times: 9^7 strings from a file of 300 bytes.
const BOMB = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefg'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefg'[i]}`).join(',')}]`)].join('\n');

const commands: [string, (file: string) => string[]][] = [
  ['validate', (file) => ['validate', file]],
  ['edge', (file) => ['edge', '--config', file]],
  ['cloud', (file) => ['cloud', '--config', file]],
];

for (const [name, args] of commands) {
  t.test(`${name}: a YAML alias bomb is refused at its first alias, exit 2`, async (t) => {
    const file = join(t.testdir(), 'bomb.yaml');
    // Keys of every kind, so that validate takes it for a manifest, not an unknown file.
    await writeFile(file, `pole: { id: p-1 }\ndevices: []\nstore: {}\n${BOMB}\n`);
    const run = await polegate(args(file));
    t.equal(run.code, 2, run.stderr);
    t.match(run.stdout + run.stderr, `${file}:5:8: YAML aliases (*name) here expand to too much data (an alias bomb?)`);
    t.notMatch(run.stderr, /internal error|at .*\.ts:\d+/);
  });

  t.test(`${name}: a 10 MB file is refused before it is read, exit 2`, async (t) => {
    const file = join(t.testdir(), 'huge.yaml');
    await writeFile(file, 'pole: { id: p-1 }\n');
    await truncate(file, 10 * 1024 * 1024);
    const run = await polegate(args(file));
    t.equal(run.code, 2, run.stderr);
    t.match(run.stderr, new RegExp(`^polegate: [a-z ]+ ${file.replace(/[.]/g, '\\.')} is 10 MiB, more than the 512 KiB a [a-z ]+ may have; check that this is the right file\\n$`));
  });
}

async function cloudDir(t: Tap, registry: (file: string) => Promise<void>): Promise<string> {
  const dir = t.testdir();
  await writeFile(join(dir, 'cloud.yaml'), 'mqtt: { host: 127.0.0.1, port: 0 }\nhttp: { host: 127.0.0.1, port: 0 }\nstore: { kind: sqlite, path: ./data/city.db }\npoles: ./poles.yaml\n');
  await registry(join(dir, 'poles.yaml'));
  return dir;
}
type Tap = { testdir(): string };

t.test('cloud: a pole registry of binary garbage stops the start, exit 2, naming the file', async (t) => {
  const dir = await cloudDir(t, (file) => writeFile(file, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0xff, 0xfe])));
  const run = await polegate(['cloud', '--config', join(dir, 'cloud.yaml')]);
  t.equal(run.code, 2, run.stderr);
  t.equal(run.stderr, `polegate: pole registry ${join(dir, 'poles.yaml')} is not a text file (a NUL byte at byte 8); check that this is the right file\n`);
});

t.test('cloud: a registry that is YAML but not a registry stops the start, exit 2', async (t) => {
  const dir = await cloudDir(t, (file) => writeFile(file, 'poles:\n  - { id: Not_A_Pole, secretHash: x }\n'));
  const run = await polegate(['cloud', '--config', join(dir, 'cloud.yaml')]);
  t.equal(run.code, 2, run.stderr);
  t.match(run.stderr, `${join(dir, 'poles.yaml')}:2:11: poles[0].id: "Not_A_Pole" is not a valid pole id`);
});

t.test('cloud: a registry over 32 MiB is refused; the limit is the registry\'s, not a manifest\'s', async (t) => {
  const big = await cloudDir(t, async (file) => {
    await writeFile(file, 'poles: []\n');
    await truncate(file, 33 * 1024 * 1024);
  });
  const run = await polegate(['cloud', '--config', join(big, 'cloud.yaml')]);
  t.equal(run.code, 2, run.stderr);
  t.match(run.stderr, `pole registry ${join(big, 'poles.yaml')} is 33 MiB, more than the 32 MiB a pole registry may have`);
});
