// A cluster of real `polegate cloud` processes for the tests: one pole registry and one platform
// user shared by every node, one fresh PostgreSQL schema, and a Redis key prefix of the test's own
// on the machine's Redis (or the test's own redis-server), whose keys are removed in teardown.
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { addPole } from '../../cloud-ingest/registry.js';
import { hashSecret } from '../../cloud-ingest/secrets.js';
import type { Tap } from '../cloud-ingest/fixture.js';
import { postgresSchema } from '../cloud-ingest/postgres.js';
import { missingService } from '../helpers/services.js';
import { startCloudProcess, type CloudProcess } from '../security/cloud-process.js';

export const PLATFORM = 'platform';

export interface ClusterFixture {
  dir: string;
  secrets: Record<string, string>;
  /** The operate user's login, `platform:PASSWORD`. */
  platform: { username: string; password: string };
  prefix: string;
  redisUrl: string;
  storeUrl: string;
  /** The test's own connection to the cluster's Redis (no key prefix). */
  redis: Redis;
  /** Starts node `id` (again, on its folder, config and fixed ports when `restartOf` is given). */
  start(id: string, options?: { mqttPort?: number; restartOf?: CloudProcess }): Promise<CloudProcess>;
  /** The node holding the pole now, from its presence record; undefined when none (or while its will goes out). */
  holder(pole: string): Promise<string | undefined>;
  /** Every seq the store holds for the pole's stream, readings, alarms and events together, sorted. */
  storedSeqs(pole: string, stream: string): Promise<number[]>;
  /** The pole's presence as the store has it. */
  storedState(pole: string): Promise<string | undefined>;
}

/** A skip reason when Redis or PostgreSQL is not there (fails under POLEGATE_REQUIRE_SERVICES=1). */
export async function clusterServicesMissing(): Promise<string | undefined> {
  return (await missingService('redis')) ?? (await missingService('postgres'));
}

export async function startClusterFixture(t: Tap & { testdir(): string }, options: { poles: string[]; redisUrl?: string; heartbeatMs?: number; nodeTimeoutMs?: number }): Promise<ClusterFixture> {
  const dir = t.testdir();
  const registry = join(dir, 'poles.yaml');
  const secrets: Record<string, string> = {};
  for (const pole of options.poles) secrets[pole] = await addPole(registry, pole);
  const platform = { username: PLATFORM, password: 'pw-platform-secret' };
  const users = [{ username: platform.username, passwordHash: await hashSecret(platform.password), role: 'operate' }];
  const storeUrl = await postgresSchema(t);
  const redisUrl = options.redisUrl ?? 'redis://127.0.0.1:6379';
  const prefix = `polegate-test:${process.pid}:${Date.now().toString(36)}:`;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  // A test that stops its own Redis sees this connection drop; its commands still fail loudly.
  redis.on('error', () => {});
  const nodes: CloudProcess[] = [];
  t.teardown(async () => {
    // The nodes go first (whatever order tap runs teardowns in), so none writes keys after this.
    await Promise.all(nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null).map((n) => {
      n.child.kill('SIGTERM');
      return once(n.child, 'close');
    }));
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });
  const db = new pg.Pool({ connectionString: storeUrl, max: 1 });
  t.teardown(() => db.end());

  const start: ClusterFixture['start'] = async (id, node = {}) => {
    const started = await (node.restartOf ? startCloudProcess(t, { restartOf: node.restartOf }) : startNode(id, node.mqttPort ?? 0));
    nodes.push(started);
    return started;
  };
  const startNode = (id: string, mqttPort: number) => {
    const nodeDir = join(dir, id);
    mkdirSync(nodeDir, { recursive: true });
    return startCloudProcess(t, {
      dir: nodeDir,
      poles: [],
      users: [],
      mqtt: { port: mqttPort },
      extra: {
        poles: registry,
        users,
        store: { kind: 'postgres', url: storeUrl },
        cluster: { id, redis: redisUrl, prefix, heartbeatMs: options.heartbeatMs ?? 250, nodeTimeoutMs: options.nodeTimeoutMs ?? 1000 },
      },
    });
  };
  return {
    dir, secrets, platform, prefix, redisUrl, storeUrl, redis, start,
    holder: async (pole) => {
      const record = await redis.get(`${prefix}cluster:pole:${pole}`);
      return record && !record.startsWith('reaping ') ? record.split(' ')[0] : undefined;
    },
    storedSeqs: async (pole, stream) => {
      const rows = await db.query<{ seq: string }>(
        `SELECT t.seq FROM (SELECT stream_id, seq FROM readings UNION ALL SELECT stream_id, seq FROM alarms UNION ALL SELECT stream_id, seq FROM events) t
         JOIN streams s ON s.id = t.stream_id JOIN poles p ON p.id = s.pole_id WHERE s.name = $1 AND p.name = $2 ORDER BY t.seq`, [stream, pole]);
      return rows.rows.map((r) => Number(r.seq));
    },
    storedState: async (pole) => (await db.query<{ state: string }>('SELECT state FROM poles WHERE name = $1', [pole])).rows[0]?.state,
  };
}
