// The full schema of one device entry: the common keys (id, driver, pollMs) plus the options its
// driver declares, with no other keys. Used by the loader and by the published JSON Schema.
import { Type, type TObject, type TSchema } from '@sinclair/typebox';
import { DeviceCommon } from './manifest-schema.js';
import type { DriverFactory } from '../drivers/sdk/types.js';

const COMMON_KEYS = new Set(Object.keys(DeviceCommon.properties));

function isObjectSchema(schema: TSchema): schema is TObject {
  return schema.type === 'object' && typeof schema.properties === 'object';
}

const cache = new WeakMap<DriverFactory<any>, TSchema>();

/** DeviceCommon ∪ the driver's options; undefined when the options schema is not an object schema. */
export function deviceSchema(factory: DriverFactory<any>): TSchema | undefined {
  if (!isObjectSchema(factory.optionsSchema)) return undefined;
  let schema = cache.get(factory);
  if (!schema) {
    schema = Type.Object({ ...DeviceCommon.properties, ...factory.optionsSchema.properties }, { additionalProperties: false });
    cache.set(factory, schema);
  }
  return schema;
}

/** The device's keys that belong to its driver (all but id, driver, pollMs). */
export function driverOptions(device: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(device).filter(([key]) => !COMMON_KEYS.has(key)));
}
