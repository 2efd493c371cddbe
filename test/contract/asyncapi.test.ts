import t from 'tap';
import { readFileSync } from 'node:fs';
import { Parser, DiagnosticSeverity } from '@asyncapi/parser';
import { parse } from 'yaml';
import { Ajv } from 'ajv';
import { GapEvent, PAYLOAD_SCHEMAS, POLE_ID_PATTERN, SnapshotEvent, SnapshotFailedEvent } from '../../contract/schemas.js';
import type { JsonTopicKind } from '../../contract/topics.js';
import { validatePayload } from '../../contract/validate.js';
import { ASYNCAPI_FILE, renderAsyncApi } from '../../contract/write-asyncapi.js';

const text = readFileSync(ASYNCAPI_FILE, 'utf8');
const raw = parse(text);

// The topic table of docs/contract.md, written out here independently of the generator.
const TOPICS = [
  { key: 'state', address: 'city/v1/{pole}/state', kind: 'state', action: 'send', retain: true },
  { key: 'birth', address: 'city/v1/{pole}/birth', kind: 'birth', action: 'send', retain: true },
  { key: 'telemetry', address: 'city/v1/{pole}/telemetry', kind: 'telemetry', action: 'send', retain: false },
  { key: 'alarm', address: 'city/v1/{pole}/alarm', kind: 'alarm', action: 'send', retain: false },
  { key: 'event', address: 'city/v1/{pole}/event', kind: 'event', action: 'send', retain: false },
  { key: 'blob', address: 'city/v1/{pole}/blob/{sha256}', kind: 'blob', action: 'send', retain: false },
  { key: 'cmd', address: 'city/v1/{pole}/cmd', kind: 'cmd', action: 'receive', retain: false },
  { key: 'cmdResult', address: 'city/v1/{pole}/cmd/result', kind: 'cmd/result', action: 'send', retain: false },
] as const;

const SHA = 'sha256:' + 'ab'.repeat(32);

// Payloads the schemas must refuse, each for one reason.
const INVALID: Record<JsonTopicKind, Array<[string, unknown]>> = {
  state: [
    ['unknown state', { v: 1, pole: 'p-01', state: 'maybe', ts: 1, bootId: 'b' }],
    ['upper-case pole id', { v: 1, pole: 'P-01', state: 'online', ts: 1, bootId: 'b' }],
    ['version 2', { v: 2, pole: 'p-01', state: 'online', ts: 1, bootId: 'b' }],
  ],
  birth: [
    ['no devices', { v: 1, pole: 'p-01', ts: 1, bootId: 'b', agent: { version: '1' }, configHash: 'h' }],
    ['15-digit component code', { v: 1, pole: 'p-01', ts: 1, bootId: 'b', agent: { version: '1' }, configHash: 'h', devices: [], componentCode: '110105010100012' }],
    ['latitude out of range', { v: 1, pole: 'p-01', ts: 1, bootId: 'b', agent: { version: '1' }, configHash: 'h', devices: [], location: { lat: 91, lon: 0 } }],
  ],
  telemetry: [
    ['no readings', { v: 1, pole: 'p-01', stream: 's', readings: [] }],
    ['object value', { v: 1, pole: 'p-01', stream: 's', readings: [{ seq: 1, device: 'd', metric: 'm', value: { x: 1 }, unit: '', ts: 1, quality: 'good' }] }],
    ['fractional ts', { v: 1, pole: 'p-01', stream: 's', readings: [{ seq: 1, device: 'd', metric: 'm', value: 1, unit: '', ts: 1.5, quality: 'good' }] }],
    ['no stream', { v: 1, pole: 'p-01', readings: [{ seq: 1, device: 'd', metric: 'm', value: 1, unit: '', ts: 1, quality: 'good' }] }],
  ],
  alarm: [
    ['unknown severity', { v: 1, pole: 'p-01', stream: 's', seq: 1, alarm: { id: 'a', rule: 'r', device: 'd', metric: 'm', state: 'raised', severity: 'fatal', value: 1, ts: 1 } }],
    ['snapshot not a sha256 ref', { v: 1, pole: 'p-01', stream: 's', seq: 1, alarm: { id: 'a', rule: 'r', device: 'd', metric: 'm', state: 'raised', severity: 'major', value: 1, ts: 1, snapshot: 'cam-1' } }],
    ['negative seq', { v: 1, pole: 'p-01', stream: 's', seq: -1, alarm: { id: 'a', rule: 'r', device: 'd', metric: 'm', state: 'cleared', severity: 'major', value: 1, ts: 1, snapshot: SHA } }],
  ],
  event: [
    ['no type', { v: 1, pole: 'p-01', stream: 's', seq: 1, event: { ts: 1 } }],
    ['no seq', { v: 1, pole: 'p-01', stream: 's', event: { type: 'motion', ts: 1 } }],
  ],
  cmd: [
    ['args not an object', { v: 1, id: 'c', name: 'poll', args: 'gas-1' }],
    ['empty name', { v: 1, id: 'c', name: '', args: {} }],
  ],
  'cmd/result': [
    ['no ok', { v: 1, id: 'c' }],
    ['error without code', { v: 1, id: 'c', ok: false, error: { message: 'no' } }],
  ],
};

