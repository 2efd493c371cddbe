// loadManifest in a worker thread, as `polegate edge` loads its manifest. Loading needs YAML, the
// TypeBox schemas, ajv's compiled validators and the UCUM unit tables; in the agent's own heap they
// would stay for the life of the process (about 14 MiB of a 60 MiB budget, docs/performance.md).
// In a worker they go away with its isolate; the agent gets plain data back, finds each driver's
// runtime again by kind or module path, and converts units with the table computed in the worker.
// Same answers as loadManifest, errors included (every issue at once, same text).
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { loadBuiltinRuntime } from '../drivers/builtin-runtime.js';
import type { DriverRuntime } from '../drivers/sdk/types.js';
import { ConfigError, PolegateError, type ConfigIssue } from './errors.js';
import type { LoadedDevice, LoadedManifest } from './loaded.js';
import type { LoadOptions } from './yaml-source.js';

/** Where a device's driver is found again: a built-in kind, or the absolute path of a vendor module. */
export type DriverRef = { builtin: string } | { module: string };

/** A LoadedManifest as plain data, which can cross threads: drivers by reference instead of runtime. */
export interface ManifestData extends Omit<LoadedManifest, 'devices'> {
  devices: Array<Omit<LoadedDevice, 'factory'> & { driver: DriverRef }>;
}

export type WorkerReply =
  | { loaded: ManifestData }
  | { issues: ConfigIssue[] }
  | { failure: { message: string; code: string; exitCode: 1 | 2 } }
  | { crash: { message: string; stack?: string } };

const FROM_SOURCE = import.meta.url.endsWith('.ts');

/**
 * From dist/ the worker is the compiled manifest-worker.js. From source (tsx, tap) it is the .ts
 * beside this file, and a worker thread does not inherit the parent's TypeScript loader on Node 20:
 * it registers tsx (a devDependency, present wherever the source runs) before importing it.
 */
function startWorker(workerData: object): Worker {
  if (!FROM_SOURCE) return new Worker(new URL('./manifest-worker.js', import.meta.url), { workerData });
  const entry = new URL('./manifest-worker.ts', import.meta.url).href;
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`, { eval: true, workerData });
}

function ask(file: string, env: NodeJS.ProcessEnv): Promise<WorkerReply> {
  const worker = startWorker({ file, env: { ...env } });
  return new Promise<WorkerReply>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the manifest loader thread exited (code ${code}) without an answer`)));
  }).finally(() => worker.terminate());
}

async function runtimeOf(ref: DriverRef): Promise<DriverRuntime<any>> {
  if ('builtin' in ref) {
    const runtime = await loadBuiltinRuntime(ref.builtin);
    if (!runtime) throw new Error(`built-in driver ${ref.builtin} has no runtime module`);
    return runtime;
  }
  try {
    return ((await import(pathToFileURL(ref.module).href)) as { default: DriverRuntime<any> }).default;
  } catch (err) {
    // It loaded in the worker (the manifest validated), so it fails only here: a fault of its
    // devices, retried like a failed open, not the end of the agent and its other devices.
    const failure = new PolegateError(`driver module ${ref.module} failed to load: ${(err as Error).message.split('\n')[0]}`, 'DRIVER_UNLOADABLE', 1);
    return { kind: ref.module, create: () => { throw failure; } };
  }
}

export async function loadManifestInWorker(file: string, opts: LoadOptions = {}): Promise<LoadedManifest> {
  const reply = await ask(file, opts.env ?? process.env);
  if ('issues' in reply) throw new ConfigError(reply.issues);
  if ('failure' in reply) throw new PolegateError(reply.failure.message, reply.failure.code, reply.failure.exitCode);
  if ('crash' in reply) throw Object.assign(new Error(reply.crash.message), { stack: reply.crash.stack });
  const { devices, ...rest } = reply.loaded;
  return {
    ...rest,
    devices: await Promise.all(devices.map(async ({ driver, ...device }) => ({ ...device, factory: await runtimeOf(driver) }))),
  };
}
