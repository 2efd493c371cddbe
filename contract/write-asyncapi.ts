// Writes contract/asyncapi.yaml from the payload schemas, so the published document cannot drift
// from what edge and cloud validate. Run `node --import tsx contract/write-asyncapi.ts` after
// changing schemas.ts; a test fails while the committed file differs from what this renders.
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import { Document } from 'yaml';
import { CONTRACT_VERSION, POLE_ID_PATTERN, PAYLOAD_SCHEMAS } from './schemas.js';
import { DEFAULT_TOPIC_ROOT, type JsonTopicKind } from './topics.js';

export const ASYNCAPI_FILE = fileURLToPath(new URL('./asyncapi.yaml', import.meta.url));

interface Example {
  name: string;
  summary: string;
  payload: Record<string, unknown>;
}

const POLE = 'bj-cy-000123';
const STREAM = 'k3v9q2';
const BOOT = '0b8e6c1e-5d2f-4f4e-9a57-3f1c2d4e5a6b';
const TS = 1767225600000;
const SNAPSHOT = 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

/** Valid payloads per topic; shown to platform engineers and checked against the schemas by a test. */
export const EXAMPLES: Record<JsonTopicKind, Example[]> = {
  state: [
    { name: 'online', summary: 'Published retained on every connect.', payload: { v: 1, pole: POLE, state: 'online', ts: TS, bootId: BOOT } },
    { name: 'offline', summary: 'The last will: the broker publishes it when the pole drops.', payload: { v: 1, pole: POLE, state: 'offline', ts: TS, bootId: BOOT } },
  ],
  birth: [
    {
      name: 'pole',
      summary: 'A pole with a gas detector and a camera.',
      payload: {
        v: 1, pole: POLE, ts: TS, bootId: BOOT, agent: { version: '0.1.0' },
        componentCode: '1101050101000123', location: { lat: 39.9219, lon: 116.4432, grid: '110105001001' },
        configHash: '3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b',
        devices: [
          { id: 'gas-1', driver: 'modbus', model: 'GD-100', metrics: [{ name: 'lel', unit: '%LEL', type: 'number' }, { name: 'fault', unit: '', type: 'boolean' }] },
          { id: 'cam-1', driver: 'onvif', metrics: [] },
        ],
      },
    },
    { name: 'minimal', summary: 'Only the required fields.', payload: { v: 1, pole: POLE, ts: TS, bootId: BOOT, agent: { version: '0.1.0' }, configHash: 'h', devices: [] } },
  ],
  telemetry: [
    {
      name: 'live',
      summary: 'A batch of live readings.',
      payload: {
        v: 1, pole: POLE, stream: STREAM,
        readings: [
          { seq: 1041, device: 'gas-1', metric: 'lel', value: 3.2, unit: '%LEL', ts: TS, quality: 'good' },
          { seq: 1042, device: 'pressure-1', metric: 'pressure', value: 312.5, unit: 'kPa', ts: TS, quality: 'good' },
          { seq: 1043, device: 'gas-1', metric: 'fault', value: false, unit: '', ts: TS, quality: 'uncertain' },
        ],
      },
    },
    {
      name: 'historical',
      summary: 'Readings replayed from the backlog after an uplink outage.',
      payload: { v: 1, pole: POLE, stream: STREAM, historical: true, readings: [{ seq: 17, device: 'level-1', metric: 'level', value: 0.42, unit: 'm', ts: TS - 86_400_000, quality: 'good' }] },
    },
  ],
  alarm: [
    {
      name: 'raised',
      summary: 'A gas alarm with the camera snapshot taken when it was raised.',
      payload: { v: 1, pole: POLE, stream: STREAM, seq: 1044, alarm: { id: `gas-high-${TS}`, rule: 'gas-high', device: 'gas-1', metric: 'lel', state: 'raised', severity: 'critical', value: 23.5, threshold: 20, ts: TS, snapshot: SNAPSHOT } },
    },
    {
      name: 'cleared',
      summary: 'The same alarm instance (same id) clearing.',
      payload: { v: 1, pole: POLE, stream: STREAM, seq: 1102, alarm: { id: `gas-high-${TS}`, rule: 'gas-high', device: 'gas-1', metric: 'lel', state: 'cleared', severity: 'critical', value: 12.1, threshold: 15, ts: TS + 540_000 } },
    },
  ],
  event: [
    { name: 'device-offline', summary: 'A device stopped answering.', payload: { v: 1, pole: POLE, stream: STREAM, seq: 1050, event: { type: 'device-offline', device: 'level-1', ts: TS } } },
    { name: 'motion', summary: 'A camera event, with its snapshot.', payload: { v: 1, pole: POLE, stream: STREAM, seq: 1051, event: { type: 'motion', device: 'cam-1', ts: TS, snapshot: SNAPSHOT } } },
    { name: 'gap', summary: 'Telemetry evicted from a full outbox: which device, which time range.', payload: { v: 1, pole: POLE, stream: STREAM, seq: 1052, event: { type: 'gap', device: 'pressure-1', ts: TS, kind: 'telemetry', count: 1800, metrics: 3, from: TS - 3_600_000, to: TS - 1_800_000, reason: 'buffer-full' } } },
    { name: 'snapshot', summary: 'A camera picture taken (periodic, command, or for an alarm); its blob follows on blob/{sha256}.', payload: { v: 1, pole: POLE, stream: STREAM, seq: 1053, event: { type: 'snapshot', device: 'cam-1', ts: TS, snapshot: SNAPSHOT, size: 48_213, cause: 'periodic' } } },
    { name: 'snapshot-failed', summary: 'An alarm left without its picture: the camera did not answer within the rule\'s snapshotWaitMs.', payload: { v: 1, pole: POLE, stream: STREAM, seq: 1045, event: { type: 'snapshot-failed', device: 'cam-1', ts: TS + 1500, cause: 'alarm', alarm: `gas-high-${TS}`, reason: 'camera cam-1 did not answer within 1500 ms' } } },
    { name: 'snapshot-gap', summary: 'Pictures dropped on the pole by buffer.snapshots.maxBytes before they were sent.', payload: { v: 1, pole: POLE, stream: STREAM, seq: 1054, event: { type: 'gap', device: 'cam-1', ts: TS, kind: 'snapshot', count: 4, metrics: 1, from: TS - 1_200_000, to: TS - 900_000, reason: 'buffer-full' } } },
  ],
  cmd: [
    { name: 'poll', summary: 'Poll a device now.', payload: { v: 1, id: 'c-7d1e', name: 'poll', args: { device: 'gas-1' } } },
    { name: 'snapshot', summary: 'Take a camera picture; the result names its blob.', payload: { v: 1, id: 'c-7d21', name: 'snapshot', args: { device: 'cam-1' } } },
    { name: 'set-interval', summary: 'Change a poll interval; ignored after expiresAt.', payload: { v: 1, id: 'c-7d1f', name: 'set-interval', args: { device: 'pressure-1', pollMs: 500 }, expiresAt: TS + 60_000 } },
  ],
  'cmd/result': [
    { name: 'ok', summary: 'A command that succeeded.', payload: { v: 1, id: 'c-7d1e', ok: true, result: { readings: 2 } } },
    { name: 'error', summary: 'A command that failed, with a stable code.', payload: { v: 1, id: 'c-7d1f', ok: false, error: { code: 'UNKNOWN_DEVICE', message: 'no device pressure-9 on this pole' } } },
  ],
};

