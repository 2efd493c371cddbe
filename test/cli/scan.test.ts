import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadManifest } from '../../config/load-manifest.js';
import { startModbusSim } from '../../fixtures/modbus-sim.js';
import { loadBuiltinProfile } from '../../fixtures/profiles.js';
import { missingService } from '../helpers/services.js';
import { waitFor } from '../helpers/wait.js';
import { startPymodbus } from '../peers/pymodbus.js';
import { startPtyPair } from '../peers/pty-pair.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const noPymodbus = await missingService('pymodbus');
const noPtyBus = (await missingService('socat')) ?? noPymodbus;

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  done: Promise<number | null>;
}

function polegate(args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/polegate.ts', ...args], { cwd: root, env: { PATH: process.env.PATH } });
  const run: Run = { child, stdout: '', stderr: '', done: new Promise((resolve) => child.on('close', (code) => resolve(code))) };
  child.stdout!.on('data', (d: Buffer) => (run.stdout += d));
  child.stderr!.on('data', (d: Buffer) => (run.stderr += d));
  return run;
}

async function finished(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = polegate(args);
  const code = await run.done;
  return { code, stdout: run.stdout, stderr: run.stderr };
}

t.test('TCP: the simulator that answers only unit 3 is found, and its snippet makes a valid manifest', async (t) => {
  const sim = await startModbusSim({ profile: await loadBuiltinProfile('gas-detector'), unitId: 3 });
  t.teardown(() => sim.close());
  const run = await finished(['scan', 'modbus', '--host', '127.0.0.1', '--port', String(sim.port), '--units', '1-5', '--timeout', '150']);
  t.equal(run.code, 0, run.stderr);
  t.equal(run.stdout, [
    '# 1 unit found; replace CHANGE-ME with a built-in profile name or a profile file, and the ids with names',
    'devices:',
    `  - { id: unit-3, driver: modbus, host: 127.0.0.1, port: ${sim.port}, unitId: 3, profile: CHANGE-ME }   # holding 0 = 0`,
    '',
  ].join('\n'));
  t.match(run.stderr, /^scanning Modbus TCP 127\.0\.0\.1:\d+: 5 unit ids, 150 ms each/);
  t.match(run.stderr, 'found unit 3: holding 0 = 0');
  t.match(run.stderr, /100% unit 5, 1 found, ETA 0:00\n/, 'plain progress lines when stderr is not a terminal');

  const dir = t.testdir();
  const file = path.join(dir, 'pole.yaml');
  await writeFile(file, `pole: { id: scan-pole-001 }\nuplink: { url: mqtt://127.0.0.1:1 }\n${run.stdout.replaceAll('profile: CHANGE-ME', 'profile: gas-detector')}`);
  const loaded = await loadManifest(file);
  t.same(loaded.devices.map((d) => [d.config.id, d.options.unitId]), [['unit-3', 3]]);
});

t.test('TCP: pymodbus with several unit ids; gateway exceptions for absent units do not count', { skip: noPymodbus }, async (t) => {
  const server = await startPymodbus({ tcp: 0 }, { 1: { holding: [1234] }, 4: { holding: { at: 100, values: [7] } }, 9: { holding: [9] } });
  t.teardown(() => server.stop());
  const run = await finished(['scan', 'modbus', '--host', '127.0.0.1', '--port', String(server.port), '--units', '1-8', '--timeout', '500']);
  t.equal(run.code, 0, run.stderr);
  const devices = run.stdout.split('\n').filter((line) => line.startsWith('  - '));
  t.same(devices, [
    `  - { id: unit-1, driver: modbus, host: 127.0.0.1, port: ${server.port}, unitId: 1, profile: CHANGE-ME }   # holding 0 = 1234`,
    `  - { id: unit-4, driver: modbus, host: 127.0.0.1, port: ${server.port}, unitId: 4, profile: CHANGE-ME }   # Modbus exception 2 (illegal data address): a unit is there`,
  ], 'unit 9 is outside --units; 2, 3, 5-8 answered exception 11 from the gateway');
});

t.test('RTU: pymodbus with 2 units on a socat pty bus', { skip: noPtyBus }, async (t) => {
  const dir = t.testdir();
  const pty = await startPtyPair(dir);
  t.teardown(() => pty.close());
  const server = await startPymodbus({ rtu: pty.a, baud: 19200 }, { 2: { holding: [42] }, 7: { holding: { at: 100, values: [1] } } });
  t.teardown(() => server.stop());
  const run = await finished(['scan', 'modbus', '--port', pty.b, '--baud', '19200', '--units', '1-8', '--timeout', '150']);
  t.equal(run.code, 0, run.stderr);
  t.equal(run.stdout, [
    '# 2 units found; replace CHANGE-ME with a built-in profile name or a profile file, and the ids with names',
    'buses:',
    `  - { id: rs485-1, port: ${pty.b}, baudRate: 19200, parity: none, dataBits: 8, stopBits: 1 }`,
    'devices:',
    '  - { id: unit-2, driver: modbus, bus: rs485-1, unitId: 2, profile: CHANGE-ME }   # holding 0 = 42',
    '  - { id: unit-7, driver: modbus, bus: rs485-1, unitId: 7, profile: CHANGE-ME }   # Modbus exception 2 (illegal data address): a unit is there',
    '',
  ].join('\n'));
  t.match(run.stderr, `scanning ${pty.b} at 19200 baud, parity none: 8 unit ids, 150 ms each`);
});

t.test('Ctrl-C mid-scan prints the units found so far and exits 130', async (t) => {
  const sim = await startModbusSim({ profile: await loadBuiltinProfile('water-level'), unitId: 2 });
  t.teardown(() => sim.close());
  const run = polegate(['scan', 'modbus', '--host', '127.0.0.1', '--port', String(sim.port), '--units', '1-200', '--timeout', '200']);
  t.teardown(() => run.child.kill('SIGKILL'));
  await waitFor('unit 2 found', () => run.stderr.includes('found unit 2'));
  run.child.kill('SIGINT');
  const code = await run.done;
  t.equal(code, 130);
  t.match(run.stderr, /interrupted after \d+ of 200 probes; units found so far:\n$/);
  t.match(run.stdout, `  - { id: unit-2, driver: modbus, host: 127.0.0.1, port: ${sim.port}, unitId: 2, profile: CHANGE-ME }   # holding 0 = 0\n`);
});

t.test('bad arguments and missing ports: one line, exit 2', async (t) => {
  const none = await finished(['scan', 'modbus']);
  t.equal(none.code, 2);
  t.equal(none.stderr, 'polegate: polegate scan modbus needs --port PATH (a serial bus, e.g. /dev/ttyUSB0) or --host HOST (Modbus TCP)\n');
  const units = await finished(['scan', 'modbus', '--host', '127.0.0.1', '--units', '5-1']);
  t.equal(units.code, 2);
  t.match(units.stderr, "'5-1' is not a unit id or range");
  const missing = await finished(['scan', 'modbus', '--port', '/nonexistent/ttyUSB9', '--units', '1']);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /\npolegate: cannot open serial port \/nonexistent\/ttyUSB9: no such file; check the path\n$/);
});
