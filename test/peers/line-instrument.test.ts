// The serial-line driver against an instrument that is not our code: a pyserial script on a socat pty
// pair, through the bus arbiter: its lines read as values, a line of the wrong format is a bad sample.
import t from 'tap';
import pino from 'pino';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import serialLine from '../../drivers/serial-line/index.js';
import { loadLineProfile } from '../../config/load-profile.js';
import { builtinProfilePath } from '../../drivers/builtin.js';
import { BusArbiter } from '../../edge-agent/bus-arbiter.js';
import { interFrameGapMs, openSerialLink } from '../../edge-agent/serial-link.js';
import { missingService } from '../helpers/services.js';
import { waitFor } from '../helpers/wait.js';
import { startPtyPair } from './pty-pair.js';

const skip = (await missingService('socat')) ?? (existsSync('/usr/lib/python3/dist-packages/serial') ? undefined : 'python3-serial is not installed (apt-get install python3-serial)');
const SCRIPT = fileURLToPath(new URL('./line-instrument.py', import.meta.url));
const log = pino({ level: 'silent' });

t.test('a pyserial instrument on a pty: good lines read, a line of another format is bad', { skip }, async (t) => {
  const pty = await startPtyPair(t.testdir());
  t.teardown(() => pty.close());
  const lines = ['L=2.345 T=19.0 OK', 'L=-0.010 T=-1.5 LOW', 'L=abc T=?? OK'];
  const child = spawn('/usr/bin/python3', [SCRIPT, '--port', pty.a, '--lines', JSON.stringify(lines)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.teardown(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (out += d));
  await waitFor('the instrument serving', () => out.includes('serving'), 15_000);

  const config = { id: 'rs485-1', port: pty.b, baudRate: 9600 };
  const arbiter = new BusArbiter({ id: config.id, where: pty.b, gapMs: interFrameGapMs(config), open: () => openSerialLink(config), log });
  t.teardown(() => arbiter.close());
  const profile = await loadLineProfile(builtinProfilePath('radar-level', 'serial-line')!);
  const timing = { timeoutMs: 500, retries: 0 };
  const d = serialLine.create({ profile, bus: 'rs485-1' }, { deviceId: 'radar-1', log, clock: { now: Date.now }, timeoutMs: 500, transport: { bus: arbiter.handle('radar-1', timing), tcpBus: () => { throw new Error('no TCP'); } } });
  t.teardown(() => d.close());
  await d.open();
  const read = async () => Object.fromEntries((await d.read()).map((s) => [s.metric, [s.value, s.quality]]));
  t.same(await read(), { level: [2.345, 'good'], temp: [19, 'good'], status: ['OK', 'good'] });
  t.same(await read(), { level: [-0.01, 'good'], temp: [-1.5, 'good'], status: ['LOW', 'good'] });
  const bad = await d.read();
  t.ok(bad.every((s) => s.quality === 'bad' && /received line "L=abc T=\?\? OK" does not match/.test(s.reason ?? '')), 'the malformed line: every metric bad, with the line');
  t.same(await read(), { level: [2.345, 'good'], temp: [19, 'good'], status: ['OK', 'good'] }, 'and good again');
});