interface ChannelSpec {
  /** Channel, message and operation key. */
  key: string;
  kind: JsonTopicKind | 'blob';
  action: 'send' | 'receive';
  retain: boolean;
  summary: string;
}

/** The topic table of docs/contract.md, seen from the pole. */
const CHANNELS: ChannelSpec[] = [
  { key: 'state', kind: 'state', action: 'send', retain: true, summary: 'Pole presence; also the last will.' },
  { key: 'birth', kind: 'birth', action: 'send', retain: true, summary: 'What the pole is and which devices and metrics it has.' },
  { key: 'telemetry', kind: 'telemetry', action: 'send', retain: false, summary: 'Batches of normalized readings.' },
  { key: 'alarm', kind: 'alarm', action: 'send', retain: false, summary: 'Alarm transitions: raised, cleared.' },
  { key: 'event', kind: 'event', action: 'send', retain: false, summary: 'Device and pole events.' },
  { key: 'blob', kind: 'blob', action: 'send', retain: false, summary: 'Raw bytes (a JPEG snapshot), named by their sha256.' },
  { key: 'cmd', kind: 'cmd', action: 'receive', retain: false, summary: 'Commands from the platform to the pole.' },
  { key: 'cmdResult', kind: 'cmd/result', action: 'send', retain: false, summary: 'The result of each command, by command id.' },
];

/** The schema as plain JSON: TypeBox marks schemas with symbol keys that are no part of it. */
function plain(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}

function message(spec: ChannelSpec): Record<string, unknown> {
  if (spec.kind === 'blob') {
    return {
      name: 'blob',
      title: 'Blob',
      summary: spec.summary,
      contentType: 'image/jpeg',
      payload: { type: 'string', format: 'binary', description: 'Raw bytes, not JSON; referenced from alarms and events as sha256:<hex>.' },
    };
  }
  const schema = plain(PAYLOAD_SCHEMAS[spec.kind]);
  return {
    name: spec.kind,
    title: schema.title,
    summary: spec.summary,
    contentType: 'application/json',
    payload: schema,
    examples: EXAMPLES[spec.kind],
  };
}

