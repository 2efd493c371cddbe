// `polegate sim serial-line` as a process: over TCP it answers its request with its line; on a pty
// path it streams; injected faults show on the wire; bad arguments are one clear line, exit 2.
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { SerialPort } from 'serialport';
import { root, polegate } from '../helpers/polegate-cli.js';
import { startPtyPair } from '../peers/pty-pair.js';
import { missingService } from '../helpers/services.js';
import { waitFor } from '../helpers/wait.js';

const skipPty = await missingService('socat');

/** Starts the simulator; resolves with its first line of output once it is listening. */
async function sim(t: Test, args: string[]): Promise<{ child: ChildProcess; banner: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/polegate.ts', 'sim', 'serial-line', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.teardown(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  const banner = await waitFor('the simulator listening', () => out.includes('\n') && out, 20_000);
  return { child, banner };
}

t.test('over TCP: answers MEAS? with its line, with the faults asked for', async (t) => {
  const { banner } = await sim(t, ['--instrument', 'radar-level', '--port', '0', '--noise']);
  const port = Number(/127\.0\.0\.1:(\d+)/.exec(banner)?.[1]);
  t.match(banner, /serial-line simulator of radar-level on 127\.0\.0\.1:\d+, injecting noise; Ctrl-C stops/);
  const socket = net.connect({ host: '127.0.0.1', port });
  t.teardown(() => socket.destroy());
  let received = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write('MEAS?\r\n');
  await waitFor('an answer', () => received.includes('\r\n'), 5000);
  t.equal(received[0], 0x00, 'noise first');
  t.match(received.toString('latin1'), /L=1\.234 T=21\.5 OK\r\n$/);
});

t.test('on a pty path: the weather station streams', { skip: skipPty }, async (t) => {
  const pty = await startPtyPair(t.testdir());
  t.teardown(() => pty.close());
  await sim(t, ['--instrument', 'weather-station', '--path', pty.a, '--stream-ms', '50']);
  const port = new SerialPort({ path: pty.b, baudRate: 9600 });
  t.teardown(() => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())));
  let text = '';
  port.on('data', (d: Buffer) => (text += d.toString('latin1')));
  await waitFor('two lines', () => text.split('\r\n').length > 2, 5000);
  t.match(text, /0R0,Dm=236D,Sm=3\.4M,Ta=18\.2C,Ua=61\.3P,Pa=1013\.2H,Rc=0\.25M\r\n/);
});

t.test('bad arguments: one clear line, exit 2', async (t) => {
  const both = await polegate(['sim', 'serial-line', '--instrument', 'radar-level']);
  t.equal(both.code, 2);
  t.match(both.stderr, /give either --path \(a serial port or pty end\) or --port/);
  const kind = await polegate(['sim', 'serial-line', '--instrument', 'radar', '--port', '0']);
  t.equal(kind.code, 2);
  t.match(kind.stderr, /instrument must be one of radar-level, weather-station/);
});
