// A vendor's own folder, outside polegate: `import { defineDriver } from 'polegate/sdk'` works from
// plain JavaScript and type-checks from TypeScript (package.json `exports` with types, from dist/),
// and a manifest names the vendor's driver by its npm package name.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadManifest } from '../../../config/load-manifest.js';
import { loadManifestInWorker } from '../../../config/load-manifest-in-worker.js';

const ROOT = join(import.meta.dirname, '../../..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

const driverJs = `import { defineDriver, crc16 } from 'polegate/sdk';
export default defineDriver({
  kind: 'acme-level',
  optionsSchema: { type: 'object', properties: { host: { type: 'string' } } },
  create: (options, context) => ({
    async open() {},
    describe: () => ({ metrics: [{ name: 'level', unit: 'm', type: 'number' }] }),
    async read() { return [{ metric: 'level', value: crc16(Buffer.from(options.host)) / 1000, unit: 'm', ts: context.clock.now(), quality: 'good' }]; },
    async close() {},
  }),
});
`;

/** A vendor's folder with polegate installed in its node_modules (a link to this checkout). */
function vendorDir(t: Test, files: Record<string, unknown>): string {
  return t.testdir({ node_modules: { polegate: t.fixture('symlink', ROOT) }, ...files });
}

t.test('plain JavaScript imports polegate/sdk and the driver runs', async (t) => {
  const dir = vendorDir(t, {
    'package.json': JSON.stringify({ name: 'acme', type: 'module' }),
    'driver.js': driverJs,
    'run.js': `import driver from './driver.js';
const d = driver.create({ host: 'tank-7' }, { deviceId: 'x', clock: { now: () => 1 }, log: console, timeoutMs: 1000 });
await d.open();
console.log(JSON.stringify(await d.read()));`,
  });
  const run = spawnSync(process.execPath, ['run.js'], { cwd: dir, encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr);
  t.match(JSON.parse(run.stdout), [{ metric: 'level', unit: 'm', quality: 'good', ts: 1 }]);
});

t.test('TypeScript sees the SDK types: a right driver compiles, a wrong one names the mistake', async (t) => {
  const tsconfig = JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')] } });
  const good = `import { defineDriver, type Sample } from 'polegate/sdk';
interface Options { host: string }
export default defineDriver<Options>({
  kind: 'acme-level',
  optionsSchema: { type: 'object', properties: { host: { type: 'string' } }, required: ['host'] },
  create: (options, context) => ({
    async open() {},
    describe: () => ({ metrics: [{ name: 'level', unit: 'm', type: 'number' }] }),
    async read(): Promise<Sample[]> { return [{ metric: 'level', value: options.host.length, unit: 'm', ts: context.clock.now(), quality: 'good' }]; },
    async close() {},
  }),
});
`;
  const dir = vendorDir(t, {
    'package.json': JSON.stringify({ name: 'acme', type: 'module' }),
    'tsconfig.json': tsconfig,
    'driver.ts': good,
  });
  const ok = spawnSync(process.execPath, [TSC, '-p', dir], { encoding: 'utf8' });
  t.equal(ok.status, 0, ok.stdout + ok.stderr);

  const bad = vendorDir(t, {
    'package.json': JSON.stringify({ name: 'acme', type: 'module' }),
    'tsconfig.json': tsconfig,
    'driver.ts': good.replace("quality: 'good'", "quality: 'fine'"),
  });
  const refused = spawnSync(process.execPath, [TSC, '-p', bad], { encoding: 'utf8' });
  t.not(refused.status, 0, 'a quality that is not one is refused');
  t.match(refused.stdout, /driver\.ts.*'"fine"' is not assignable/);
});

t.test('a manifest names a vendor driver by its package name', async (t) => {
  const dir = vendorDir(t, {
    'pole.yaml': [
      'pole: { id: pole-vendor-pkg }',
      'uplink: { url: "mqtt://127.0.0.1:1" }',
      'devices:',
      '  - { id: level-1, driver: acme-level-driver, host: tank-7, pollMs: 1000 }',
      '  - { id: level-2, driver: acme-levle-driver, host: tank-8 }',
      '',
    ].join('\n'),
  });
  // Installed as npm installs it: node_modules/<name>, its entry point in package.json.
  const pkg = join(dir, 'node_modules', 'acme-level-driver');
  mkdirSync(pkg);
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'acme-level-driver', type: 'module', exports: './driver.js' }));
  writeFileSync(join(pkg, 'driver.js'), driverJs);
  await t.rejects(loadManifest(join(dir, 'pole.yaml')), { message: /devices\[1\]\.driver: unknown driver 'acme-levle-driver'.*npm package installed beside the manifest/ }, 'a name that is no package is an error at its line');
  const yaml = join(dir, 'one-device.yaml');
  writeFileSync(yaml, 'pole: { id: pole-vendor-pkg }\nuplink: { url: "mqtt://127.0.0.1:1" }\ndevices:\n  - { id: level-1, driver: acme-level-driver, host: tank-7, pollMs: 1000 }\n');
  const loaded = await loadManifest(yaml);
  t.equal(loaded.devices[0]!.factory.kind, 'acme-level');
  const inWorker = await loadManifestInWorker(yaml);
  const driver = inWorker.devices[0]!.factory.create(inWorker.devices[0]!.options, { deviceId: 'level-1', clock: { now: () => 5 }, log: console, timeoutMs: 1000 });
  t.match(await driver.read(), [{ metric: 'level', ts: 5 }], 'the agent finds the package again by its file');
});
