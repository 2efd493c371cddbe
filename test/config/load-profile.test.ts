import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProfile } from '../../config/load-profile.js';
import { registerWidth, valueTypeOf } from '../../config/register-width.js';
import { ConfigError } from '../../config/errors.js';

const dir = t.testdir();
async function profile(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

t.test('register widths', async (t) => {
  t.equal(registerWidth({ table: 'holding', type: 'int16' }), 1);
  t.equal(registerWidth({ table: 'holding' }), 1, 'uint16 by default');
  t.equal(registerWidth({ table: 'input', type: 'float32' }), 2);
  t.equal(registerWidth({ table: 'input', type: 'uint64' }), 4);
  t.equal(registerWidth({ table: 'holding', type: 'string', length: 8 }), 8);
  t.equal(registerWidth({ table: 'coil' }), 1);
  t.equal(valueTypeOf({ table: 'discrete' }), 'bool');
  t.equal(valueTypeOf({ table: 'input' }), 'uint16');
});

t.test('a valid profile loads with types filled in', async (t) => {
  const file = await profile('ok.yaml', `name: ok
metrics:
  - { name: a, table: holding, address: 0 }
  - { name: b, table: holding, address: 1, type: uint64, order: HGFEDCBA }
  - { name: c, table: input, address: 0, type: bool, bit: 3 }
  - { name: d, table: input, address: 0, type: bool, bit: 4 }
  - { name: e, table: holding, address: 65534, type: float32, order: DCBA, unit: bar, writable: true }
  - { name: f, table: discrete, address: 0 }
`);
  const loaded = await loadProfile(file);
  t.same(loaded.metrics.map((m) => m.type), ['uint16', 'uint64', 'bool', 'bool', 'float32', 'bool']);
});

t.test('schema and layout issues come together, in file order', async (t) => {
  const file = await profile('bad.yaml', `name: Bad Name
metrics:
  - { name: a, table: holdng, address: 0 }
  - { name: b, table: holding, address: 70000 }
  - { name: c, table: input, address: 0, type: float32, unit: furlongs }
`);
  const err = await loadProfile(file).catch((e: unknown) => e);
  t.ok(err instanceof ConfigError);
  t.same(
    (err as ConfigError).issues.map((i) => [i.line, i.path]),
    [
      [1, 'name'],
      [3, 'metrics[0].table'],
      [4, 'metrics[1].address'],
      [5, 'metrics[2].unit'],
    ],
  );
  t.match((err as ConfigError).issues[1]!.message, 'must be one of: holding, input, coil, discrete, not "holdng"');
});

t.test('the built-in profiles that exist are valid', async (t) => {
  const builtins = fileURLToPath(new URL('../../drivers/profiles/', import.meta.url));
  for (const name of readdirSync(builtins).filter((f) => f.endsWith('.yaml'))) {
    const loaded = await loadProfile(path.join(builtins, name));
    t.equal(`${loaded.name}.yaml`, name, `${name} is named after its file`);
  }
});
