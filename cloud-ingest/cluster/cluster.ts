// The `cluster:` key of cloud.yaml wired up: the broker's shared emitter and persistence on Redis,
// and pole presence across nodes. cloud.ts opens it before the broker, hands `broker` to
// createBroker, starts it once the broker exists, and closes it after the broker.
import type { Aedes, PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import type { CloudConfig } from '../../config/cloud-schema.js';
import { PolegateError } from '../../config/errors.js';
import type { BrokerOptions } from '../broker.js';
import { openBrokerBackends } from './aedes-redis.js';
import { ClusterPresence, DEFAULT_HEARTBEAT_MS, DEFAULT_NODE_TIMEOUT_MS } from './presence.js';
import { openRedis } from './redis.js';

export const DEFAULT_PREFIX = 'polegate:';

export interface Cluster {
  /** createBroker's `cluster` option. */
  broker: NonNullable<BrokerOptions['cluster']>;
  /** Once the broker exists, before the listeners open. */
  start(broker: Aedes): Promise<void>;
  /** After the broker has closed. */
  close(): Promise<void>;
}

export async function openCluster(config: NonNullable<CloudConfig['cluster']>, log: Logger, configName: string): Promise<Cluster> {
  const heartbeatMs = config.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const nodeTimeoutMs = config.nodeTimeoutMs ?? DEFAULT_NODE_TIMEOUT_MS;
  if (nodeTimeoutMs <= heartbeatMs) {
    throw new PolegateError(`cluster.nodeTimeoutMs (${nodeTimeoutMs}) must be more than cluster.heartbeatMs (${heartbeatMs}) in ${configName}: a live node renews its heartbeat every heartbeatMs; 3 times it is a good choice`, 'CONFIG_INVALID', 2);
  }
  const prefix = config.prefix ?? DEFAULT_PREFIX;
  const origin = `cluster.redis in ${configName}`;
  const backends = await openBrokerBackends(config.redis, prefix, log, origin);
  const presence = new ClusterPresence({
    redis: await openRedis(config.redis, { name: 'presence', log, origin, keyPrefix: prefix }),
    node: config.id,
    heartbeatMs,
    nodeTimeoutMs,
    takeWill: (pole, node) => backends.persistence.delWill({ id: pole, brokerId: node }),
    log,
  });
  return {
    broker: { id: config.id, mq: backends.mq, persistence: backends.persistence, presence },
    start: (broker) => presence.start({
      // As aedes publishes a will: authorizePublish (ingest, on this node only), then publish.
      publishWill: (will) => new Promise<void>((resolve, reject) => {
        const packet = will as unknown as PublishPacket;
        broker.authorizePublish(null, packet, (err) => {
          if (err) return reject(err);
          broker.publish(packet, (failed) => (failed ? reject(failed) : resolve()));
        });
      }),
      // aedes keeps its clients by id; its types leave the map out.
      dropPole: (pole) => (broker as unknown as { clients: Record<string, { close(): void } | undefined> }).clients[pole]?.close(),
    }),
    close: async () => {
      await backends.close();
      await presence.close();
    },
  };
}
