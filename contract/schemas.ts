// The v1 wire contract: every payload on the topic tree, declared once. The TypeScript types,
// the validators and the AsyncAPI document all come from these schemas.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { POLE_ID_PATTERN } from './constants.js';

export { CONTRACT_VERSION, POLE_ID_PATTERN } from './constants.js';

const SHA256_REF_PATTERN = '^sha256:[0-9a-f]{64}$';

const V = Type.Literal(1, { description: 'Contract version.' });
const PoleId = Type.String({ pattern: POLE_ID_PATTERN, description: 'Pole id.' });
const Ts = Type.Integer({ minimum: 0, description: 'Epoch milliseconds, UTC.' });
const StreamId = Type.String({ minLength: 1, maxLength: 64, description: 'Outbox stream id, created with the buffer file.' });
const Seq = Type.Integer({ minimum: 0, description: 'Monotonic within (pole, stream), shared by telemetry, alarms and events.' });
const Value = Type.Union([Type.Number(), Type.Boolean(), Type.String()], { description: 'Engineering value.' });
const Quality = Type.Union([Type.Literal('good'), Type.Literal('uncertain'), Type.Literal('bad')]);
const BlobRef = Type.String({ pattern: SHA256_REF_PATTERN, description: 'A blob published under blob/{sha256}.' });

export const StatePayload = Type.Object({
  v: V,
  pole: PoleId,
  state: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
  ts: Ts,
  bootId: Type.String({ minLength: 1 }),
}, { $id: 'state', title: 'Pole state', description: 'Presence; retained, and the last will of the pole.' });

const MetricDescription = Type.Object({
  name: Type.String({ minLength: 1 }),
  unit: Type.String({ description: 'UCUM code or field unit (%LEL, ppm, %vol, %RH); empty for unitless.' }),
  type: Type.Union([Type.Literal('number'), Type.Literal('boolean'), Type.Literal('string')]),
});

export const BirthPayload = Type.Object({
  v: V,
  pole: PoleId,
  ts: Ts,
  bootId: Type.String({ minLength: 1 }),
  agent: Type.Object({ version: Type.String() }),
  componentCode: Type.Optional(Type.String({ pattern: '^[0-9]{16}$' })),
  location: Type.Optional(Type.Object({
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lon: Type.Number({ minimum: -180, maximum: 180 }),
    grid: Type.Optional(Type.String()),
  })),
  configHash: Type.String({ minLength: 1 }),
  devices: Type.Array(Type.Object({
    id: Type.String({ minLength: 1 }),
    driver: Type.String({ minLength: 1 }),
    model: Type.Optional(Type.String()),
    manufacturer: Type.Optional(Type.String({ description: 'As the device reports it (e.g. an ONVIF camera\'s GetDeviceInformation).' })),
    firmware: Type.Optional(Type.String()),
    serial: Type.Optional(Type.String()),
    metrics: Type.Array(MetricDescription),
  })),
}, { $id: 'birth', title: 'Pole birth', description: 'Retained description of the pole and its devices, sent on every connect.' });

export const Reading = Type.Object({
  seq: Seq,
  device: Type.String({ minLength: 1 }),
  metric: Type.String({ minLength: 1 }),
  value: Value,
  unit: Type.String(),
  ts: Ts,
  quality: Quality,
  reason: Type.Optional(Type.String({ description: 'Why quality is not good, for humans (the device\'s status, a unit the pole cannot convert, why there is no value).' })),
});

export const TelemetryPayload = Type.Object({
  v: V,
  pole: PoleId,
  stream: StreamId,
  historical: Type.Optional(Type.Boolean({ description: 'True on data replayed from the backlog.' })),
  readings: Type.Array(Reading, { minItems: 1 }),
}, { $id: 'telemetry', title: 'Telemetry batch' });

export const AlarmPayload = Type.Object({
  v: V,
  pole: PoleId,
  stream: StreamId,
  seq: Seq,
  alarm: Type.Object({
    id: Type.String({ minLength: 1, description: 'Alarm instance id, shared by its raised and cleared messages.' }),
    rule: Type.String({ minLength: 1 }),
    device: Type.String({ minLength: 1 }),
    metric: Type.String({ minLength: 1 }),
    state: Type.Union([Type.Literal('raised'), Type.Literal('cleared')]),
    severity: Type.Union([Type.Literal('critical'), Type.Literal('major'), Type.Literal('minor'), Type.Literal('warning')]),
    value: Value,
    threshold: Type.Optional(Type.Number()),
    ts: Ts,
    snapshot: Type.Optional(BlobRef),
  }),
}, { $id: 'alarm', title: 'Alarm' });

export const EventPayload = Type.Object({
  v: V,
  pole: PoleId,
  stream: StreamId,
  seq: Seq,
  event: Type.Object({
    type: Type.String({ minLength: 1, description: 'device-online, device-offline, motion, tamper, gap, snapshot, snapshot-failed, config-applied, …' }),
    device: Type.Optional(Type.String({ minLength: 1 })),
    ts: Ts,
  }, { additionalProperties: true }),
}, { $id: 'event', title: 'Event' });

