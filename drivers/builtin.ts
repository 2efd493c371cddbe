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
import serialLine from './serial-line/index.js';
import { SerialLineOptions } from './serial-line/options.js';
import opcua from './opcua/index.js';
import { OpcuaOptions } from './opcua/options.js';

export const builtinDrivers: Record<string, DriverFactory<any>> = {
  [modbus.kind]: { ...modbus, optionsSchema: ModbusOptions },
  [onvif.kind]: { ...onvif, optionsSchema: OnvifOptions },
  [serialLine.kind]: { ...serialLine, optionsSchema: SerialLineOptions },
  [opcua.kind]: { ...opcua, optionsSchema: OpcuaOptions },
};

// The YAML files are not compiled: from source they sit beside this file, from dist/drivers they
// are two levels up in the package (package.json `files` ships drivers/profiles).
const PROFILES_DIR = [new URL('./profiles/', import.meta.url), new URL('../../drivers/profiles/', import.meta.url)]
  .map((url) => fileURLToPath(url))
  .find((dir) => existsSync(dir)) ?? fileURLToPath(new URL('./profiles/', import.meta.url));

/** Profiles of each kind: Modbus at the top of drivers/profiles/, the others in a folder named for their kind. */
export type BuiltinProfileKind = 'modbus' | 'serial-line';
const profilesDir = (kind: BuiltinProfileKind) => (kind === 'modbus' ? PROFILES_DIR : `${PROFILES_DIR}${kind}/`);

/** Names of the built-in profiles of a kind (Modbus: gas-detector, pressure-transmitter, water-level, …). */
export function builtinProfileNames(kind: BuiltinProfileKind = 'modbus'): string[] {
  return readdirSync(profilesDir(kind)).filter((file) => file.endsWith('.yaml')).map((file) => file.slice(0, -'.yaml'.length)).sort();
}

/** Path of a built-in profile's YAML file, or undefined when there is no such profile. */
export function builtinProfilePath(name: string, kind: BuiltinProfileKind = 'modbus'): string | undefined {
  return builtinProfileNames(kind).includes(name) ? `${profilesDir(kind)}${name}.yaml` : undefined;
}
