// The JSON Schemas published in config/schema/ for editors, generated from the TypeBox schemas.
// The manifest's device entries get each built-in driver's options through if/then on `driver`.
import { Type, type TSchema } from '@sinclair/typebox';
import { builtinDrivers } from '../drivers/builtin.js';
import { CloudConfig } from './cloud-schema.js';
import { deviceSchema } from './device-schema.js';
import { DeviceCommon, Manifest } from './manifest-schema.js';
import { Profile, SerialLineProfile } from './profile-schema.js';

const DRAFT = 'http://json-schema.org/draft-07/schema#';

function manifestSchema(): TSchema {
  const drivers = Object.values(builtinDrivers).sort((a, b) => a.kind.localeCompare(b.kind));
  const device = Type.Object(DeviceCommon.properties, {
    description: `A device: id, driver, pollMs, and the options of its driver. Built-in drivers: ${drivers.map((d) => d.kind).join(', ')}; or a vendor driver module path (./vendor/x.js).`,
    allOf: drivers.map((d) => ({
      if: { properties: { driver: { const: d.kind } }, required: ['driver'] },
      then: deviceSchema(d) ?? d.optionsSchema,
    })),
  });
  return { ...Manifest, properties: { ...Manifest.properties, devices: Type.Array(device, { minItems: 1 }) } };
}

/** File name in config/schema/ → schema document. */
export function publishedSchemas(): Record<string, object> {
  const withDraft = (schema: TSchema) => ({ $schema: DRAFT, ...schema });
  return {
    'manifest.schema.json': withDraft(manifestSchema()),
    'profile.schema.json': withDraft(Profile),
    'serial-line-profile.schema.json': withDraft(SerialLineProfile),
    'cloud.schema.json': withDraft(CloudConfig),
  };
}

/** The text a published schema file holds. */
export function schemaText(schema: object): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