/** The fields of an `event` of type `gap`: what a pole had to drop, announced instead of lost silently. */
export const GapEvent = Type.Object({
  type: Type.Literal('gap'),
  device: Type.Optional(Type.String({ minLength: 1, description: 'The device whose readings or events were dropped.' })),
  ts: Ts,
  kind: Type.Union([Type.Literal('telemetry'), Type.Literal('event'), Type.Literal('snapshot')], { description: 'What was dropped.' }),
  count: Type.Integer({ minimum: 1, description: 'Readings (telemetry), events or snapshots dropped.' }),
  metrics: Type.Integer({ minimum: 1, description: 'Distinct metrics (telemetry) or event types among them; 1 for snapshots.' }),
  from: Ts,
  to: Ts,
  reason: Type.Union([Type.Literal('buffer-full'), Type.Literal('disk-fault'), Type.Literal('expired')], { description: 'buffer-full: evicted by buffer.maxBytes (snapshots: buffer.snapshots.maxBytes); disk-fault: dropped from memory while the disk refused writes; expired: a snapshot older than buffer.snapshots.maxAgeMs.' }),
}, { $id: 'gap-event', title: 'Gap event fields' });

const SnapshotCause = Type.Union([Type.Literal('periodic'), Type.Literal('command'), Type.Literal('alarm')], { description: 'periodic: the device option snapshotMs; command: the snapshot command; alarm: a rule with snapshot.' });

/** The fields of an `event` of type `snapshot`: a picture was taken; its blob follows the event. */
export const SnapshotEvent = Type.Object({
  type: Type.Literal('snapshot'),
  device: Type.String({ minLength: 1, description: 'The camera.' }),
  ts: Ts,
  snapshot: BlobRef,
  size: Type.Integer({ minimum: 0, description: 'Bytes of the picture.' }),
  cause: SnapshotCause,
  alarm: Type.Optional(Type.String({ minLength: 1, description: 'For cause alarm: the alarm that left before its picture was ready (see the rule key snapshotWaitMs).' })),
}, { $id: 'snapshot-event', title: 'Snapshot event fields' });

/** The fields of an `event` of type `snapshot-failed`: a picture was wanted and none was kept. */
export const SnapshotFailedEvent = Type.Object({
  type: Type.Literal('snapshot-failed'),
  device: Type.String({ minLength: 1, description: 'The camera.' }),
  ts: Ts,
  cause: SnapshotCause,
  alarm: Type.Optional(Type.String({ minLength: 1, description: 'For cause alarm: the id of the alarm that left without its picture.' })),
  reason: Type.String({ minLength: 1, description: 'Why: the camera did not answer within the bound, refused, has no snapshot, or the picture is over buffer.snapshots.maxSnapshotBytes.' }),
}, { $id: 'snapshot-failed-event', title: 'Snapshot failed event fields' });

export const CommandPayload = Type.Object({
  v: V,
  id: Type.String({ minLength: 1 }),
  name: Type.String({ minLength: 1, description: 'poll, snapshot, set-interval, write, apply-config, restart-device, set-log-level, rebirth' }),
  args: Type.Record(Type.String(), Type.Unknown()),
  expiresAt: Type.Optional(Ts),
}, { $id: 'cmd', title: 'Command to a pole' });

export const CommandResultPayload = Type.Object({
  v: V,
  id: Type.String({ minLength: 1 }),
  ok: Type.Boolean(),
  result: Type.Optional(Type.Unknown()),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
}, { $id: 'cmd-result', title: 'Command result' });

export type StatePayload = Static<typeof StatePayload>;
export type BirthPayload = Static<typeof BirthPayload>;
export type Reading = Static<typeof Reading>;
export type TelemetryPayload = Static<typeof TelemetryPayload>;
export type AlarmPayload = Static<typeof AlarmPayload>;
export type EventPayload = Static<typeof EventPayload>;
export type GapEvent = Static<typeof GapEvent>;
export type SnapshotEvent = Static<typeof SnapshotEvent>;
export type SnapshotFailedEvent = Static<typeof SnapshotFailedEvent>;
export type CommandPayload = Static<typeof CommandPayload>;
export type CommandResultPayload = Static<typeof CommandResultPayload>;
export type Quality = Static<typeof Quality>;
export type ReadingValue = Static<typeof Value>;

/** JSON payload schemas by topic kind (blob carries raw bytes and has none). */
export const PAYLOAD_SCHEMAS = {
  state: StatePayload,
  birth: BirthPayload,
  telemetry: TelemetryPayload,
  alarm: AlarmPayload,
  event: EventPayload,
  cmd: CommandPayload,
  'cmd/result': CommandResultPayload,
} satisfies Record<string, TSchema>;
