// Device options of the built-in `serial-line` driver, beside the common keys (id, driver, pollMs).
import { Type, type Static } from '@sinclair/typebox';
import type { SerialLineProfile } from '../sdk/index.js';

export const SerialLineOptions = Type.Object({
  profile: Type.String({ minLength: 1, description: 'Built-in serial-line profile (radar-level, weather-station) or a path to a profile YAML with kind: serial-line.' }),
  bus: Type.Optional(Type.String({ description: 'Id of a bus under buses: (the serial port, shared with Modbus RTU units).' })),
  host: Type.Optional(Type.String({ minLength: 1, description: 'Host of a serial server that tunnels the line over TCP.' })),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'TCP port of the serial server, 4001 by default.' })),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 60000, description: 'How long a poll waits for its line, 1000 by default.' })),
  retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, description: 'Further requests after no line or a line that does not match.' })),
});

/** Options as the manifest states them. */
export type SerialLineManifestOptions = Static<typeof SerialLineOptions>;
/** Options as the driver receives them: the profile resolved and parsed by config/. */
export type SerialLineDriverOptions = Omit<SerialLineManifestOptions, 'profile'> & { profile: SerialLineProfile };

export const DEFAULT_SERVER_PORT = 4001;
