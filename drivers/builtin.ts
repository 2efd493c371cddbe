// The drivers that ship with polegate, by their `driver:` name in the manifest.
import type { DriverFactory } from './sdk/types.js';
import modbus from './modbus/index.js';

export const builtinDrivers: Record<string, DriverFactory<any>> = {
  [modbus.kind]: modbus,
};
