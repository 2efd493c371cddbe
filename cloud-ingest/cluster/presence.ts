// Pole presence across nodes (docs/cloud.md, "Running a cluster"). A node killed outright (SIGKILL,
// power loss) publishes no wills: its poles would stay `online` forever. So every node keeps, in
// Redis:
//
//   {prefix}cluster:nodes            the set of node ids
//   {prefix}cluster:node:{id}        its heartbeat: renewed every heartbeatMs, expires after nodeTimeoutMs
//   {prefix}cluster:node:{id}:poles  the poles connected to it
//   {prefix}cluster:pole:{pole}      who holds the pole now: "{node} {connection token}", or
//                                    "reaping {node}" while a survivor publishes its will
//
// Every heartbeatMs each node looks for nodes whose heartbeat has expired; one of them (a lock per
// dead node) publishes each of the dead node's poles' stored wills, but only for a pole whose record
// still names the dead node: a pole that has connected elsewhere since is left alone. The record is
// switched to "reaping" atomically before the will goes out, and a node taking a connection waits
// (before CONNACK) while a will for that pole is being published, so a pole's fresh `online` always
// follows its old will. A pole's own will, published by its node when the connection drops, is
// checked the same way: dropped when the record names another connection.
//
// Bound: a dead node's poles are marked offline at most nodeTimeoutMs + heartbeatMs after its last
// heartbeat, plus the time to publish their wills.
//
// A node that finds its own heartbeat expired (it was cut off from Redis or stalled longer than
// nodeTimeoutMs, or Redis restarted empty) may have been declared dead meanwhile: it closes every
// pole connection whose record no longer names it, and those poles reconnect and announce
// themselves again (restoring what Redis lost: records, retained state and birth).
import type { StoredWill } from 'aedes-persistence-redis';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { PolePresence } from '../broker.js';

export const DEFAULT_HEARTBEAT_MS = 2000;
export const DEFAULT_NODE_TIMEOUT_MS = 6000;
/** How long a survivor's claim on a pole lasts, should the survivor die while publishing its will. */
const CLAIM_MS = 10_000;
/** A connecting pole whose will is being published asks again this often. */
const CLAIM_POLL_MS = 50;
/** Wills published at once when a node is found dead (ingest groups them into few commits). */
const REAP_CONCURRENCY = 64;

export interface ClusterPresenceOptions {
  /** A connection whose keyPrefix is the cluster's prefix. */
  redis: Redis;
  node: string;
  heartbeatMs: number;
  nodeTimeoutMs: number;
  /** Takes (and removes) the will `node` stored for `pole`. */
  takeWill(pole: string, node: string): Promise<StoredWill | null>;
  log: Logger;
}

/** What presence asks of the broker, once there is one. */
export interface BrokerHooks {
  /** Publishes a will as the broker would: through ingest, then to subscribers and retained. */
  publishWill(will: StoredWill): Promise<void>;
  /** Closes this node's connection of the pole, if any. */
  dropPole(pole: string): void;
}

// Scripts run atomically in Redis. KEYS are prefixed by ioredis; a record is "{node} {token}".
const SCRIPTS = {
  // A pole connects here: take its record unless a survivor is publishing its will right now.
  own: `local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, 8) == 'reaping ' then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
return 1`,
  // Its connection here ended: drop the record if it is still this connection's.
  release: `local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('DEL', KEYS[1]) end
if not v or v == ARGV[1] or string.sub(v, 1, #ARGV[3]) ~= ARGV[3] then redis.call('SREM', KEYS[2], ARGV[2]) end
return 0`,
  // A survivor claims a dead node's pole, unless the pole is held by anyone else now.
  claim: `local v = redis.call('GET', KEYS[1])
if not v or string.sub(v, 1, #ARGV[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end
return 0`,
  // The will is out: end the claim (unless it expired and the pole came back meanwhile).
  unclaim: `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0`,
  // Renew the heartbeat; 1 when it had not expired.
  beat: `local alive = redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[1])
return alive`,
} as const;

type ScriptName = keyof typeof SCRIPTS;
const KEY_COUNTS: Record<ScriptName, number> = { own: 2, release: 2, claim: 1, unclaim: 1, beat: 2 };

const NODES = 'cluster:nodes';
const nodeKey = (node: string) => `cluster:node:${node}`;
const polesKey = (node: string) => `cluster:node:${node}:poles`;
const poleKey = (pole: string) => `cluster:pole:${pole}`;

export class ClusterPresence implements PolePresence {
  /** This node's connections: pole → record value. */
  private readonly held = new Map<string, string>();
  private readonly releases = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  /** The heartbeat round under way, if any: a round waiting on Redis is not joined by more. */
  private round: Promise<void> | undefined;
  private closed = false;
  private broker: BrokerHooks | undefined;

  constructor(private readonly options: ClusterPresenceOptions) {
    for (const [name, lua] of Object.entries(SCRIPTS)) options.redis.defineCommand(name, { numberOfKeys: KEY_COUNTS[name as ScriptName], lua });
  }

