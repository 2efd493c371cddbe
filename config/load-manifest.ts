// Loading a pole manifest: YAML with positions, the schema, each device against its driver's
// options, Modbus profiles resolved, cross-field checks; every issue reported at once.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import type { ConfigIssue } from './errors.js';
import { DeviceCommon, Manifest, type DeviceConfig } from './manifest-schema.js';
import type { LoadedDevice, LoadedManifest } from './loaded.js';
import { builtinDrivers } from '../drivers/builtin.js';
import { checkSchema } from './check-schema.js';
import { deviceSchema, driverOptions } from './device-schema.js';
import { manifestIssues, type DeviceMetrics } from './manifest-checks.js';
import { resolveModbusDevice } from './modbus-device.js';
import { resolveSerialLineDevice } from './serial-line-device.js';
import { resolveDriver } from './resolve-driver.js';
import { loadYaml } from './load-yaml.js';
import { isEntry, type Entry, type LoadOptions, type YamlSource } from './yaml-source.js';
import { unitTable } from './units.js';
import { deviceUnits } from './device-units.js';


export async function loadManifest(file: string, opts: LoadOptions = {}): Promise<LoadedManifest> {
  const devices: LoadedDevice[] = [];
  const source = await loadYaml(file, 'manifest', Manifest, opts.env, (source) => devicesAndChecks(file, source, opts.env ?? process.env, devices));
  return {
    file: path.resolve(file),
    manifest: source.value as Manifest,
    devices,
    configHash: createHash('sha256').update(source.interpolatedText).digest('hex'),
    units: unitTable(devices.flatMap((d) => [...[...(d.profile?.metrics ?? []), ...(d.lineProfile?.metrics ?? [])].map((m) => m.unit ?? ''), ...(d.units ?? [])])),
  };
}

/** Each device against its driver (found here, into `devices`), Modbus profiles resolved, then the cross-field checks. */
async function devicesAndChecks(file: string, source: YamlSource, env: NodeJS.ProcessEnv, devices: LoadedDevice[]): Promise<ConfigIssue[]> {
  const manifest = source.value;
  const issues: ConfigIssue[] = [];
  const metrics: DeviceMetrics = new Map();
  const unitsOnLinks = new Map<string, { index: number; id: unknown }>();
  const busIds = isEntry(manifest) && Array.isArray(manifest.buses) ? manifest.buses.filter(isEntry).map((b) => b.id).filter((id): id is string => typeof id === 'string') : [];
  const deviceList = isEntry(manifest) && Array.isArray(manifest.devices) ? manifest.devices : [];

  for (const [index, device] of deviceList.entries()) {
    if (!isEntry(device)) continue;
    if (typeof device.id === 'string') metrics.set(device.id, undefined);
    if (typeof device.driver !== 'string' || device.driver === '') continue;
    const resolved = await resolveDriver(device.driver, path.dirname(path.resolve(file)));
    if ('problem' in resolved) {
      issues.push(source.issueAt(['devices', index, 'driver'], resolved.problem));
      continue;
    }
    issues.push(...deviceIssues(resolved.factory.optionsSchema, deviceSchema(resolved.factory), device, index, source));
    const options = driverOptions(device);
    const stated = deviceUnits(device, index, source);
    issues.push(...stated.issues);
    const loaded: LoadedDevice = { config: device as DeviceConfig, factory: resolved.factory, options, ...(stated.units.length ? { units: stated.units } : {}) };
    if (resolved.factory === builtinDrivers.modbus) {
      const modbus = await resolveModbusDevice(device, index, { source, shownDir: path.dirname(file), busIds, env, unitsOnLinks });
      issues.push(...modbus.issues);
      if (modbus.profile) {
        loaded.profile = modbus.profile;
        options.profile = modbus.profile;
        if (typeof device.id === 'string') metrics.set(device.id, modbus.profile.metrics.map((m) => m.name));
      }
    }
    if (resolved.factory === builtinDrivers['serial-line']) {
      const line = await resolveSerialLineDevice(device, index, { source, shownDir: path.dirname(file), busIds, env });
      issues.push(...line.issues);
      if (line.profile) {
        loaded.lineProfile = line.profile;
        options.profile = line.profile;
        if (typeof device.id === 'string') metrics.set(device.id, line.profile.metrics.map((m) => m.name));
      }
    }
    devices.push(loaded);
  }
  issues.push(...manifestIssues(manifest, metrics, source));
  return issues;
}

/** A device against its driver's options; a vendor schema that is not an object is checked beside the common keys. */
function deviceIssues(optionsSchema: TSchema, merged: TSchema | undefined, device: Entry, index: number, source: YamlSource): ConfigIssue[] {
  const at = ['devices', index];
  try {
    if (merged) return checkSchema(merged, device, source, at);
    return [...checkSchema(DeviceCommon, device, source, at), ...checkSchema(optionsSchema, driverOptions(device), source, at)];
  } catch (err) {
    return [source.issueAt([...at, 'driver'], `the driver's options schema cannot be used: ${(err as Error).message}; this is a bug in the driver`)];
  }
}
