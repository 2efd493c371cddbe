// The worker thread behind loadManifestInWorker (load-manifest-in-worker.ts): loads the manifest
// and answers with plain data. Everything loading needs (YAML, schemas, validators, the unit
// library) lives in this thread's heap, which is gone once it exits.
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { ConfigError, PolegateError } from './errors.js';
import { loadManifest } from './load-manifest.js';
import type { ManifestData, WorkerReply } from './load-manifest-in-worker.js';
import { builtinDrivers } from '../drivers/builtin.js';
import { isDriverPath, packageDriverFile } from './resolve-driver.js';

const { file, env } = workerData as { file: string; env: NodeJS.ProcessEnv };

function driverRef(driver: string, manifestDir: string): ManifestData['devices'][number]['driver'] {
  if (isDriverPath(driver)) return { module: path.resolve(manifestDir, driver) };
  if (Object.hasOwn(builtinDrivers, driver)) return { builtin: driver };
  return { module: packageDriverFile(driver, manifestDir)! };
}

async function answer(): Promise<WorkerReply> {
  try {
    const loaded = await loadManifest(file, { env });
    const data: ManifestData = {
      ...loaded,
      devices: loaded.devices.map(({ factory: _runtime, ...device }) => ({
        ...device,
        // Functions do not cross threads: the main thread finds the driver again by this reference.
        driver: driverRef(device.config.driver, path.dirname(loaded.file)),
      })),
    };
    return { loaded: data };
  } catch (err) {
    if (err instanceof ConfigError) return { issues: err.issues };
    if (err instanceof PolegateError) return { failure: { message: err.message, code: err.code, exitCode: err.exitCode } };
    return { crash: { message: (err as Error).message ?? String(err), stack: (err as Error).stack } };
  }
}

parentPort!.postMessage(await answer());
