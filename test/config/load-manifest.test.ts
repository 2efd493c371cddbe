import t from 'tap';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadManifest } from '../../config/load-manifest.js';
import { ConfigError } from '../../config/errors.js';
import { builtinDrivers } from '../../drivers/builtin.js';

const cases = fileURLToPath(new URL('../cases/config/', import.meta.url));
const env = { POLE_SECRET: 's3cret' };

t.test('a valid manifest loads with its profiles resolved', async (t) => {
  const file = path.join(cases, 'valid-design-manifest', 'input.yaml');
  const loaded = await loadManifest(file, { env });
  t.equal(loaded.file, path.resolve(file));
  t.equal(loaded.manifest.pole.id, 'bj-cy-000123');
  t.equal(loaded.manifest.uplink.password, 's3cret', 'environment interpolated');
  t.same(loaded.devices.map((d) => d.config.id), ['gas-1', 'level-1', 'pressure-1']);
  const level = loaded.devices[1]!;
  t.equal(level.factory, builtinDrivers.modbus);
  t.equal(level.profile?.name, 'acme-level', 'vendor profile relative to the manifest');
  t.equal(level.options.profile, level.profile, 'options carry the parsed profile');
  t.same(Object.keys(level.options).sort(), ['bus', 'profile', 'unitId'], 'options are the device keys minus id, driver, pollMs');
  t.equal(level.profile?.metrics[0]?.type, 'float32');
  t.equal(loaded.devices[0]!.profile?.name, 'gas-detector', 'built-in profile by name');
  const interpolated = readFileSync(file, 'utf8').replace('${POLE_SECRET}', 's3cret');
  t.equal(loaded.configHash, createHash('sha256').update(interpolated).digest('hex'));
  const other = await loadManifest(file, { env: { POLE_SECRET: 'other' } });
  t.not(other.configHash, loaded.configHash, 'the hash follows the interpolated text');
});

t.test('defaults apply to profile metric types', async (t) => {
  const loaded = await loadManifest(path.join(cases, 'valid-interpolation', 'input.yaml'), {
    env: JSON.parse(readFileSync(path.join(cases, 'valid-interpolation', 'env.json'), 'utf8')),
  });
  const meter = loaded.devices[0]!.profile!;
  t.equal(meter.metrics.find((m) => m.name === 'valve')?.type, 'bool', 'coil defaults to bool');
  t.equal(loaded.manifest.uplink.password, 'p#ss, {word}', 'a value never changes the YAML structure');
  t.equal(loaded.devices[1]!.factory.kind, 'acme-radar', 'vendor driver loaded by path');
  t.equal(loaded.devices[1]!.options.label, 'costs ${PRICE}');
});

t.test('an invalid manifest reports every issue at once, located', async (t) => {
  const file = path.join(cases, 'unknown-key-typo', 'input.yaml');
  const err = await loadManifest(file, { env }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof ConfigError);
  const issues = (err as ConfigError).issues;
  t.equal(issues.length, 5);
  t.ok(issues.every((i) => i.file === file && i.line !== undefined));
  t.equal((err as ConfigError).exitCode, 2);
  t.notMatch((err as ConfigError).message, /\n\s+at /, 'no stack in the message');
});

t.test('a missing manifest is one clear error', async (t) => {
  await t.rejects(loadManifest(path.join(cases, 'no-such-case', 'input.yaml')), { code: 'CONFIG_UNREADABLE', exitCode: 2, message: /no such file/ });
});

t.test('an empty or non-mapping manifest is refused', async (t) => {
  const dir = t.testdir({ 'empty.yaml': '', 'list.yaml': '- a\n- b\n' });
  await t.rejects(loadManifest(path.join(dir, 'empty.yaml')), { message: /must be a mapping of keys to values, not empty/ });
  await t.rejects(loadManifest(path.join(dir, 'list.yaml')), { message: /must be a mapping of keys to values, not a list/ });
});

t.test('units a device states in its own options join the unit table', async (t) => {
  const dir = t.testdir();
  const { copyFileSync, mkdirSync, writeFileSync } = await import('node:fs');
  mkdirSync(path.join(dir, 'vendor'));
  copyFileSync(path.join(cases, 'vendor-driver-units', 'vendor', 'flow-plc.mjs'), path.join(dir, 'vendor', 'flow-plc.mjs'));
  writeFileSync(path.join(dir, 'pole.yaml'), [
    'pole: { id: bj-cy-000123 }',
    'uplink: { url: mqtt://127.0.0.1:1883 }',
    'devices:',
    '  - { id: plc-1, driver: ./vendor/flow-plc.mjs, host: 10.0.0.5, nodes: [{ name: flow, unit: L/min }, { name: light, unit: lx }] }',
    '',
  ].join('\n'));
  const loaded = await loadManifest(path.join(dir, 'pole.yaml'));
  t.same(loaded.devices[0]!.units, ['L/min', 'lx']);
  t.equal(loaded.units['L/min']?.canonical, 'm3/h', 'converted like a profile unit');
  t.equal(loaded.units.lx?.canonical, 'lx', 'another quantity: kept as written, and known, so not uncertain');
});
