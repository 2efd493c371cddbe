// `defineDriver`: what a vendor's module exports as default. At run time it only checks the shape,
// so a mistake is reported when the module loads, naming what is missing; in TypeScript it types
// `create`'s options and context and accepts a plain JSON Schema object as well as a TypeBox one.
import type { DriverFactory, DriverRuntime } from './types.js';

export interface DriverDefinition<Options> extends DriverRuntime<Options> {
  /** JSON Schema (an object schema) of the device options, beside id, driver and pollMs. */
  optionsSchema: object;
}

export function defineDriver<Options = Record<string, unknown>>(definition: DriverDefinition<Options>): DriverFactory<Options> {
  const missing = [
    typeof definition?.kind === 'string' && definition.kind !== '' ? undefined : 'kind (a non-empty string)',
    typeof definition?.create === 'function' ? undefined : 'create (a function)',
    typeof definition?.optionsSchema === 'object' && definition.optionsSchema !== null ? undefined : 'optionsSchema (a JSON Schema object)',
  ].filter((m) => m !== undefined);
  if (missing.length > 0) throw new TypeError(`defineDriver: missing ${missing.join(', ')}`);
  return definition as DriverFactory<Options>;
}