function channel(spec: ChannelSpec, root: string): Record<string, unknown> {
  const topic = spec.kind === 'blob' ? 'blob/{sha256}' : spec.kind;
  const parameters: Record<string, unknown> = { pole: { $ref: '#/components/parameters/pole' } };
  if (spec.kind === 'blob') parameters.sha256 = { $ref: '#/components/parameters/sha256' };
  return {
    address: `${root}/{pole}/${topic}`,
    summary: spec.summary,
    parameters,
    messages: { [spec.key]: { $ref: `#/components/messages/${spec.key}` } },
  };
}

function operation(spec: ChannelSpec): Record<string, unknown> {
  return {
    action: spec.action,
    summary: `${spec.action === 'send' ? 'The pole publishes' : 'The pole subscribes to'} ${spec.kind === 'cmd/result' ? 'command results' : spec.kind}.`,
    channel: { $ref: `#/channels/${spec.key}` },
    messages: [{ $ref: `#/channels/${spec.key}/messages/${spec.key}` }],
    bindings: { mqtt: { qos: 1, retain: spec.retain, bindingVersion: '0.2.0' } },
  };
}

function operationId(spec: ChannelSpec): string {
  return `${spec.action}${spec.key[0]!.toUpperCase()}${spec.key.slice(1)}`;
}

/** The AsyncAPI 3.0 document of the v1 topic tree, as a plain object. */
export function buildAsyncApi(root = DEFAULT_TOPIC_ROOT): Record<string, unknown> {
  const lastWill = EXAMPLES.state[1]!.payload;
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'polegate wire contract',
      version: `${CONTRACT_VERSION}.0.0`,
      description: [
        'The MQTT topic tree between a polegate pole agent and the city ingest service, described from the',
        "pole's point of view: `send` operations are what a pole publishes, `receive` what it subscribes to;",
        'the platform does the mirror. Every JSON payload carries `"v": 1`. Delivery is at-least-once (QoS 1);',
        'the store keeps each (pole, stream, seq) once. Within v1 fields may be added, never renamed or removed.',
        `The topic root \`${DEFAULT_TOPIC_ROOT}\` is configurable. See docs/contract.md.`,
      ].join('\n'),
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
    },
    defaultContentType: 'application/json',
    servers: {
      production: {
        host: 'ingest.example.city:8883',
        protocol: 'secure-mqtt',
        description: 'MQTT over TLS. The client id of a pole is its pole id.',
        security: [{ $ref: '#/components/securitySchemes/poleSecret' }, { $ref: '#/components/securitySchemes/poleCertificate' }],
        bindings: {
          mqtt: {
            lastWill: { topic: `${root}/{pole}/state`, qos: 1, retain: true, message: JSON.stringify(lastWill) },
            bindingVersion: '0.2.0',
          },
        },
      },
    },
    channels: Object.fromEntries(CHANNELS.map((spec) => [spec.key, channel(spec, root)])),
    operations: Object.fromEntries(CHANNELS.map((spec) => [operationId(spec), operation(spec)])),
    components: {
      parameters: {
        pole: { description: `Pole id, matching ${POLE_ID_PATTERN}.`, examples: [POLE], 'x-pattern': POLE_ID_PATTERN },
        sha256: { description: 'Lower-case hex sha256 of the payload bytes, matching ^[0-9a-f]{64}$.', 'x-pattern': '^[0-9a-f]{64}$' },
      },
      messages: Object.fromEntries(CHANNELS.map((spec) => [spec.key, message(spec)])),
      securitySchemes: {
        poleSecret: { type: 'userPassword', description: 'Username = pole id, password = the secret printed once by `polegate cloud add-pole`.' },
        poleCertificate: { type: 'X509', description: 'Client certificate whose CN is the pole id.' },
      },
    },
  };
}

/** The document as committed: YAML with a header that names its source. */
export function renderAsyncApi(): string {
  const doc = new Document(buildAsyncApi(), { aliasDuplicateObjects: false });
  doc.commentBefore = ' Generated by contract/write-asyncapi.ts from contract/schemas.ts. Do not edit by hand:\n run `node --import tsx contract/write-asyncapi.ts`.';
  return doc.toString({ lineWidth: 0 });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(ASYNCAPI_FILE, renderAsyncApi());
  process.stdout.write(`wrote ${ASYNCAPI_FILE}\n`);
}
