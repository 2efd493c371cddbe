// Finding the DriverFactory a device's `driver:` names: a built-in kind, or a vendor's module path
// (`./vendor/acme-radar.js`, relative to the manifest's folder, or absolute), loaded with dynamic import.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { builtinDrivers } from '../drivers/builtin.js';
import type { DriverFactory } from '../drivers/sdk/types.js';
import { didYouMean } from './suggest.js';
import { lookedFor, referencedFile } from './referenced-file.js';

export type DriverResolution = { factory: DriverFactory<any> } | { problem: string };

export function isDriverPath(driver: string): boolean {
  return driver.startsWith('./') || driver.startsWith('../') || driver.startsWith('/');
}

function isFactory(value: unknown): value is DriverFactory<any> {
  const f = value as Partial<DriverFactory> | null;
  return !!f && typeof f.kind === 'string' && typeof f.create === 'function' && typeof f.optionsSchema === 'object' && f.optionsSchema !== null;
}

const vendorModules = new Map<string, Promise<DriverResolution>>();

export function resolveDriver(driver: string, manifestDir: string): Promise<DriverResolution> {
  if (!isDriverPath(driver)) {
    const factory = builtinDrivers[driver];
    if (factory) return Promise.resolve({ factory });
    const known = Object.keys(builtinDrivers).sort();
    return Promise.resolve({
      problem: `unknown driver '${driver}' (built-in: ${known.join(', ')}; a vendor driver is a module path such as ./vendor/acme-radar.js)${didYouMean(driver, known)}`,
    });
  }
  const file = path.resolve(referencedFile(driver, manifestDir));
  let loading = vendorModules.get(file);
  if (!loading) {
    loading = loadVendorDriver(driver, file);
    vendorModules.set(file, loading);
  }
  return loading;
}

async function loadVendorDriver(driver: string, file: string): Promise<DriverResolution> {
  if (!existsSync(file)) return { problem: `driver module ${driver} not found (${lookedFor(driver, file)})` };
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    return { problem: `driver module ${driver} failed to load: ${(err as Error).message.split('\n')[0]}` };
  }
  if (!isFactory(module.default)) {
    return { problem: `driver module ${driver} must export a DriverFactory as default (kind, optionsSchema, create)` };
  }
  return { factory: module.default };
}
