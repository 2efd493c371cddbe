// `polegate sim onvif`: a camera for field tests, with its credentials printed; the driver reads it
// with them, its clock offset is what was asked for, and Ctrl-C stops it.
import t from 'tap';
import { spawn } from 'node:child_process';
import pino from 'pino';
import onvif from '../../drivers/onvif/index.js';
import { root } from '../helpers/polegate-cli.js';
import { waitFor } from '../helpers/wait.js';

t.test('prints where it is and its credentials, which open it', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/polegate.ts', 'sim', 'onvif', '--port', '0', '--clock-offset', '-3600'], { cwd: root, env: { PATH: process.env.PATH } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => child.kill('SIGKILL'));
  const [, port, password] = await waitFor('the banner', () => /at http:\/\/127\.0\.0\.1:(\d+)\/onvif\/device_service[\s\S]*password: (\S+)\n[\s\S]*Ctrl-C stops/.exec(out) ?? undefined, 20_000);
  t.match(out, `driver: onvif, host: 127.0.0.1, port: ${port}, username: admin, password: "\${CAM_PASSWORD}"`);
  const driver = onvif.create({ host: '127.0.0.1', port: Number(port), username: 'admin', password: password!, events: [] }, { deviceId: 'cam-1', log: pino({ level: 'silent' }), clock: { now: Date.now }, timeoutMs: 2000 });
  await driver.open();
  const [, offset] = await driver.read();
  t.equal(offset!.value, -3600);
  await driver.close();
  child.kill('SIGINT');
  t.equal(await exited, 0, 'Ctrl-C stops it');
});