  /**
   * Before the listeners open: publishes the wills of this node's poles from before a restart
   * (none is connected here now), renews the heartbeat, and starts the heartbeat and the search
   * for dead nodes.
   */
  async start(broker: BrokerHooks): Promise<void> {
    this.broker = broker;
    const { node, nodeTimeoutMs, heartbeatMs, log } = this.options;
    await this.reap(node);
    await this.run('beat', [nodeKey(node), NODES], [node, String(Date.now()), String(nodeTimeoutMs)]);
    this.timer = setInterval(() => {
      this.round ??= this.tick()
        .catch((err: Error) => log.warn({ err: err.message }, 'cluster heartbeat failed'))
        .finally(() => (this.round = undefined));
    }, heartbeatMs);
  }

  private run(script: ScriptName, keys: string[], args: string[]): Promise<number> {
    return (this.options.redis as unknown as Record<ScriptName, (...a: string[]) => Promise<number>>)[script](...keys, ...args);
  }

  async connected(pole: string): Promise<string> {
    const record = `${this.options.node} ${randomBytes(6).toString('hex')}`;
    const deadline = Date.now() + CLAIM_MS;
    while ((await this.run('own', [poleKey(pole), polesKey(this.options.node)], [record, pole])) === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, CLAIM_POLL_MS));
    }
    this.held.set(pole, record);
    return record;
  }

  gone(pole: string, token: string): void {
    if (this.held.get(pole) === token) this.held.delete(pole);
    const release = this.run('release', [poleKey(pole), polesKey(this.options.node)], [token, pole, `${this.options.node} `])
      .catch((err: Error) => this.options.log.warn({ pole, err: err.message }, 'cannot release the pole\'s presence record'))
      .finally(() => this.releases.delete(release));
    this.releases.add(release);
  }

  async willDue(pole: string, token: string): Promise<boolean> {
    const holder = await this.options.redis.get(poleKey(pole));
    return holder === null || holder === token;
  }

  private async tick(): Promise<void> {
    if (this.closed) return;
    const { node, nodeTimeoutMs, redis } = this.options;
    const alive = await this.run('beat', [nodeKey(node), NODES], [node, String(Date.now()), String(nodeTimeoutMs)]);
    if (alive === 0) await this.reassert();
    for (const other of await redis.smembers(NODES)) {
      if (other === node || (await redis.exists(nodeKey(other))) === 1) continue;
      // One survivor per dead node; the lock outlives a slow reap, and claims per pole keep even
      // two survivors from publishing one will twice.
      if ((await redis.set(`cluster:reaping:${other}`, node, 'PX', CLAIM_MS, 'NX')) !== 'OK') continue;
      await this.reap(other);
      await redis.multi().del(polesKey(other)).srem(NODES, other).del(`cluster:reaping:${other}`).exec();
    }
  }

  /** Our heartbeat had expired: keep the poles whose records still name us, drop the others. */
  private async reassert(): Promise<void> {
    const { redis, node, log } = this.options;
    const dropped: string[] = [];
    for (const [pole, record] of this.held) {
      if ((await redis.get(poleKey(pole))) === record) await redis.sadd(polesKey(node), pole);
      else dropped.push(pole);
    }
    log.warn({ node, dropped: dropped.length }, 'this node\'s heartbeat had expired (cut off from Redis, or Redis restarted): poles it may have been declared dead for reconnect');
    for (const pole of dropped) this.broker!.dropPole(pole);
  }

  /** Publishes the wills of `dead`'s poles that have not connected anywhere since. */
  private async reap(dead: string): Promise<void> {
    const { redis, node, log } = this.options;
    const poles = await redis.smembers(polesKey(dead));
    if (poles.length === 0) return;
    const claim = `reaping ${node}`;
    let offline = 0;
    let elsewhere = 0;
    for (let i = 0; i < poles.length; i += REAP_CONCURRENCY) {
      await Promise.all(poles.slice(i, i + REAP_CONCURRENCY).map(async (pole) => {
        const claimed = (await this.run('claim', [poleKey(pole)], [`${dead} `, claim, String(CLAIM_MS)])) === 1;
        // The dead node's stored will goes either way: published now, or stale (the pole is elsewhere).
        const will = await this.options.takeWill(pole, dead);
        if (!claimed) {
          elsewhere++;
          return;
        }
        try {
          if (!will) log.warn({ pole, node: dead }, 'no will stored for a pole of a dead node; its presence is left as it was');
          else {
            await this.broker!.publishWill(will);
            offline++;
          }
        } catch (err) {
          log.error({ pole, node: dead, err: (err as Error).message }, 'cannot publish the will of a pole of a dead node');
        } finally {
          await this.run('unclaim', [poleKey(pole)], [claim]);
        }
      }));
    }
    log.info({ node: dead, offline, elsewhere, by: node }, dead === node ? 'poles held before this start: wills published' : 'node presumed dead: its poles\' wills published');
  }

  /** After the broker has closed its clients: waits for their records to go, leaves the cluster. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.round;
    if (!this.broker) return void (await this.options.redis.quit());
    await Promise.all(this.releases);
    const { redis, node } = this.options;
    await redis.multi().del(nodeKey(node)).del(polesKey(node)).srem(NODES, node).exec();
    await redis.quit();
  }
}
