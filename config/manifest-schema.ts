// The pole manifest: the field engineer's file (docs/manifest.md). Keys are the contract.
import { Type, type Static } from '@sinclair/typebox';
import { POLE_ID_PATTERN } from '../contract/schemas.js';
import { Size, Port, Millis } from './shared-schema.js';

const BrokerUrl = Type.String({ pattern: '^(mqtt|mqtts|ws|wss|tcp|ssl)://', description: 'Broker URL: mqtt://, mqtts://, ws:// or wss://.' });

export const DeviceCommon = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$', description: 'Device id, unique on the pole.' }),
  driver: Type.String({ minLength: 1, description: 'Built-in driver kind (modbus) or a path to a vendor driver module.' }),
  pollMs: Type.Optional(Millis),
}, { additionalProperties: true });

export const Manifest = Type.Object({
  pole: Type.Object({
    id: Type.String({ pattern: POLE_ID_PATTERN, description: 'Pole id: lower case letters, digits and -, 3 to 64 characters.' }),
    componentCode: Type.Optional(Type.String({ pattern: '^[0-9]{16}$', description: 'City component code, 16 digits.' })),
    location: Type.Optional(Type.Object({
      lat: Type.Number({ minimum: -90, maximum: 90 }),
      lon: Type.Number({ minimum: -180, maximum: 180 }),
      grid: Type.Optional(Type.String()),
    }, { additionalProperties: false })),
  }, { additionalProperties: false }),
  uplink: Type.Object({
    url: Type.Optional(BrokerUrl),
    urls: Type.Optional(Type.Array(BrokerUrl, { minItems: 1, description: 'Brokers to fail over across, in order.' })),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
    topicRoot: Type.Optional(Type.String({ minLength: 1, description: 'Topic root, city/v1 by default.' })),
    keepaliveS: Type.Optional(Type.Integer({ minimum: 5, maximum: 3600 })),
    tls: Type.Optional(Type.Object({
      ca: Type.Optional(Type.String()),
      cert: Type.Optional(Type.String()),
      key: Type.Optional(Type.String()),
    }, { additionalProperties: false })),
  }, { additionalProperties: false }),
  buffer: Type.Optional(Type.Object({
    path: Type.String({ minLength: 1 }),
    maxBytes: Type.Optional(Size),
    snapshots: Type.Optional(Type.Object({
      maxBytes: Type.Optional(Size),
      maxAgeMs: Type.Optional(Millis),
      maxSnapshotBytes: Type.Optional(Size),
    }, { additionalProperties: false, description: 'Camera snapshots waiting for the cloud: a budget of their own, beside the outbox.' })),
  }, { additionalProperties: false })),
  status: Type.Optional(Type.Object({
    port: Port,
    host: Type.Optional(Type.String({ description: 'Address to listen on: 127.0.0.1 by default (the pole itself); the address of the local Ethernet port for a field laptop. Never the uplink side.' })),
    unhealthyAfterMs: Type.Optional(Type.Integer({ minimum: 1, description: '/health answers 503 once the uplink or a bus has been down this long (300000, 5 minutes, by default).' })),
  }, { additionalProperties: false })),
  buses: Type.Optional(Type.Array(Type.Object({
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' }),
    port: Type.String({ minLength: 1, description: 'Serial device path, e.g. /dev/ttyS1.' }),
    baudRate: Type.Optional(Type.Integer({ minimum: 300, maximum: 921600 })),
    parity: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('even'), Type.Literal('odd')])),
    dataBits: Type.Optional(Type.Union([Type.Literal(7), Type.Literal(8)])),
    stopBits: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2)])),
  }, { additionalProperties: false }))),
  devices: Type.Array(DeviceCommon, { minItems: 1 }),
  rules: Type.Optional(Type.Array(Type.Object({
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' }),
    metric: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*\\.[a-z][a-z0-9_-]*$', description: 'device-id.metric-name' }),
    above: Type.Optional(Type.Number()),
    below: Type.Optional(Type.Number()),
    clearBelow: Type.Optional(Type.Number()),
    clearAbove: Type.Optional(Type.Number()),
    forMs: Type.Optional(Type.Integer({ minimum: 0 })),
    dropBy: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    riseBy: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    withinMs: Type.Optional(Millis),
    staleMs: Type.Optional(Type.Integer({ minimum: 1000, description: 'A stale rule: raised when no good reading of the metric came for this long, cleared by the next good one. A rule kind of its own.' })),
    severity: Type.Union([Type.Literal('critical'), Type.Literal('major'), Type.Literal('minor'), Type.Literal('warning')]),
    snapshot: Type.Optional(Type.String()),
    snapshotWaitMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, description: 'How long a raised alarm waits for its snapshot before it leaves without one (1500 by default).' })),
  }, { additionalProperties: false }))),
  report: Type.Optional(Type.Object({
    deadband: Type.Optional(Type.Object({
      default: Type.Union([Type.Number({ minimum: 0 }), Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?%$' })], { description: 'Absolute change, or a percentage such as 0.5%.' }),
    }, { additionalProperties: Type.Union([Type.Number({ minimum: 0 }), Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?%$' })]) })),
    heartbeatMs: Type.Optional(Type.Integer({ minimum: 1, description: 'Unchanged values are still reported at least this often (300000, 5 minutes, by default).' })),
  }, { additionalProperties: false })),
}, { additionalProperties: false, $id: 'https://polegate.dev/schema/manifest.json', title: 'polegate pole manifest' });

export type Manifest = Static<typeof Manifest>;
export type DeviceConfig = Static<typeof DeviceCommon> & Record<string, unknown>;
export type BusConfig = NonNullable<Manifest['buses']>[number];
export type RuleConfig = NonNullable<Manifest['rules']>[number];
