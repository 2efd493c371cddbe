// What makes several aedes brokers one: the message emitter (mqemitter-redis: every node sees every
// publish, so a subscriber on node A receives what a pole on node B sends) and the persistence
// (aedes-persistence-redis: retained messages, persistent sessions and their queued QoS 1
// messages, stored wills), both on the cluster's Redis under its prefix.
//
// Ingest does not ride on the emitter: a publish is ingested by the node its pole is connected to,
// in authorizePublish (broker.ts), before it reaches the emitter.
import type { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import aedesPersistenceRedis, { type RedisPersistence } from 'aedes-persistence-redis';
import mqemitterRedis, { type MQEmitterRedis } from 'mqemitter-redis';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { openRedis } from './redis.js';

/** mqemitter-redis's emitter whose channels start with a prefix (exported, but not in its types). */
type PrefixedEmitter = new (prefix: string, options: { subConn: Redis; pubConn: Redis }) => MQEmitterRedis;
const MQEmitterRedisPrefix = (mqemitterRedis as unknown as { MQEmitterRedisPrefix: PrefixedEmitter }).MQEmitterRedisPrefix;

export interface BrokerBackends {
  /** aedes's `mq` option. */
  mq: MQEmitterRedis;
  /** aedes's `persistence` option. */
  persistence: RedisPersistence;
  /** After the broker has closed (which closes `mq`): closes the persistence, which aedes leaves open. */
  close(): Promise<void>;
}

export async function openBrokerBackends(url: string, prefix: string, log: Logger, origin: string): Promise<BrokerBackends> {
  const [subConn, pubConn, conn] = await Promise.all([
    openRedis(url, { name: 'emitter', log, origin }),
    openRedis(url, { name: 'emitter', log, origin }),
    openRedis(url, { name: 'persistence', log, origin, keyPrefix: prefix }),
  ]);
  const mq = new MQEmitterRedisPrefix(prefix, { subConn, pubConn });
  // mqemitter-redis re-emits connection errors here; openRedis has logged them already, and an
  // 'error' with no listener would end the process.
  (mq as unknown as { state: EventEmitter }).state.on('error', () => {});
  const persistence = aedesPersistenceRedis({ conn });
  // aedes publishes the stored wills of brokers whose heartbeat it stopped hearing, without asking
  // whether the client has connected again elsewhere since. Presence (presence.ts) does that job
  // with that check, so aedes is given no wills to publish.
  persistence.streamWill = () => Readable.from([]);
  return { mq, persistence, close: () => persistence.destroy() };
}
