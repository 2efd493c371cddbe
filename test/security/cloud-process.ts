// A real `polegate cloud` process for the adversarial tests: its config, registry and users in a
// temp dir, its ports read from its "running" line, its log kept, its memory read from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { addPole } from '../../cloud-ingest/registry.js';
import { hashSecret } from '../../cloud-ingest/secrets.js';
import { rssMiB } from '../../bench/lib/proc.js';
import { root } from '../helpers/polegate-cli.js';
import { waitFor } from '../helpers/wait.js';
import type { Tap } from '../cloud-ingest/fixture.js';

export interface CloudProcess {
  child: ChildProcess;
  dir: string;
  mqttPort: number;
  /** Only with a `ws` listener in `extra`. */
  wsPort: number | undefined;
  httpPort: number;
  secrets: Record<string, string>;
  users: Record<string, string>;
  /** Log lines so far (pino JSON). */
  log: () => string[];
  rssMiB: () => number;
  /** Parsed log lines whose msg matches. */
  logged: (msg: string | RegExp) => Record<string, unknown>[];
}

export interface CloudProcessOptions {
  poles?: string[];
  users?: { username: string; role: 'read' | 'operate' }[];
  /** Merged into the `mqtt` listener's config (limits). */
  mqtt?: Record<string, unknown>;
  /** Further top-level keys of cloud.yaml. */
  extra?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** Restart on this earlier process's folder: same config, registry and store. */
  restartOf?: CloudProcess;
  /** The folder for its files (default: the test's own), e.g. one per node of a cluster. */
  dir?: string;
  /** How long it may take to start (default 30 s; a bench's node under a connect storm needs more). */
  startTimeoutMs?: number;
}

/** Starts `polegate cloud` (bin/polegate, as deployed, over dist/) and waits for it to run. */
export async function startCloudProcess(t: Tap, options: CloudProcessOptions = {}): Promise<CloudProcess> {
  const earlier = options.restartOf;
  const dir = earlier?.dir ?? options.dir ?? t.testdir();
  const secrets: Record<string, string> = { ...earlier?.secrets };
  const users: Record<string, string> = { ...earlier?.users };
  if (!earlier) {
    for (const id of options.poles ?? ['pole-a', 'pole-b']) secrets[id] = await addPole(join(dir, 'poles.yaml'), id);
    const entries = [];
    for (const u of options.users ?? [{ username: 'viewer', role: 'read' }]) {
      users[u.username] = `pw-${u.username}-secret`;
      entries.push({ username: u.username, passwordHash: await hashSecret(users[u.username]!), role: u.role });
    }
    const config = {
      topicRoot: 'city/v1',
      mqtt: { host: '127.0.0.1', port: 0, ...options.mqtt },
      http: { host: '127.0.0.1', port: 0 },
      store: { kind: 'sqlite', path: './data/city.db' },
      poles: './poles.yaml',
      users: entries,
      ...options.extra,
    };
    writeFileSync(join(dir, 'cloud.yaml'), stringify(config));
  }
  const child = spawn(join(root, 'bin', 'polegate'), ['cloud', '--config', join(dir, 'cloud.yaml')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  const lines: string[] = [];
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'close');
  });
  const parse = (line: string): Record<string, unknown> | undefined => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };
  const running = await waitFor(`polegate cloud to start (stderr: ${stderr})`, () => {
    if (child.exitCode !== null) throw new Error(`polegate cloud exited ${child.exitCode}: ${stderr}`);
    return lines.map(parse).find((l) => l?.msg === 'cloud ingest running; Ctrl-C to stop');
  }, options.startTimeoutMs ?? 30_000);
  const ports = running.ports as { mqtt: number; ws?: number; http: number };
  return {
    child, dir, secrets, users, mqttPort: ports.mqtt, wsPort: ports.ws, httpPort: ports.http,
    log: () => lines,
    rssMiB: () => rssMiB(child.pid!),
    logged: (msg) => lines.map(parse).filter((l): l is Record<string, unknown> => l !== undefined && (typeof msg === 'string' ? l.msg === msg : msg.test(String(l.msg)))),
  };
}
