// Shared set-up for the cloud ingest tests: a cloud on free ports in a temp dir, a log that can be
// read back, mqtt.js clients, and contract payloads.
import { join } from 'node:path';
import { Writable } from 'node:stream';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { pino, type Logger } from 'pino';
import type { CloudConfig } from '../../config/cloud-schema.js';
import type { BirthPayload, Reading, StatePayload, TelemetryPayload } from '../../contract/schemas.js';
import { startCloud, type Cloud } from '../../cloud-ingest/cloud.js';
import { addPole } from '../../cloud-ingest/registry.js';
import { hashSecret } from '../../cloud-ingest/secrets.js';

export const ROOT = 'city/v1';

export interface Tap {
  teardown(fn: () => unknown): void;
  testdir(): string;
}

/** A pino logger whose lines the test can read back. */
export function memoryLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

export interface TestCloud {
  cloud: Cloud;
  dir: string;
  registry: string;
  secrets: Record<string, string>;
  users: Record<string, string>;
  lines: string[];
  url: string;
  http: string;
  /** As started, for a restart on the same dir and store. */
  config: CloudConfig;
}

export async function startTestCloud(t: Tap, opts: { poles?: string[]; users?: { username: string; role: 'read' | 'operate' }[]; maxPayloadBytes?: number; store?: CloudConfig['store'] } = {}): Promise<TestCloud> {
  const dir = t.testdir();
  const registry = join(dir, 'poles.yaml');
  const secrets: Record<string, string> = {};
  for (const id of opts.poles ?? ['pole-a', 'pole-b']) secrets[id] = await addPole(registry, id);
  const users: Record<string, string> = {};
  const userEntries: NonNullable<CloudConfig['users']> = [];
  for (const u of opts.users ?? [{ username: 'viewer', role: 'read' }, { username: 'operator', role: 'operate' }]) {
    users[u.username] = `pw-${u.username}-secret`;
    userEntries.push({ username: u.username, role: u.role, passwordHash: await hashSecret(users[u.username]!) });
  }
  const { log, lines } = memoryLog();
  const config: CloudConfig = {
    topicRoot: ROOT,
    mqtt: { host: '127.0.0.1', port: 0 },
    http: { host: '127.0.0.1', port: 0 },
    store: opts.store ?? { kind: 'sqlite', path: './data/city.db' },
    poles: './poles.yaml',
    users: userEntries,
  };
  const cloud = await startCloud({ config, dir, log, configFile: 'cloud.yaml', maxPayloadBytes: opts.maxPayloadBytes });
  t.teardown(() => cloud.close());
  return { cloud, dir, registry, secrets, users, lines, url: `mqtt://127.0.0.1:${cloud.ports.mqtt}`, http: `http://127.0.0.1:${cloud.ports.http}`, config };
}

/** Connects, resolving on CONNACK; rejects with the broker's refusal. */
export function connect(t: Tap, url: string, options: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    t.teardown(() => client.end(true));
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

export function connectPole(t: Tap, tc: TestCloud, pole: string, extra: IClientOptions = {}): Promise<MqttClient> {
  return connect(t, tc.url, { clientId: pole, username: pole, password: tc.secrets[pole], ...extra });
}

export function statePayload(pole: string, state: StatePayload['state'], bootId = 'boot-1'): StatePayload {
  return { v: 1, pole, state, ts: Date.now(), bootId };
}

export function birthPayload(pole: string): BirthPayload {
  return {
    v: 1, pole, ts: Date.now(), bootId: 'boot-1', agent: { version: '0.1.0' }, componentCode: '1101050101000123',
    location: { lat: 39.92, lon: 116.44, grid: '110105001001' }, configHash: 'abc',
    devices: [{ id: 'gas-1', driver: 'modbus', model: 'GD-100', metrics: [{ name: 'lel', unit: '%LEL', type: 'number' }, { name: 'fault', unit: '', type: 'boolean' }] }],
  };
}

export function reading(seq: number, overrides: Partial<Reading> = {}): Reading {
  return { seq, device: 'gas-1', metric: 'lel', value: seq / 10, unit: '%LEL', ts: 1_700_000_000_000 + seq * 1000, quality: 'good', ...overrides };
}

export function telemetryPayload(pole: string, stream: string, readings: Reading[]): TelemetryPayload {
  return { v: 1, pole, stream, readings };
}

export function publish(client: MqttClient, topic: string, payload: unknown, options: { qos?: 0 | 1; retain?: boolean } = {}): Promise<void> {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
  return new Promise((resolve, reject) => client.publish(topic, body, { qos: options.qos ?? 1, retain: options.retain ?? false }, (err) => (err ? reject(err) : resolve())));
}

export async function getJson(url: string, auth?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { headers: auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {} });
  return { status: res.status, body: await res.json() };
}
