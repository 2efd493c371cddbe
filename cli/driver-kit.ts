// The driver conformance kit behind `polegate driver test` (cli/driver-test.ts registers it): opens a
// driver, built-in or a vendor's, against its simulator and checks what the agent relies on. The
// device's TCP endpoint (`host` + `port`, or an `endpoint` URL) is routed through a relay the kit
// controls (fixtures/tcp-proxy.ts), so that it can make the device stop answering, drop the
// connection or garble the answers, on real sockets. Every check passes or fails with a reason.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, PolegateError } from '../config/errors.js';
import { loadManifest } from '../config/load-manifest.js';
import { isDriverPath } from '../config/resolve-driver.js';
import type { Driver, DriverContext, DriverEvent, Sample } from '../drivers/sdk/index.js';
import { BusTransports } from '../edge-agent/bus-transports.js';
import { freePort } from '../fixtures/free-port.js';
import { startTcpProxy, type TcpProxy } from '../fixtures/tcp-proxy.js';

export interface KitOptions {
  /** A built-in kind, a module path or an installed package name. */
  driver: string;
  /** Shell command that starts the device's simulator; it gets POLEGATE_SIM_PORT in its environment. */
  sim?: string;
  /** YAML with the device's options (the keys of a manifest's device entry beside id and driver). */
  optionsFile?: string;
  cwd: string;
}

export interface CheckResult {
  check: string;
  outcome: 'pass' | 'fail' | 'skip';
  reason: string;
}

class Failure extends Error {}

