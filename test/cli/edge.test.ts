// `polegate edge` as an operator runs it: exit codes, one-line errors, and a clean stop on SIGTERM.
import t from 'tap';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { missingService } from '../helpers/services.js';
import { clearRetained, record } from '../helpers/mqtt-recorder.js';
import { waitFor } from '../helpers/wait.js';

const CLI = join(import.meta.dirname, '../../cli/polegate.ts');
const BROKER = 'mqtt://127.0.0.1:1883';

function polegate(args: string[], cwd: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, POLE_SECRET: 'hunter2-secret' } });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (c: Buffer) => (out.stdout += c));
  child.stderr.on('data', (c: Buffer) => (out.stderr += c));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out, exit };
}

t.test('without --config it says what to pass and exits 2', async (t) => {
  const run = polegate(['edge'], t.testdir());
  t.equal(await run.exit, 2);
  t.match(run.out.stderr, /polegate edge needs --config FILE/);
  t.notMatch(run.out.stderr, /\n\s+at /, 'no stack');
});

t.test('a manifest that does not exist exits 2 with one line', async (t) => {
  const run = polegate(['edge', '--config', 'nowhere.yaml'], t.testdir());
  t.equal(await run.exit, 2);
  t.match(run.out.stderr, /nowhere\.yaml/);
  t.notMatch(run.out.stderr, /\n\s+at /, 'no stack');
});

const skip = await missingService('mosquitto');

t.test('runs a pole until SIGTERM, then marks it offline and exits 0', { skip }, async (t) => {
  const id = randomBytes(4).toString('hex');
  const root = `test-${id}/v1`;
  const pole = `pole-${id}`;
  const dir = t.testdir({
    'pole.yaml': [
      `pole: { id: ${pole} }`,
      `uplink: { url: "${BROKER}", topicRoot: ${root}, password: "\${POLE_SECRET}" }`,
      'devices:',
      // Nothing listens on this port: the device stays offline and the agent keeps running.
      '  - { id: gas-1, driver: modbus, host: 127.0.0.1, port: 1, unitId: 1, profile: gas-detector, pollMs: 200 }',
      '',
    ].join('\n'),
  });
  const rec = await record(BROKER, root);
  t.teardown(() => rec.close());
  t.teardown(() => clearRetained(BROKER, root, pole));
  const run = polegate(['edge', '--config', 'pole.yaml'], dir);
  t.teardown(() => (run.child.exitCode === null ? run.child.kill('SIGKILL') : undefined));
  await waitFor('state online', () => rec.of('state').some((m) => m.payload.state === 'online'), 20_000);
  await waitFor('the unreachable device reported offline', () => rec.of('event').some((m) => m.payload.event.type === 'device-offline'), 20_000);
  run.child.kill('SIGTERM');
  t.equal(await run.exit, 0, 'a clean exit');
  await waitFor('state offline', () => rec.of('state').some((m) => m.payload.state === 'offline'), 5000);
  t.match(run.out.stdout, /"msg":"uplink connected"/, 'pino logs on stdout');
  t.notMatch(run.out.stdout + run.out.stderr, /hunter2-secret/, 'the secret is never logged');
  t.match(run.out.stdout, /"msg":"edge agent stopped"/);
});

t.test('bin/polegate runs the agent itself (exec, no launcher) with its memory settings, without serial code', async (t) => {
  const bin = join(import.meta.dirname, '../../bin/polegate');
  const dir = t.testdir({
    'pole.yaml': [
      'pole: { id: pole-mem-check }',
      // Nothing listens on either port: the agent keeps retrying, which is all this test needs.
      'uplink: { url: "mqtt://127.0.0.1:1" }',
      'devices:',
      '  - { id: gas-1, driver: modbus, host: 127.0.0.1, port: 1, unitId: 1, profile: gas-detector, pollMs: 1000 }',
      '',
    ].join('\n'),
  });
  const child = spawn(bin, ['edge', '--config', 'pole.yaml'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c));
  child.stderr.on('data', (c: Buffer) => (err += c));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => (child.exitCode === null ? child.kill('SIGKILL') : undefined));
  await waitFor('the agent to start', () => out.includes('edge agent starting'), 20_000);
  const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
  t.match(cmdline[0]!, /node$/, 'the spawned process is node itself: the shell exec-ed it');
  t.ok(cmdline.includes('--no-opt') && cmdline.includes('--no-sparkplug'), 'V8 without its optimizing compilers');
  t.notOk(cmdline.includes('--lite-mode') || cmdline.includes('--no-expose-wasm'), 'but with WebAssembly, which fetch() needs');
  t.notMatch(out + err, /Warning: disabling flag/, 'and without V8 warning about it');
  t.ok(cmdline.includes('--max-semi-space-size=1'), 'small young generation');
  // A pole without a serial bus never loads serialport, nor modbus-serial (which would load it).
  t.notMatch(readFileSync(`/proc/${child.pid}/maps`, 'utf8'), /serialport|bindings-cpp/, 'no serialport binding mapped');
  t.ok(readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0').includes('MALLOC_ARENA_MAX=2'), 'two malloc arenas');
  child.kill('SIGTERM');
  t.equal(await exit, 0, 'SIGTERM reaches the agent directly and it exits cleanly');
});
