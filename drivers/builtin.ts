// What ships with polegate, as config/ sees it: the drivers with their options schemas, by their
// `driver:` name in the manifest, and the Modbus device profiles in drivers/profiles/, by their file
// name. The agent finds a driver's runtime through builtin-runtime.ts instead, without the schemas.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DriverFactory } from './sdk/types.js';
import modbus from './modbus/index.js';
import { ModbusOptions } from './modbus/options.js';
import onvif from './onvif/index.js';
import { OnvifOptions } from './onvif/options.js';

export const builtinDrivers: Record<string, DriverFactory<any>> = {
  [modbus.kind]: { ...modbus, optionsSchema: ModbusOptions },
  [onvif.kind]: { ...onvif, optionsSchema: OnvifOptions },
};

// The YAML files are not compiled: from source they sit beside this file, from dist/drivers they
// are two levels up in the package (package.json `files` ships drivers/profiles).
const PROFILES_DIR = [new URL('./profiles/', import.meta.url), new URL('../../drivers/profiles/', import.meta.url)]
  .map((url) => fileURLToPath(url))
  .find((dir) => existsSync(dir)) ?? fileURLToPath(new URL('./profiles/', import.meta.url));

/** Names of the built-in Modbus profiles (gas-detector, pressure-transmitter, water-level, …). */
export function builtinProfileNames(): string[] {
  return readdirSync(PROFILES_DIR).filter((file) => file.endsWith('.yaml')).map((file) => file.slice(0, -'.yaml'.length)).sort();
}

/** Path of a built-in profile's YAML file, or undefined when there is no such profile. */
export function builtinProfilePath(name: string): string | undefined {
  return builtinProfileNames().includes(name) ? `${PROFILES_DIR}${name}.yaml` : undefined;
}
