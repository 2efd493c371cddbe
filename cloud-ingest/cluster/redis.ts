// Connections to the cluster's Redis. Each user (emitter, persistence, presence) has its own
// connection, opened with the same rules: reachable at start or the start fails with one line;
// afterwards an outage is logged once when it begins and once when it ends, and commands wait for
// the connection to come back instead of failing (see docs/cloud.md, "Running a cluster").
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { PolegateError } from '../../config/errors.js';

/** How long the start waits for Redis before giving up. */
const START_TIMEOUT_MS = 10_000;

/** host:port of a Redis URL, for messages: never its password. */
export function redisWhere(url: string): string {
  const { hostname, port } = new URL(url);
  return `${hostname}:${port || 6379}`;
}

export interface RedisOptions {
  /** Prepended by ioredis to every key (not to pub/sub channels). */
  keyPrefix?: string;
  /** Names the connection in logs: `emitter`, `persistence`, `presence`. */
  name: string;
  log: Logger;
  /** Where the URL comes from, for the start error: `cluster.redis in cloud.yaml`. */
  origin: string;
}

export async function openRedis(url: string, options: RedisOptions): Promise<Redis> {
  const where = redisWhere(url);
  const redis = new Redis(url, {
    keyPrefix: options.keyPrefix,
    lazyConnect: true,
    // Commands wait for a lost connection to come back: a pole's PUBACK then waits too, which is
    // what keeps its outbox holding the message (the store already has it; a resend is dropped).
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
  });
  let down = false;
  /** ioredis's connect() only says "Connection is closed."; the error event says why. */
  let cause: string | undefined;
  redis.on('error', (err: Error) => {
    cause ??= err.message;
    if (down) return;
    down = true;
    options.log.warn({ redis: where, connection: options.name, err: err.message }, 'Redis unreachable; cluster traffic waits for it');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    options.log.info({ redis: where, connection: options.name }, 'Redis reachable again');
  });
  try {
    await Promise.race([
      redis.connect(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer in ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS).unref()),
    ]);
  } catch (err) {
    redis.disconnect();
    throw new PolegateError(`cannot use Redis at ${where} (${options.origin}): ${cause ?? (err as Error).message} — check that Redis runs there and that the URL's password and database are right`, 'REDIS_UNREACHABLE', 1);
  }
  return redis;
}
