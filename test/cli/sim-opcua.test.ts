// `polegate sim opcua`: the OPC UA test server as a command, read by the opcua driver.
import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import opcua from '../../drivers/opcua/index.js';
import { freePort } from '../../fixtures/free-port.js';
import { waitFor } from '../helpers/wait.js';

const CLI = join(import.meta.dirname, '../../cli/polegate.ts');
const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

t.test('serves the pump station until SIGTERM', async (t) => {
  const port = await freePort();
  const dir = t.testdir();
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'sim', 'opcua', '--port', String(port), '--pki', join(dir, 'pki')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c));
  child.stderr.on('data', (c: Buffer) => (out += c));
  const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.teardown(() => (child.exitCode === null ? child.kill('SIGKILL') : undefined));
  await waitFor('the server to listen', () => out.includes(`listening on opc.tcp://127.0.0.1:${port}/UA/pump`), 60_000);
  const driver = opcua.create({ endpoint: `opc.tcp://127.0.0.1:${port}/UA/pump`, nodes: [{ name: 'tag', nodeId: 'ns=1;s=Tag20', type: 'float' }] }, { deviceId: 'plc', log, clock: { now: Date.now }, timeoutMs: 2000, stateDir: dir });
  await driver.open();
  t.match(await driver.read(), [{ metric: 'tag', quality: 'good', value: Number }]);
  await driver.close();
  child.kill('SIGTERM');
  t.equal(await exit, 0);
});
