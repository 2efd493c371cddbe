// The part of aedes-persistence-redis (the package ships no types) that cloud-ingest/cluster/ uses.
declare module 'aedes-persistence-redis' {
  import type { Redis } from 'ioredis';
  import type { Readable } from 'node:stream';

  /** A stored will, as aedes keeps it: the CONNECT's will plus whose it is. */
  export interface StoredWill {
    topic: string;
    payload: Buffer;
    qos: 0 | 1 | 2;
    retain: boolean;
    clientId: string;
    brokerId: string;
  }

  export interface RedisPersistence {
    /** Removes the will `brokerId` stored for client `id`; resolves to it, or null. */
    delWill(client: { id: string; brokerId: string }): Promise<StoredWill | null>;
    createRetainedStream(pattern: string): Readable;
    streamWill(brokers: Record<string, number>): Readable;
    destroy(): Promise<void>;
  }

  export default function aedesPersistenceRedis(options: { conn: Redis; maxSessionDelivery?: number }): RedisPersistence;
}
