// Device options of the built-in `modbus` driver, beside the common keys (id, driver, pollMs).
import { Type, type Static } from '@sinclair/typebox';
import type { Profile } from '../sdk/index.js';

export const ModbusOptions = Type.Object({
  unitId: Type.Integer({ minimum: 0, maximum: 255, description: 'Modbus unit (slave) id; 1-247 on a serial bus.' }),
  profile: Type.String({ minLength: 1, description: 'Built-in profile name (gas-detector, …) or a path to a profile YAML, relative to the manifest.' }),
  bus: Type.Optional(Type.String({ description: 'Id of a bus under buses: (Modbus RTU over serial).' })),
  host: Type.Optional(Type.String({ minLength: 1, description: 'Host of a Modbus TCP device or serial server.' })),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'TCP port, 502 by default.' })),
  framing: Type.Optional(Type.Union([Type.Literal('tcp'), Type.Literal('rtu-over-tcp')], { description: 'With host: Modbus TCP (default) or RTU frames tunnelled over TCP.' })),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 60000, description: 'Per-transaction timeout, 1000 by default.' })),
  retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
});

/** Options as the manifest states them. */
export type ModbusManifestOptions = Static<typeof ModbusOptions>;
/** Options as the driver receives them: the profile resolved and parsed by config/. */
export type ModbusDriverOptions = Omit<ModbusManifestOptions, 'profile'> & { profile: Profile };