t.test('the committed document is what the generator renders now', async (t) => {
  t.equal(text, renderAsyncApi(), 'run `node --import tsx contract/write-asyncapi.ts` and commit contract/asyncapi.yaml');
});

t.test('the document parses as AsyncAPI 3 without errors or warnings', async (t) => {
  const { document, diagnostics } = await new Parser().parse(text);
  const serious = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error || d.severity === DiagnosticSeverity.Warning);
  t.same(serious.map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`), []);
  t.ok(document, 'a document');
  if (!document) return;
  t.equal(document.version(), '3.0.0');
  t.equal(document.channels().length, TOPICS.length, 'no channel beyond the topic table');

  for (const topic of TOPICS) {
    const channel = document.channels().get(topic.key);
    t.ok(channel, `channel ${topic.key}`);
    if (!channel) continue;
    t.equal(channel.address(), topic.address, `${topic.key} address`);
    t.ok(channel.parameters().get('pole'), `${topic.key} has the pole parameter`);
    const operations = channel.operations().all();
    t.equal(operations.length, 1, `${topic.key}: one operation`);
    const operation = operations[0]!;
    t.equal(operation.action(), topic.action, `${topic.key} action`);
    const mqtt = operation.bindings().get('mqtt');
    t.equal(mqtt?.version(), '0.2.0', `${topic.key} MQTT binding version`);
    t.strictSame(mqtt?.value(), { qos: 1, retain: topic.retain }, `${topic.key} QoS and retain`);
  }
  t.ok(document.channels().get('blob')?.parameters().get('sha256'), 'blob has the sha256 parameter');
  t.equal(raw.components.parameters.pole['x-pattern'], POLE_ID_PATTERN);
  t.equal(raw.servers.production.bindings.mqtt.lastWill.topic, 'city/v1/{pole}/state', 'the last will goes to state');
  t.equal(raw.servers.production.bindings.mqtt.lastWill.retain, true);
});

t.test('each message payload is the contract schema, symbol keys stripped', async (t) => {
  for (const topic of TOPICS) {
    if (topic.kind === 'blob') continue;
    const payload = raw.components.messages[topic.key].payload;
    // JSON drops the symbol keys TypeBox adds, and nothing else: the schemas are plain JSON data.
    t.strictSame(payload, JSON.parse(JSON.stringify(PAYLOAD_SCHEMAS[topic.kind])), `${topic.key} payload`);
  }
  t.equal(raw.components.messages.blob.contentType, 'image/jpeg');
});

/** `event` accepts any fields; an event of type gap, snapshot or snapshot-failed must have the fields of its schema. */
const ajv = new Ajv({ allErrors: true, strict: true });
const TYPED_EVENTS: Record<string, ReturnType<typeof ajv.compile>> = { gap: ajv.compile(GapEvent), snapshot: ajv.compile(SnapshotEvent), 'snapshot-failed': ajv.compile(SnapshotFailedEvent) };
function gapProblem(payload: unknown): string | undefined {
  const event = (payload as { event?: { type?: string } }).event;
  const check = TYPED_EVENTS[event?.type ?? ''];
  return !check || check(event) ? undefined : JSON.stringify(check.errors);
}

t.test('the examples in the document are valid payloads of their topic', async (t) => {
  for (const topic of TOPICS) {
    if (topic.kind === 'blob') continue;
    const examples = raw.components.messages[topic.key].examples as Array<{ name: string; payload: unknown }>;
    t.ok(examples.length >= 2, `${topic.key} has examples`);
    for (const example of examples) {
      const result = validatePayload(topic.kind, example.payload);
      t.ok(result.ok, `${topic.key} example ${example.name}${result.ok ? '' : `: ${result.reason}`}`);
      t.equal(gapProblem(example.payload), undefined, `${topic.key} example ${example.name}: a gap or snapshot event has the fields of its type`);
    }
  }
});

t.test('the JSON examples in docs/contract.md are valid payloads of their section', async (t) => {
  const doc = readFileSync(new URL('../../docs/contract.md', import.meta.url), 'utf8');
  const kinds = new Set<string>(Object.keys(PAYLOAD_SCHEMAS));
  let checked = 0;
  // Each payload has a "### `kind`" section; its ```json blocks are examples of that kind.
  for (const section of doc.split(/^### /m).slice(1)) {
    const kind = /^`([a-z/]+)`/.exec(section)?.[1];
    for (const [, json] of section.matchAll(/```json\n([\s\S]*?)```/g)) {
      t.ok(kind && kinds.has(kind), `a JSON example under ${kind ?? 'no payload heading'}`);
      const payload: unknown = JSON.parse(json!);
      const result = validatePayload(kind as JsonTopicKind, payload);
      t.ok(result.ok, `${kind} example${result.ok ? '' : `: ${result.reason}`}`);
      t.equal(gapProblem(payload), undefined, `${kind} example: a gap or snapshot event has the fields of its type`);
      checked++;
    }
  }
  t.ok(checked >= kinds.size, `${checked} examples checked`);
});

t.test('invalid payloads are refused', async (t) => {
  for (const [kind, cases] of Object.entries(INVALID)) {
    for (const [why, payload] of cases) {
      t.equal(validatePayload(kind as JsonTopicKind, payload).ok, false, `${kind}: ${why}`);
    }
  }
});
