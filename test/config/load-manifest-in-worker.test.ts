// loadManifestInWorker, as `polegate edge` loads its manifest: the same answers as loadManifest on
// regression cases of every kind (errors with the same text and codes), drivers found again here.
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadManifest } from '../../config/load-manifest.js';
import { loadManifestInWorker } from '../../config/load-manifest-in-worker.js';
import { ConfigError, PolegateError } from '../../config/errors.js';

const casesDir = fileURLToPath(new URL('../cases/config/', import.meta.url));
/** One case of each kind of answer (cases.test.ts pins every case's text; a worker takes a second to start). */
const CASES = ['valid-design-manifest', 'valid-interpolation', 'valid-minimal', 'vendor-driver', 'vendor-driver-schemas', 'yaml-syntax-error', 'unset-env-var', 'unknown-profile', 'bad-unit'];

async function outcome(load: typeof loadManifest, file: string, env: NodeJS.ProcessEnv) {
  try {
    return { loaded: await load(file, { env }) };
  } catch (err) {
    return { err: err as Error };
  }
}

t.same(CASES.filter((name) => !readdirSync(casesDir).includes(name)), [], 'the cases exist');

for (const name of CASES) {
  t.test(name, async (t) => {
    const dir = path.join(casesDir, name);
    const envFile = path.join(dir, 'env.json');
    const env = existsSync(envFile) ? (JSON.parse(readFileSync(envFile, 'utf8')) as NodeJS.ProcessEnv) : {};
    const file = path.join(dir, 'input.yaml');
    const [here, apart] = await Promise.all([outcome(loadManifest, file, env), outcome(loadManifestInWorker, file, env)]);
    if (here.err) {
      t.ok(apart.err instanceof PolegateError, 'a PolegateError');
      t.equal(apart.err!.constructor, here.err.constructor, here.err.constructor.name);
      t.equal(apart.err!.message, here.err.message);
      t.match(apart.err, { code: (here.err as PolegateError).code, exitCode: (here.err as PolegateError).exitCode });
      if (here.err instanceof ConfigError) t.same((apart.err as ConfigError).issues, here.err.issues);
      return;
    }
    t.notOk(apart.err, apart.err?.message ?? 'loaded');
    const { devices, ...rest } = apart.loaded!;
    const { devices: wanted, ...wantedRest } = here.loaded!;
    t.same(rest, wantedRest, 'manifest, file, configHash and unit table');
    t.equal(devices.length, wanted.length);
    for (const [i, device] of devices.entries()) {
      const { factory, ...data } = device;
      const { factory: wantedFactory, ...wantedData } = wanted[i]!;
      t.same(data, wantedData, `${device.config.id}: config, options, profile`);
      t.equal(factory.kind, wantedFactory.kind);
      t.equal(factory.create, wantedFactory.create, `${device.config.id}: the same driver`);
    }
  });
}

t.test('a file that cannot be read is one clear error', async (t) => {
  await t.rejects(loadManifestInWorker(path.join(casesDir, 'no-such-case', 'input.yaml')), { code: 'CONFIG_UNREADABLE', exitCode: 2, message: /no such file/ });
});
