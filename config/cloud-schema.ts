// The cloud ingest config (docs/manifest.md, "Cloud config"). Keys are the contract.
import { Type, type Static } from '@sinclair/typebox';
import { Port, Size } from './shared-schema.js';

/** What one MQTT connection may cost (docs/cloud.md, "Under hostile input"); on mqtt, mqtts and ws. */
const ConnectionLimits = {
  maxPacketBytes: Type.Optional(Type.Union(Size.anyOf, { description: 'Largest MQTT packet a client may declare; the socket is closed at its fixed header. Default 1088KiB (the 1 MiB publish limit plus headers).' })),
  connectTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'Milliseconds a client has from TCP accept to a successful login. Default 10000.' })),
  maxConnections: Type.Optional(Type.Integer({ minimum: 1, description: 'Open connections on this listener; more are refused. Default 10000.' })),
};

export const CloudConfig = Type.Object({
  topicRoot: Type.Optional(Type.String({ minLength: 1, description: 'city/v1 by default.' })),
  mqtt: Type.Optional(Type.Object({ host: Type.Optional(Type.String()), port: Port, ...ConnectionLimits }, { additionalProperties: false, description: 'Plain MQTT over TCP: only when configured.' })),
  mqtts: Type.Optional(Type.Object({
    host: Type.Optional(Type.String()),
    port: Port,
    cert: Type.String(),
    key: Type.String(),
    ca: Type.Optional(Type.String()),
    requireClientCert: Type.Optional(Type.Boolean()),
    ...ConnectionLimits,
  }, { additionalProperties: false })),
  ws: Type.Optional(Type.Object({ host: Type.Optional(Type.String()), port: Port, ...ConnectionLimits }, { additionalProperties: false })),
  http: Type.Optional(Type.Object({
    host: Type.Optional(Type.String()),
    port: Port,
    tls: Type.Optional(Type.Object({ cert: Type.String(), key: Type.String() }, { additionalProperties: false, description: 'Serve the API over HTTPS with this certificate and key (paths relative to this file).' })),
  }, { additionalProperties: false })),
  store: Type.Union([
    Type.Object({ kind: Type.Literal('sqlite'), path: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
    Type.Object({ kind: Type.Literal('postgres'), url: Type.String({ pattern: '^postgres(ql)?://' }) }, { additionalProperties: false }),
  ]),
  poles: Type.String({ minLength: 1, description: 'Path to the pole registry (poles.yaml), relative to this file.' }),
  users: Type.Optional(Type.Array(Type.Object({
    username: Type.String({ minLength: 1 }),
    passwordHash: Type.String({ pattern: '^scrypt\\$' }),
    role: Type.Union([Type.Literal('read'), Type.Literal('operate')]),
  }, { additionalProperties: false }))),
  ingest: Type.Optional(Type.Object({
    maxFutureMs: Type.Optional(Type.Integer({ minimum: 0, description: 'Readings dated further ahead of the cloud clock are dead-lettered. Default 300000 (5 minutes).' })),
  }, { additionalProperties: false })),
  logins: Type.Optional(Type.Object({
    baseDelayMs: Type.Optional(Type.Integer({ minimum: 0, description: 'Wait before the next login after a failure from the same address or for the same username, doubling per failure. Default 100.' })),
    maxDelayMs: Type.Optional(Type.Integer({ minimum: 0, description: 'Longest such wait. Default 5000.' })),
    maxConcurrent: Type.Optional(Type.Integer({ minimum: 1, description: 'Scrypt checks at once (each takes one libuv thread; UV_THREADPOOL_SIZE is 4 by default). Default 2.' })),
    maxPerAddress: Type.Optional(Type.Integer({ minimum: 1, description: 'Scrypt logins of one source address under way at once; more fail at once. Default 8; raise it for many poles behind one NAT address with scrypt hashes.' })),
  }, { additionalProperties: false, description: 'The login throttle (docs/cloud.md, "Under hostile input").' })),
  cluster: Type.Optional(Type.Object({
    id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'This node\'s name, unique in the cluster (docs/cloud.md, "Running a cluster").' }),
    redis: Type.String({ pattern: '^rediss?://', description: 'The Redis all nodes share: redis://[:PASSWORD@]HOST[:PORT][/DB].' }),
    prefix: Type.Optional(Type.String({ minLength: 1, description: 'Starts every Redis key and pub/sub channel of this cluster, so that clusters can share one Redis. Default "polegate:".' })),
    heartbeatMs: Type.Optional(Type.Integer({ minimum: 100, description: 'How often a node renews its heartbeat in Redis and looks for dead nodes. Default 2000.' })),
    nodeTimeoutMs: Type.Optional(Type.Integer({ minimum: 300, description: 'A node whose heartbeat is this old is dead: its poles\' wills are published. Default 6000; more than heartbeatMs.' })),
  }, { additionalProperties: false })),
}, { additionalProperties: false, $id: 'https://polegate.dev/schema/cloud.json', title: 'polegate cloud config' });

/** The pole registry file written by `polegate cloud add-pole`. */
export const PoleRegistry = Type.Object({
  poles: Type.Array(Type.Object({
    id: Type.String(),
    secretHash: Type.Optional(Type.String({ pattern: '^(scrypt|hmac-sha256)\\$', description: 'Written by add-pole: hmac-sha256$ for the secrets it generates; scrypt$ hashes of older registries keep working.' })),
    certName: Type.Optional(Type.String()),
  }, { additionalProperties: false })),
}, { additionalProperties: false, $id: 'https://polegate.dev/schema/poles.json', title: 'polegate pole registry' });

export type CloudConfig = Static<typeof CloudConfig>;
export type PoleRegistry = Static<typeof PoleRegistry>;