const QUALITIES = new Set(['good', 'uncertain', 'bad']);
const METRIC_TYPES = new Set(['number', 'boolean', 'string']);
const DAY_MS = 86_400_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Settles with the promise's outcome, or 'pending' after `ms`; never rejects. */
async function within<T>(ms: number, running: Promise<T>): Promise<{ value: T } | { error: Error } | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'pending'>((resolve) => (timer = setTimeout(() => resolve('pending'), ms)));
  try {
    return await Promise.race([running.then((value) => ({ value }), (err: unknown) => ({ error: err instanceof Error ? err : new Error(String(err)) })), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The simulator, started by shell command; ready once it has printed its first line. */
async function startSim(command: string, env: NodeJS.ProcessEnv, cwd: string): Promise<ChildProcess> {
  const child = spawn(command, { shell: true, cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk;
      if (output.includes('\n')) resolve();
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    child.once('exit', (code) => reject(new Failure(`the simulator exited (code ${code}) before it was ready: ${output.trim().split('\n').slice(-3).join(' / ') || 'no output'}`)));
  });
  const outcome = await within(90_000, ready);
  if (outcome === 'pending') throw new Failure(`the simulator printed nothing within 90 s (it is ready when it prints its first line): ${command}`);
  if ('error' in outcome) throw outcome.error;
  return child;
}

function stopSim(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {
    child.kill('SIGTERM');
  }
  return within(5000, exited).then((outcome) => {
    if (outcome === 'pending') process.kill(-child.pid!, 'SIGKILL');
  });
}

/** The device's TCP endpoint in its options, and the options with it replaced by the relay's. */
function tcpTarget(options: Record<string, unknown>): { host: string; port: number; through: (proxy: TcpProxy) => Record<string, unknown> } | undefined {
  if (typeof options.host === 'string' && typeof options.port === 'number') {
    return { host: options.host, port: options.port, through: (proxy) => ({ ...options, host: proxy.host, port: proxy.port }) };
  }
  const url = typeof options.endpoint === 'string' ? /^([a-z.+-]+:\/\/)([^/:]+):(\d+)(.*)$/i.exec(options.endpoint) : null;
  if (url) return { host: url[2]!, port: Number(url[3]), through: (proxy) => ({ ...options, endpoint: `${url[1]}${proxy.host}:${proxy.port}${url[4]}` }) };
  return undefined;
}

/** The device's options, checked and resolved by the same loader as a manifest's device entry. */
async function loadOptions(opts: KitOptions, port: number) {
  const optionsFile = opts.optionsFile ? path.resolve(opts.cwd, opts.optionsFile) : undefined;
  // The port goes in as text, not as a ${…} variable: a variable's value is always a string.
  const text = optionsFile ? readFileSync(optionsFile, 'utf8').replaceAll('${POLEGATE_SIM_PORT}', String(port)) : '';
  // A manifest of one device beside the options file, so that its relative paths and package names
  // resolve from there as they would from a manifest.
  const dir = optionsFile ? path.dirname(optionsFile) : opts.cwd;
  // On the command line a file that exists is a path even without ./ in front.
  const asPath = isDriverPath(opts.driver) || existsSync(path.resolve(opts.cwd, opts.driver));
  const driver = asPath ? path.resolve(opts.cwd, opts.driver) : opts.driver;
  const manifest = path.join(dir, `.polegate-driver-test-${process.pid}.yaml`);
  const body = text.split('\n').filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#')).map((line) => `    ${line}`).join('\n');
  writeFileSync(manifest, `pole: { id: driver-kit }\nuplink: { url: "mqtt://127.0.0.1:1" }\ndevices:\n  - id: dut\n    driver: ${JSON.stringify(driver)}\n${body}\n`);
  try {
    const loaded = await loadManifest(manifest);
    return loaded.devices[0]!;
  } catch (err) {
    if (err instanceof ConfigError) {
      const where = optionsFile ? path.relative(opts.cwd, optionsFile) : 'the driver';
      throw new PolegateError(err.issues.map((i) => `${where}: ${i.message}`).join('\n'), 'CONFIG_INVALID', 2);
    }
    throw err;
  } finally {
    rmSync(manifest, { force: true });
  }
}

function checkSamples(samples: unknown, metrics: Set<string>, now: number): Sample[] {
  if (!Array.isArray(samples)) throw new Failure(`read() resolved with ${JSON.stringify(samples)}, not an array of samples`);
  for (const s of samples as Sample[]) {
    const name = JSON.stringify(s?.metric);
    if (!metrics.has(s?.metric)) throw new Failure(`sample of metric ${name} that describe() does not list (${[...metrics].join(', ')})`);
    if (!QUALITIES.has(s.quality)) throw new Failure(`sample ${name}: quality ${JSON.stringify(s.quality)} is not good, uncertain or bad`);
    if (typeof s.ts !== 'number' || Math.abs(s.ts - now) > DAY_MS) throw new Failure(`sample ${name}: ts ${JSON.stringify(s.ts)} is not epoch milliseconds near now (${now})`);
    if (typeof s.unit !== 'string') throw new Failure(`sample ${name}: unit must be a string (empty for none)`);
    if (s.value === null && s.quality !== 'bad') throw new Failure(`sample ${name}: value null with quality ${s.quality}; a sample without a value is bad`);
    if (s.value !== null && !['number', 'boolean', 'string'].includes(typeof s.value)) throw new Failure(`sample ${name}: value ${JSON.stringify(s.value)} is not a number, boolean or string`);
  }
  return samples as Sample[];
}

/** Handles of the process by kind (sockets, timers, …), for the close check. */
function resources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

function extra(now: Map<string, number>, before: Map<string, number>): string[] {
  return [...now].filter(([kind, n]) => n > (before.get(kind) ?? 0)).map(([kind, n]) => `${n - (before.get(kind) ?? 0)} × ${kind}`);
}

export async function runKit(opts: KitOptions, onResult: (result: CheckResult) => void = () => undefined): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const crashes: Error[] = [];
  const onCrash = (err: unknown) => crashes.push(err instanceof Error ? err : new Error(String(err)));
  const record = (check: string, outcome: CheckResult['outcome'], reason: string) => {
    const result = { check, outcome, reason };
    results.push(result);
    onResult(result);
  };
  /** One check: passes with the reason `run` returns, fails with what it throws or with a crash of the driver meanwhile. */
  const check = async (name: string, run: () => Promise<string>): Promise<boolean> => {
    const seen = crashes.length;
    let outcome: CheckResult['outcome'] = 'pass';
    let reason: string;
    try {
      reason = await run();
    } catch (err) {
      outcome = 'fail';
      reason = (err as Error).message;
    }
    if (crashes.length > seen) {
      outcome = 'fail';
      reason = `the driver threw outside a call (in the agent: a device fault): ${crashes[seen]!.message}; ${reason}`;
    }
    record(name, outcome, reason);
    return outcome === 'pass';
  };

  const port = await freePort();
  const env = { ...process.env, POLEGATE_SIM_PORT: String(port) };
  const stateDir = mkdtempSync(path.join(tmpdir(), 'polegate-driver-test-'));
  let sim: ChildProcess | undefined;
  let proxy: TcpProxy | undefined;
  let driver: Driver | undefined;
  let buses: BusTransports | undefined;
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  try {
    const device = await loadOptions(opts, port);
    record('load', 'pass', `driver ${device.factory.kind} from ${opts.driver}; options valid`);
    if (opts.sim) {
      const command = opts.sim;
      if (!(await check('simulator', async () => ((sim = await startSim(command, env, opts.cwd)), `started: ${command}`)))) return results;
    }
    const timeoutMs = Number(device.options.timeoutMs ?? 1000);
    const target = tcpTarget(device.options);
    let options = device.options;
    if (target) {
      proxy = await startTcpProxy({ target });
      options = target.through(proxy);
    }
    const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    const clock = { now: () => Date.now() };
    // The transports the agent shares between its devices (a serial server over TCP), as in polegate edge.
    buses = new BusTransports([], { clock, log, onEvent: () => undefined });
    const context: DriverContext = {
      deviceId: 'dut',
      log,
      clock,
      timeoutMs,
      stateDir,
      transport: buses.forDevice('dut', undefined, { timeoutMs, retries: 0 }),
    };
    const baseline = resources();
    if (!(await check('create', async () => {
      driver = device.factory.create(options, context);
      const missing = ['open', 'describe', 'read', 'close'].filter((m) => typeof (driver as unknown as Record<string, unknown>)?.[m] !== 'function');
      if (missing.length) throw new Failure(`create() returned a driver without ${missing.join(', ')}`);
      return 'create() returned a driver';
    }))) return results;
    const dut = driver!;
    if (!(await check('open', async () => {
      const t0 = Date.now();
      const opened = await within(30_000, dut.open());
      if (opened === 'pending') throw new Failure('open() did not settle within 30 s');
      if ('error' in opened) throw new Failure(`open() failed against the simulator: ${opened.error.message}`);
      return `opened in ${Date.now() - t0} ms`;
    }))) return results;
    let metrics = new Set<string>();
    await check('describe', async () => {
      const description = dut.describe();
      if (!Array.isArray(description?.metrics) || description.metrics.length === 0) throw new Failure('describe() must list at least one metric ({ name, unit, type })');
      // Known before the checks below, so that a flaw here does not fail every later check too.
      metrics = new Set(description.metrics.map((m) => m.name));
      for (const m of description.metrics) {
        if (typeof m.name !== 'string' || m.name === '') throw new Failure(`a metric without a name: ${JSON.stringify(m)}`);
        if (!METRIC_TYPES.has(m.type)) throw new Failure(`metric ${m.name}: type ${JSON.stringify(m.type)} is not number, boolean or string`);
        if (typeof m.unit !== 'string') throw new Failure(`metric ${m.name}: unit must be a string (empty for none)`);
      }
      if (metrics.size !== description.metrics.length) throw new Failure('two metrics share a name');
      return `${metrics.size} metrics: ${description.metrics.map((m) => `${m.name} (${m.type}${m.unit ? `, ${m.unit}` : ''})`).join(', ')}`;
    });
    const readGood = async (what: string, withinMs: number): Promise<string> => {
      const t0 = Date.now();
      let last = 'no read yet';
      while (Date.now() - t0 < withinMs) {
        const read = await within(timeoutMs * 2 + 1000, dut.read());
        if (read === 'pending') last = `read() did not settle within ${timeoutMs * 2 + 1000} ms`;
        else if ('error' in read) last = `read() failed: ${read.error.message}`;
        else {
          const samples = checkSamples(read.value, metrics, Date.now());
          if (samples.some((s) => s.quality === 'good')) return `${what} after ${Date.now() - t0} ms`;
          last = `no good sample: ${samples.map((s) => `${s.metric} ${s.quality}${s.reason ? ` (${s.reason})` : ''}`).join(', ')}`;
        }
        await sleep(200);
      }
      throw new Failure(`${what}: none within ${withinMs} ms; last: ${last}`);
    };
    await check('read', async () => {
      const read = await within(timeoutMs * 2 + 1000, dut.read());
      if (read === 'pending') throw new Failure(`read() did not settle within ${timeoutMs * 2 + 1000} ms (timeoutMs ${timeoutMs})`);
      if ('error' in read) throw new Failure(`read() failed against the simulator: ${read.error.message}`);
      const samples = checkSamples(read.value, metrics, Date.now());
      if (!samples.some((s) => s.quality === 'good')) throw new Failure(`no good sample from the simulator: ${samples.map((s) => `${s.metric} ${s.quality}`).join(', ') || 'none'}`);
      return `${samples.length} samples: ${samples.map((s) => `${s.metric}=${JSON.stringify(s.value)} ${s.quality}`).join(', ')}`;
    });
    const noTcp = 'the options name no TCP endpoint (host + port, or an endpoint URL) for the kit to interrupt';
    if (!proxy) {
      for (const name of ['timeout', 'dropped transport', 'malformed frames']) record(name, 'skip', noTcp);
    } else {
      const relay = proxy;
      await check('timeout', async () => {
        relay.answers('swallow');
        const t0 = Date.now();
        const limit = timeoutMs * 2 + 500;
        const running = dut.read();
        const read = await within(limit, running);
        relay.answers('pass');
        if (read === 'pending') {
          await within(10_000, running);
          throw new Failure(`read() still pending ${limit} ms after the device stopped answering (timeoutMs ${timeoutMs}): a read must fail or give bad samples within its timeout`);
        }
        const took = Date.now() - t0;
        if ('error' in read) return `a device that does not answer: read() rejected after ${took} ms (${read.error.message})`;
        const samples = checkSamples(read.value, metrics, Date.now());
        if (samples.some((s) => s.quality === 'good')) throw new Failure('read() returned good samples though the device did not answer (cached values are not readings)');
        return `a device that does not answer: bad samples after ${took} ms`;
      });
      await check('dropped transport', async () => {
        relay.cut();
        await within(timeoutMs * 2 + 1000, dut.read());
        relay.restore();
        return readGood('read good again once the link is back, with the same driver', 20_000);
      });
      await check('malformed frames', async () => {
        relay.answers('garble');
        const outcomes: string[] = [];
        for (let i = 0; i < 3; i++) {
          const read = await within(timeoutMs * 2 + 1000, dut.read());
          if (read === 'pending') outcomes.push('pending');
          else if ('error' in read) outcomes.push('rejected');
          else {
            const samples = checkSamples(read.value, metrics, Date.now());
            if (samples.some((s) => s.quality === 'good')) {
              relay.answers('pass');
              throw new Failure(`read() returned good samples from garbled answers: ${samples.filter((s) => s.quality === 'good').map((s) => `${s.metric}=${JSON.stringify(s.value)}`).join(', ')}`);
            }
            outcomes.push('bad samples');
          }
        }
        relay.answers('pass');
        if (outcomes.includes('pending')) throw new Failure(`a read of garbled answers did not settle within ${timeoutMs * 2 + 1000} ms`);
        return `garbled answers: ${outcomes.join(', ')}; ${await readGood('good again once the answers are clean', 20_000)}`;
      });
    }
    if (typeof dut.subscribe !== 'function') {
      record('subscribe', 'skip', 'the driver has no subscribe() (not a push source)');
    } else {
      await check('subscribe', async () => {
        const events: DriverEvent[] = [];
        dut.subscribe!((event) => events.push(event));
        const t0 = Date.now();
        while (events.length === 0 && Date.now() - t0 < 15_000) await sleep(100);
        if (events.length === 0) throw new Failure('subscribe(): no event within 15 s of the simulator');
        const bad = events.find((e) => typeof e.type !== 'string' || typeof e.ts !== 'number');
        if (bad) throw new Failure(`an event without a type string and a ts number: ${JSON.stringify(bad)}`);
        return `${events.length} event(s), the first ${events[0]!.type} after ${Date.now() - t0} ms`;
      });
    }
    await check('close', async () => {
      const closed = await within(Math.max(5000, timeoutMs * 2), dut.close());
      driver = undefined;
      if (closed === 'pending') throw new Failure('close() did not settle within 5 s');
      if ('error' in closed) throw new Failure(`close() failed: ${closed.error.message}`);
      // The shared transports are the agent's, not the driver's: closed before counting what is left.
      await buses?.close();
      let left: string[] = [];
      for (let waited = 0; waited <= 3000; waited += 100) {
        left = extra(resources(), baseline);
        if (left.length === 0) return 'closed; no socket, timer or other handle left behind';
        await sleep(100);
      }
      throw new Failure(`after close() the driver still holds ${left.join(', ')}: these keep a process alive (close sockets, clear timers)`);
    });
    return results;
  } catch (err) {
    if (err instanceof Failure) {
      record('simulator', 'fail', err.message);
      return results;
    }
    throw err;
  } finally {
    if (driver) await within(5000, driver.close());
    await buses?.close();
    await proxy?.close();
    if (sim) await stopSim(sim);
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    rmSync(stateDir, { recursive: true, force: true });
  }
}
