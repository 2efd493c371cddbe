// The Modbus device profile: a device described with no code (DESIGN.md, "A device profile").
import { Type, type Static } from '@sinclair/typebox';

export const REGISTER_TABLES = ['holding', 'input', 'coil', 'discrete'] as const;
export const VALUE_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'int64', 'uint64', 'float64', 'bool', 'string'] as const;
/** Byte orders in the field's notation: letters name the bytes of the big-endian value. */
export const BYTE_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA', 'ABCDEFGH', 'GHEFCDAB', 'BADCFEHG', 'HGFEDCBA'] as const;

export const ProfileMetric = Type.Object({
  name: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,63}$', description: 'Metric name, unique in the profile; lower case.' }),
  table: Type.Union(REGISTER_TABLES.map((t) => Type.Literal(t)), { description: 'holding, input, coil or discrete.' }),
  address: Type.Integer({ minimum: 0, maximum: 65535, description: '0-based PDU address.' }),
  type: Type.Optional(Type.Union(VALUE_TYPES.map((t) => Type.Literal(t)), { description: 'Value type; bool for coil/discrete, uint16 otherwise by default.' })),
  order: Type.Optional(Type.Union(BYTE_ORDERS.map((t) => Type.Literal(t)), { description: 'Byte order of multi-register values; ABCD (big-endian) by default.' })),
  bit: Type.Optional(Type.Integer({ minimum: 0, maximum: 15, description: 'One bit of a 16-bit register, as a bool.' })),
  length: Type.Optional(Type.Integer({ minimum: 1, maximum: 125, description: 'For type string: length in registers.' })),
  scale: Type.Optional(Type.Number({ description: 'Engineering value = raw × scale + offset.' })),
  offset: Type.Optional(Type.Number()),
  unit: Type.Optional(Type.String({ description: 'UCUM code (kPa, m, Cel, m3/h, V, [psi], …) or a field unit: %LEL, ppm, %vol, %RH.' })),
  writable: Type.Optional(Type.Boolean({ description: 'May be written by the write command (holding and coil only).' })),
}, { additionalProperties: false });

export const Profile = Type.Object({
  name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$' }),
  manufacturer: Type.Optional(Type.String()),
  model: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  maxRegistersPerRead: Type.Optional(Type.Integer({ minimum: 1, maximum: 125, description: 'Largest read request the device accepts, in registers (125 at most).' })),
  maxGapRegisters: Type.Optional(Type.Integer({ minimum: 0, maximum: 124, description: 'Unused addresses one read may span to join two metrics (registers; bits on coil and discrete tables); 0 (adjacent only) by default. Only for devices that answer reads of unmapped addresses.' })),
  metrics: Type.Array(ProfileMetric, { minItems: 1 }),
}, { additionalProperties: false, $id: 'https://polegate.dev/schema/profile.json', title: 'polegate Modbus device profile' });

export type ProfileMetric = Static<typeof ProfileMetric>;
export type Profile = Static<typeof Profile>;
export type RegisterTable = (typeof REGISTER_TABLES)[number];
export type ValueType = (typeof VALUE_TYPES)[number];
export type ByteOrder = (typeof BYTE_ORDERS)[number];
