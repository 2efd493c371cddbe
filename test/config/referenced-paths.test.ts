// Profiles and vendor drivers a manifest names by path: absolute as given, relative from the
// manifest's folder, whatever the working directory is.
import t, { type Test } from 'tap';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadManifest } from '../../config/load-manifest.js';
import { ConfigError } from '../../config/errors.js';

const cases = fileURLToPath(new URL('../cases/config/', import.meta.url));
const vendorDriver = path.join(cases, 'vendor-driver', 'vendor', 'acme-radar.mjs');
const profileText = 'name: acme-level\nmetrics:\n  - { name: level, table: input, address: 0, type: float32, unit: m }\n';

function scratch(t: Test): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'polegate-paths-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function manifest(profile: string, driver: string): string {
  return [
    'pole: { id: bj-cy-000123 }',
    'uplink: { url: mqtt://127.0.0.1:1883 }',
    'devices:',
    `  - { id: level-1, driver: modbus, host: 192.168.10.30, unitId: 1, profile: ${profile} }`,
    `  - { id: radar-1, driver: ${driver}, host: 192.168.10.40, rangeM: 30 }`,
    '',
  ].join('\n');
}

t.test('absolute profile and driver paths are taken as given, outside the manifest folder', async (t) => {
  const root = scratch(t);
  const etc = path.join(root, 'etc', 'polegate');
  mkdirSync(path.join(etc, 'profiles'), { recursive: true });
  mkdirSync(path.join(etc, 'vendor'), { recursive: true });
  writeFileSync(path.join(etc, 'profiles', 'level.yaml'), profileText);
  copyFileSync(vendorDriver, path.join(etc, 'vendor', 'acme-radar.mjs'));
  const poleDir = path.join(root, 'pole');
  mkdirSync(poleDir);
  const file = path.join(poleDir, 'pole.yaml');
  writeFileSync(file, manifest(path.join(etc, 'profiles', 'level.yaml'), path.join(etc, 'vendor', 'acme-radar.mjs')));
  const loaded = await loadManifest(file);
  t.equal(loaded.devices[0]!.profile?.name, 'acme-level');
  t.equal(loaded.devices[1]!.factory.kind, 'acme-radar');
});

t.test('relative paths are read from the manifest folder, not the working directory', async (t) => {
  const root = scratch(t);
  const poleDir = path.join(root, 'pole');
  mkdirSync(path.join(poleDir, 'profiles'), { recursive: true });
  mkdirSync(path.join(poleDir, 'vendor'));
  writeFileSync(path.join(poleDir, 'profiles', 'level.yaml'), profileText);
  copyFileSync(vendorDriver, path.join(poleDir, 'vendor', 'acme-radar.mjs'));
  writeFileSync(path.join(poleDir, 'pole.yaml'), manifest('./profiles/level.yaml', './vendor/acme-radar.mjs'));
  const elsewhere = scratch(t);
  const cwd = process.cwd();
  process.chdir(elsewhere);
  t.teardown(() => process.chdir(cwd));
  const loaded = await loadManifest(path.relative(elsewhere, path.join(poleDir, 'pole.yaml')));
  t.equal(loaded.devices[0]!.profile?.name, 'acme-level');
  t.equal(loaded.devices[1]!.factory.kind, 'acme-radar');
});

t.test('a missing file says where it was looked for', async (t) => {
  const root = scratch(t);
  const file = path.join(root, 'pole.yaml');
  writeFileSync(file, manifest('./profiles/nope.yaml', './vendor/nope.mjs'));
  const err = await loadManifest(file).catch((e: unknown) => e);
  t.ok(err instanceof ConfigError);
  const messages = (err as ConfigError).issues.map((i) => i.message);
  t.match(messages[0], `profile file ./profiles/nope.yaml not found (looked for ${path.join(root, 'profiles', 'nope.yaml')}; a relative path is read from the manifest's folder)`);
  t.match(messages[1], `driver module ./vendor/nope.mjs not found (looked for ${path.join(root, 'vendor', 'nope.mjs')}; a relative path is read from the manifest's folder)`);
});
