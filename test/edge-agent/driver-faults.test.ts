// A vendor's driver runs in `polegate edge` (bin/polegate, with the agent's V8 flags) as it runs in
// Node: fetch() works, and what a driver throws in a timer or leaves rejected (or a module that fails
// to load in the agent though it validated) is a fault of that
// device, logged, counted as a failed poll and followed by a fresh driver; the process goes on.
import t from 'tap';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { missingService } from '../helpers/services.js';
import { clearRetained, record } from '../helpers/mqtt-recorder.js';
import { waitFor } from '../helpers/wait.js';

const BIN = join(import.meta.dirname, '../../bin/polegate');
const BROKER = 'mqtt://127.0.0.1:1883';

const schema = `{ type: 'object', properties: {} }`;
const drivers = {
  // Reads a JSON value over HTTP with Node's fetch (undici, which needs WebAssembly).
  'fetcher.mjs': `export default {
  kind: 'fetcher', optionsSchema: { type: 'object', properties: { url: { type: 'string' } } },
  create: (options, context) => ({
    async open() {},
    describe: () => ({ metrics: [{ name: 'level', unit: 'm', type: 'number' }] }),
    async read() {
      const body = await (await fetch(options.url)).json();
      return [{ metric: 'level', value: body.level, unit: 'm', ts: context.clock.now(), quality: 'good' }];
    },
    async close() {},
  }),
};`,
  // Opens, then throws from a timer of its own shortly after: every opened driver faults once.
  'timer-thrower.mjs': `let opens = 0;
export default {
  kind: 'timer-thrower', optionsSchema: ${schema},
  create: (options, context) => ({
    async open() { const n = ++opens; setTimeout(() => { throw new Error('timer blew up #' + n); }, 50); },
    describe: () => ({ metrics: [{ name: 'n', unit: '1', type: 'number' }] }),
    async read() { return [{ metric: 'n', value: opens, unit: '1', ts: context.clock.now(), quality: 'good' }]; },
    async close() {},
  }),
};`,
  // Its first open rejects; then every read leaves a promise rejected that nobody awaits.
  'rejecter.mjs': `let opens = 0;
export default {
  kind: 'rejecter', optionsSchema: ${schema},
  create: (options, context) => ({
    async open() { if (++opens === 1) throw new Error('first open refused'); },
    describe: () => ({ metrics: [{ name: 'n', unit: '1', type: 'number' }] }),
    async read() {
      Promise.reject(new Error('forgotten promise rejected'));
      return [{ metric: 'n', value: opens, unit: '1', ts: context.clock.now(), quality: 'good' }];
    },
    async close() {},
  }),
};`,
  // Loads in the manifest's worker thread (so the manifest validates), throws when the agent imports it.
  'main-thread-thrower.mjs': `import { isMainThread } from 'node:worker_threads';
if (isMainThread) throw new Error('needs a licence dongle');
export default { kind: 'dongle', optionsSchema: ${schema}, create: () => ({}) };`,
};

const skip = await missingService('mosquitto');

t.test('fetch, a throw in a timer and a forgotten rejection do not end polegate edge', { skip }, async (t) => {
  const http = createServer((_req, res) => res.end(JSON.stringify({ level: 1.25 })));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  t.teardown(() => http.close());
  const port = (http.address() as { port: number }).port;
  const id = randomBytes(4).toString('hex');
  const root = `test-${id}/v1`;
  const pole = `pole-faults-${id}`;
  const dir = t.testdir({
    ...drivers,
    'pole.yaml': [
      `pole: { id: ${pole} }`,
      `uplink: { url: "${BROKER}", topicRoot: ${root} }`,
      'buffer: { path: ./outbox.db }',
      'devices:',
      `  - { id: web-1, driver: ./fetcher.mjs, url: "http://127.0.0.1:${port}/level", pollMs: 200 }`,
      '  - { id: timer-1, driver: ./timer-thrower.mjs, pollMs: 200 }',
      '  - { id: reject-1, driver: ./rejecter.mjs, pollMs: 200 }',
      '  - { id: dongle-1, driver: ./main-thread-thrower.mjs, pollMs: 200 }',
      '',
    ].join('\n'),
  });
  const rec = await record(BROKER, root);
  t.teardown(() => rec.close());
  t.teardown(() => clearRetained(BROKER, root, pole));
  const child = spawn(BIN, ['edge', '--config', 'pole.yaml'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c));
  child.stderr.on('data', (c: Buffer) => (out += c));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => (child.exitCode === null ? child.kill('SIGKILL') : undefined));

  const readings = (device: string) => rec.of('telemetry').flatMap((m) => m.payload.readings).filter((r: { device: string }) => r.device === device);
  await waitFor('a reading fetched over HTTP', () => readings('web-1').some((r: { value: unknown }) => r.value === 1.25), 30_000);
  await waitFor('two timer faults logged', () => (out.match(/"device":"timer-1".*driver threw outside a call/g) ?? []).length >= 2, 20_000);
  await waitFor('a forgotten rejection logged', () => /"device":"reject-1".*driver left a promise rejected/.test(out), 20_000);
  t.match(out, /timer blew up #1/, 'the log line says what the driver threw');
  await waitFor('the module that throws at import: its device offline with the reason', () => rec.of('event').some((m) => m.payload.event.type === 'device-offline' && m.payload.event.device === 'dongle-1' && /failed to load: needs a licence dongle/.test(JSON.stringify(m.payload.event))), 20_000);
  // Each fault drops the driver and the next poll opens a new one, which reads again.
  await waitFor('timer-1 read by a reopened driver', () => readings('timer-1').some((r: { value: number }) => r.value >= 2), 20_000);
  await waitFor('reject-1 read after its refused first open', () => readings('reject-1').length > 0, 20_000);
  const webBefore = readings('web-1').length;
  await waitFor('web-1 still polled beside the faulting devices', () => readings('web-1').length > webBefore + 3, 20_000);
  t.equal(child.exitCode, null, 'the agent is still running');
  t.notMatch(out, /WebAssembly is not defined/);
  child.kill('SIGTERM');
  t.equal(await exit, 0, 'and stops cleanly');
});
