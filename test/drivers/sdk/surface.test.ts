// The built-in drivers use the SDK exactly as a vendor's driver does: outside its own folder a
// built-in driver imports `drivers/sdk/index.ts` (what `polegate/sdk` exports) and nothing else of
// ours — no private back doors into config/, edge-agent/ or the SDK's own files.
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { crc16, defineDriver } from '../../../drivers/sdk/index.js';

const DRIVERS = join(import.meta.dirname, '../../../drivers');
const builtins = readdirSync(DRIVERS).filter((name) => statSync(join(DRIVERS, name)).isDirectory() && name !== 'sdk' && name !== 'profiles');

t.test('every built-in driver reaches outside its folder only through ../sdk/index.js', async (t) => {
  t.ok(builtins.includes('modbus'), 'the drivers are found');
  for (const driver of builtins) {
    for (const file of readdirSync(join(DRIVERS, driver)).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(join(DRIVERS, driver, file), 'utf8');
      const relative = [...source.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => m[1]!);
      const outside = relative.filter((spec) => !spec.startsWith('./') && spec !== '../sdk/index.js');
      t.same(outside, [], `drivers/${driver}/${file}`);
    }
  }
});

t.test('defineDriver returns the factory and refuses one that is not', async (t) => {
  const factory = { kind: 'acme', optionsSchema: { type: 'object', properties: {} }, create: () => ({}) as never };
  t.equal(defineDriver(factory), factory);
  t.throws(() => defineDriver({ kind: '', optionsSchema: {} } as never), /defineDriver: missing kind \(a non-empty string\), create \(a function\)/);
  t.equal(crc16(Buffer.from('123456789')), 0x4b37, 'crc16 is the CRC-16/MODBUS of the SDK');
});
