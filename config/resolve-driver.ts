// Finding the DriverFactory a device's `driver:` names: a built-in kind, or a vendor's module path
// (`./vendor/acme-radar.js`, relative to the manifest's folder, or absolute), or a vendor's npm
// package installed where the manifest is (`acme-radar-driver`), loaded with dynamic import.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
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

const PACKAGE_NAME = /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/**
 * The module file of a vendor driver named by its npm package, resolved from the manifest's folder
 * as Node resolves a dependency there (node_modules upwards, the package's `exports` or `main`);
 * undefined when no such package is installed.
 */
export function packageDriverFile(name: string, manifestDir: string): string | undefined {
  if (!PACKAGE_NAME.test(name)) return undefined;
  try {
    const file = createRequire(path.join(manifestDir, 'manifest')).resolve(name);
    // A name of Node's own modules (`fs`) resolves to itself, not to a file.
    return path.isAbsolute(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

export function resolveDriver(driver: string, manifestDir: string): Promise<DriverResolution> {
  if (!isDriverPath(driver)) {
    const factory = builtinDrivers[driver];
    if (factory) return Promise.resolve({ factory });
    const file = packageDriverFile(driver, manifestDir);
    if (file) return loadOnce(driver, file);
    const known = Object.keys(builtinDrivers).sort();
    return Promise.resolve({
      problem: `unknown driver '${driver}' (built-in: ${known.join(', ')}; a vendor driver is a module path such as ./vendor/acme-radar.js, or an npm package installed beside the manifest)${didYouMean(driver, known)}`,
    });
  }
  return loadOnce(driver, path.resolve(referencedFile(driver, manifestDir)));
}

function loadOnce(driver: string, file: string): Promise<DriverResolution> {
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
