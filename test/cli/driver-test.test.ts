// `polegate driver test` (the conformance kit) in CI: every driver that ships, the example vendor
// driver of docs/driver-guide.md, and a deliberately broken one that must fail with clear reasons.
// A driver joins this list with one entry: its name or path, its simulator command, its options.
import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');
const POLEGATE = join(ROOT, 'bin/polegate');

interface KitRun {
  driver: string;
  sim: string;
  options: string;
  /** Checks beyond the common ones this driver must pass (subscribe, for a push source). */
  also?: string[];
}

const mustPass: Record<string, KitRun> = {
  modbus: { driver: 'modbus', sim: `${POLEGATE} sim modbus --profile gas-detector --port $POLEGATE_SIM_PORT`, options: 'fixtures/kit/modbus.yaml' },
  'serial-line': { driver: 'serial-line', sim: `${POLEGATE} sim serial-line --instrument radar-level --port $POLEGATE_SIM_PORT`, options: 'fixtures/kit/serial-line.yaml' },
  onvif: { driver: 'onvif', sim: `${POLEGATE} sim onvif --port $POLEGATE_SIM_PORT --password kit-secret --motion-every 2`, options: 'fixtures/kit/onvif.yaml', also: ['subscribe'] },
  opcua: { driver: 'opcua', sim: `${POLEGATE} sim opcua --port $POLEGATE_SIM_PORT`, options: 'fixtures/kit/opcua.yaml' },
  'example vendor driver': { driver: 'fixtures/vendor-example/driver.mjs', sim: 'node fixtures/vendor-example/sim.mjs', options: 'fixtures/vendor-example/options.yaml', also: ['subscribe'] },
};

function kit(run: KitRun): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(POLEGATE, ['driver', 'test', run.driver, '--sim', run.sim, '--options', run.options], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stderr.on('data', (c: Buffer) => (out += c));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

for (const [name, run] of Object.entries(mustPass)) {
  t.test(`${name} passes the kit`, async (t) => {
    const { code, out } = await kit(run);
    t.equal(code, 0, out);
    t.match(out, /checks: \d+ passed, 0 failed/);
    for (const check of ['open', 'describe', 'read', 'timeout', 'dropped transport', 'malformed frames', 'close', ...(run.also ?? [])]) t.match(out, new RegExp(`pass  ${check}`), `${check} checked`);
  });
}

t.test('the broken vendor driver fails, each check saying what is wrong, and the kit still exits', async (t) => {
  const { code, out } = await kit({ driver: 'fixtures/vendor-broken/driver.mjs', sim: 'node fixtures/vendor-example/sim.mjs', options: 'fixtures/vendor-broken/options.yaml' });
  t.equal(code, 1, 'exit 1 on failures');
  t.match(out, /FAIL  describe\s+metric temp: type "float" is not number, boolean or string/);
  t.match(out, /FAIL  timeout\s+read\(\) still pending \d+ ms after the device stopped answering \(timeoutMs 500\)/);
  t.match(out, /FAIL  dropped transport\s+.*none within/);
  t.match(out, /FAIL  close\s+after close\(\) the driver still holds 1 × Timeout/);
  t.match(out, /pass  read/, 'what works still passes');
  t.notMatch(out, /\n\s+at /, 'no stack trace');
});

t.test('a driver that is not there exits 2 with one line', async (t) => {
  const { code, out } = await kit({ driver: 'acme-nothing', sim: 'true', options: 'fixtures/vendor-example/options.yaml' });
  t.equal(code, 2);
  t.match(out, /unknown driver 'acme-nothing'/);
});
