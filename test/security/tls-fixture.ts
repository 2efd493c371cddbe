// Set-up for the TLS tests, all with real processes: a city CA and certificates made by
// `polegate cloud issue-cert`, poles and a user registered by the CLI, `polegate cloud` started as a
// child process, and clients (mqtt.js, HTTPS) that trust only that CA.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { waitFor } from '../helpers/wait.js';

export const CLI = fileURLToPath(new URL('../../dist/cli/polegate.js', import.meta.url));

export interface Tap {
  teardown(fn: () => unknown): void;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `polegate ARGS` (the built CLI) to its end. */
export function polegate(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function ok(args: string[]): Promise<string> {
  const run = await polegate(args);
  if (run.code !== 0) throw new Error(`polegate ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return run.stdout;
}

/** `polegate edge --config manifest` (the built CLI) until the test ends; its output collected. */
export function startEdgeProcess(t: Tap, manifest: string, cwd: string): { output(): string } {
  const edge = spawn(process.execPath, [CLI, 'edge', '--config', manifest], { cwd, env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  edge.stdout.on('data', (d) => (output += d));
  edge.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => edge.once('exit', resolve));
  t.teardown(async () => {
    edge.kill('SIGTERM');
    await exited;
  });
  return { output: () => output };
}

export interface Pki {
  dir: string;
  config: string;
  /** PEM files by name: ca, and for each of pole-a, pole-b, localhost: NAME.pem / NAME.key paths. */
  ca: string;
  cert(name: string): { cert: string; key: string };
  secrets: Record<string, string>;
  users: Record<string, string>;
}

const BASE_CONFIG = 'store: { kind: sqlite, path: ./data/city.db }\npoles: ./poles.yaml\nmqtt: { host: 127.0.0.1, port: 0 }\n';

/**
 * In `dir`: cloud.yaml (plain MQTT only, for the CLI to find the CA folder and users), the CA,
 * certificates for poles pole-a and pole-b and for the server (localhost, 127.0.0.1), the two poles
 * registered and a read user `viewer`.
 */
export async function makePki(dir: string): Promise<Pki> {
  const config = join(dir, 'cloud.yaml');
  writeFileSync(config, BASE_CONFIG);
  await ok(['cloud', 'issue-cert', '--ca', '--config', config]);
  await ok(['cloud', 'issue-cert', 'pole-a', '--config', config]);
  await ok(['cloud', 'issue-cert', 'pole-b', '--config', config]);
  await ok(['cloud', 'issue-cert', 'localhost', '--server', '--host', 'localhost', '--host', '127.0.0.1', '--config', config]);
  const secrets: Record<string, string> = {};
  for (const pole of ['pole-a', 'pole-b']) secrets[pole] = /Secret .*: (\S+)/.exec(await ok(['cloud', 'add-pole', pole, '--config', config]))![1]!;
  const users = { viewer: /Password .*: (\S+)/.exec(await ok(['cloud', 'add-user', 'viewer', '--role', 'read', '--config', config]))![1]! };
  const tls = join(dir, 'tls');
  return { dir, config, ca: join(tls, 'ca.pem'), cert: (name) => ({ cert: join(tls, `${name}.pem`), key: join(tls, `${name}.key`) }), secrets, users };
}

/** Writes the cloud config `name` in the PKI's folder: its users and registry, with `listeners` (YAML lines) instead of plain MQTT. */
export function writeCloudConfig(pki: Pki, name: string, listeners: string): string {
  const users = readFileSync(pki.config, 'utf8').split('\n').filter((l) => l.startsWith('users:') || l.startsWith('  - '));
  const file = join(pki.dir, name);
  writeFileSync(file, [`store: { kind: sqlite, path: ./data/${name}.db }`, 'poles: ./poles.yaml', listeners, ...users, ''].join('\n'));
  return file;
}

export interface CloudProcess {
  ports: { mqtt?: number; mqtts?: number; http: number };
  output(): string;
}

/** `polegate cloud --config FILE` as a child process, until the test ends; resolves once it runs. */
export async function startCloudProcess(t: Tap, config: string): Promise<CloudProcess> {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'cloud', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d));
  child.stderr!.on('data', (d: Buffer) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  });
  const line = await waitFor('the cloud running', () => {
    if (child.exitCode !== null) throw new Error(`polegate cloud exited ${child.exitCode}:\n${output}`);
    return output.split('\n').find((l) => l.includes('cloud ingest running'));
  }, 20_000);
  return { ports: JSON.parse(line).ports, output: () => output };
}

/** Connects over mqtts trusting `ca` only; resolves on CONNACK, rejects with the refusal or TLS error. */
export function connectTls(t: Tap, port: number, ca: string, options: IClientOptions & { certFiles?: { cert: string; key: string } }): Promise<MqttClient> {
  const { certFiles, ...rest } = options;
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(`mqtts://127.0.0.1:${port}`, {
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ca: readFileSync(ca),
      ...(certFiles ? { cert: readFileSync(certFiles.cert), key: readFileSync(certFiles.key) } : {}),
      ...rest,
    });
    t.teardown(() => client.end(true));
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
    client.once('close', () => reject(new Error('connection closed before CONNACK')));
  });
}

/** GET over HTTPS trusting `ca` only, with HTTP Basic `auth` (user:password). */
export function httpsJson(url: string, ca: string, auth?: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: readFileSync(ca), headers: auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {} }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A telemetry payload of one reading. */
export function telemetry(pole: string, seq: number, value: number): string {
  return JSON.stringify({ v: 1, pole, stream: 's1', readings: [{ seq, device: 'gas-1', metric: 'lel', value, unit: '%LEL', ts: 1_700_000_000_000 + seq, quality: 'good' }] });
}
