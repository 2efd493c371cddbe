// Device profiles: a device described with no code. A Modbus profile maps registers to metrics; a
// serial-line profile (`kind: serial-line`) maps the named groups of one regex over an ASCII line.
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
  kind: Type.Optional(Type.Literal('modbus', { description: 'modbus (the default) or serial-line.' })),
  name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$' }),
  manufacturer: Type.Optional(Type.String()),
  model: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  maxRegistersPerRead: Type.Optional(Type.Integer({ minimum: 1, maximum: 125, description: 'Largest read request the device accepts, in registers (125 at most).' })),
  maxGapRegisters: Type.Optional(Type.Integer({ minimum: 0, maximum: 124, description: 'Unused addresses one read may span to join two metrics (registers; bits on coil and discrete tables); 0 (adjacent only) by default. Only for devices that answer reads of unmapped addresses.' })),
  metrics: Type.Array(ProfileMetric, { minItems: 1 }),
}, { additionalProperties: false, $id: 'https://polegate.dev/schema/profile.json', title: 'polegate Modbus device profile' });

export const LINE_VALUE_TYPES = ['float', 'int', 'bool', 'string'] as const;

export const LineMetric = Type.Object({
  name: Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$', description: 'Metric name: the named group of line: that holds its value (lower case, digits, _).' }),
  type: Type.Union(LINE_VALUE_TYPES.map((t) => Type.Literal(t)), { description: 'float, int, bool (1/0, true/false, on/off, yes/no) or string.' }),
  unit: Type.Optional(Type.String({ description: 'UCUM code (m, Cel, kPa, m/s, …) or a field unit: %LEL, ppm, %vol, %RH.' })),
  scale: Type.Optional(Type.Number({ description: 'Engineering value = parsed value × scale + offset (float and int).' })),
  offset: Type.Optional(Type.Number()),
}, { additionalProperties: false });

export const SerialLineProfile = Type.Object({
  kind: Type.Literal('serial-line'),
  name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$' }),
  manufacturer: Type.Optional(Type.String()),
  model: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  request: Type.Optional(Type.String({ minLength: 1, description: 'Sent each poll, e.g. "MEAS?\\r\\n"; omitted: the instrument streams lines and the latest is the poll\'s value.' })),
  terminator: Type.Optional(Type.String({ minLength: 1, maxLength: 4, description: 'What ends a line; "\\r\\n" by default.' })),
  line: Type.String({ minLength: 1, description: 'One regular expression (JavaScript syntax) with a named group per metric: (?<level>-?[0-9.]+).' }),
  maxLineBytes: Type.Optional(Type.Integer({ minimum: 8, maximum: 65536, description: 'Longest line accepted, 1024 bytes by default; longer is garbage.' })),
  metrics: Type.Array(LineMetric, { minItems: 1 }),
}, { additionalProperties: false, $id: 'https://polegate.dev/schema/serial-line-profile.json', title: 'polegate serial-line device profile' });

export type ProfileMetric = Static<typeof ProfileMetric>;
export type LineMetric = Static<typeof LineMetric>;
export type SerialLineProfile = Static<typeof SerialLineProfile>;
export type LineValueType = (typeof LINE_VALUE_TYPES)[number];
export type Profile = Static<typeof Profile>;
export type RegisterTable = (typeof REGISTER_TABLES)[number];
export type ValueType = (typeof VALUE_TYPES)[number];
export type ByteOrder = (typeof BYTE_ORDERS)[number];
