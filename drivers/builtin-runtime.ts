// The built-in drivers as the agent runs them, by their `driver:` name, each loaded on first use: a
// pole loads only the drivers its manifest names, and none of their options schemas (those are for
// config/, drivers/builtin.ts). A kind here and in builtin.ts is the same driver (a test checks it).
import type { DriverRuntime } from './sdk/types.js';

const modules: Record<string, () => Promise<{ default: DriverRuntime<any> }>> = {
  modbus: () => import('./modbus/index.js'),
  onvif: () => import('./onvif/index.js'),
  'serial-line': () => import('./serial-line/index.js'),
  opcua: () => import('./opcua/index.js'),
};

export const builtinRuntimeKinds = Object.keys(modules);

/** The runtime of a built-in driver; undefined for a kind polegate does not ship. */
export async function loadBuiltinRuntime(kind: string): Promise<DriverRuntime<any> | undefined> {
  const load = Object.hasOwn(modules, kind) ? modules[kind] : undefined;
  return load ? (await load()).default : undefined;
}
