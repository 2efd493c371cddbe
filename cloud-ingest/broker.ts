// The MQTT broker (aedes 1.x, MQTT 3.1.1): authenticates every client, enforces the ACL, and
// hands every accepted pole publish to the ingest pipeline before it is acknowledged.
import { Aedes, type AedesPublishPacket, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import type { Logger } from 'pino';
import { parseTopic } from '../contract/topics.js';
import { publishRefusal, subscribeRefusal, type Identity } from './acl.js';
import type { Authenticator } from './auth.js';
import type { ConnectionGuard } from './connection-guard.js';
import type { Ingest } from './ingest.js';

export interface BrokerOptions {
  topicRoot: string;
  auth: Authenticator;
  ingest: Ingest;
  log: Logger;
  /** Told when a client has authenticated, so that its connection's pre-login limits end. */
  guard: ConnectionGuard;
  /** Larger publishes are refused (the client is disconnected, as MQTT 3.1.1 has no negative ack). */
  maxPayloadBytes: number;
  /** In a cluster: the node's id, the shared emitter and persistence, and pole presence. */
  cluster?: { id: string; mq: unknown; persistence: unknown; presence: PolePresence };
}

/** Which connection holds a pole across the cluster (cluster/presence.ts). */
export interface PolePresence {
  /** A pole has logged in here; resolves (before its CONNACK) to this connection's token. */
  connected(pole: string): Promise<string>;
  /** That connection has ended. */
  gone(pole: string, token: string): void;
  /** Whether the connection's will is still news: false when the pole holds a newer connection. */
  willDue(pole: string, token: string): Promise<boolean>;
}

/** Where refused publishes go: outside every topic root, and no ACL lets a client subscribe to it. */
const NOWHERE = '$SYS/polegate/refused';

// MQTT 3.1.1 CONNACK return codes.
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;
const IDENTIFIER_REJECTED = 2;

/** The client's source address: its socket's, or for a WebSocket client, that of its HTTP request. */
function addressOf(client: Client): string {
  return (client.conn as { remoteAddress?: string }).remoteAddress ?? client.req?.socket?.remoteAddress ?? 'unknown';
}

function refusal(returnCode: number, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

export async function createBroker(options: BrokerOptions): Promise<Aedes> {
  const { topicRoot, auth, ingest, log } = options;
  const identities = new WeakMap<Client, Identity>();
  const presence = options.cluster?.presence;
  /** Each pole connection's presence token (in a cluster). */
  const tokens = new WeakMap<Client, string>();

  const holdPresence = async (client: Client, identity: Identity) => {
    if (!presence || identity.kind !== 'pole') return;
    const token = await presence.connected(identity.id);
    tokens.set(client, token);
    if (client.conn.destroyed) presence.gone(identity.id, token);
    else client.conn.once('close', () => presence.gone(identity.id, token));
  };

  const authenticate = (client: Client, username: string | undefined, password: Buffer | undefined, done: (err: AuthenticateError | null, ok: boolean | null) => void) => {
    auth.client(client.id, username, password, client.conn, addressOf(client)).then(async (result) => {
      if (result.ok) await holdPresence(client, result.identity);
      return result;
    }).then((result) => {
      if (result.ok) {
        identities.set(client, result.identity);
        options.guard.authenticated(client.conn);
        return done(null, true);
      }
      log.warn({ clientId: client.id, username, address: addressOf(client), reason: result.reason }, 'connection refused');
      const code = result.badCredentials ? BAD_USERNAME_OR_PASSWORD : IDENTIFIER_REJECTED;
      done(refusal(code, result.reason), null);
    }, (err: Error) => {
      log.error({ clientId: client.id, err: err.message }, 'authentication failed');
      done(refusal(NOT_AUTHORIZED, 'authentication failed'), null);
    });
  };

  const authorizePublish = (client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void) => {
    // A null client is a will the broker publishes for a client gone from this node: trust the topic.
    const who: Identity | undefined = client ? identities.get(client) : { kind: 'pole', id: parseTopic(topicRoot, packet.topic)?.pole ?? '' };
    const clientId = client?.id ?? null;
    const refuse = (reason: string) => {
      log.warn({ clientId, topic: packet.topic, reason }, 'publish refused');
      done(new Error(reason));
    };
    if (!who) return refuse('client is not authenticated');
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    if (payload.length > options.maxPayloadBytes) return refuse(`payload of ${payload.length} bytes is over the limit of ${options.maxPayloadBytes}`);
    const reason = publishRefusal(who, topicRoot, packet.topic);
    if (reason) return refuse(reason);
    if (who.kind !== 'pole') return done(null);
    const token = client && packet === (client as Client & { will?: unknown }).will ? tokens.get(client) : undefined;
    // A will from a connection the pole has replaced (on another node, in a cluster) is stale.
    const due = presence && token ? presence.willDue(who.id, token) : Promise.resolve(true);
    due.then((news) => {
      if (news) return ingest.accept(packet.topic, payload, who.id);
      log.info({ clientId, topic: packet.topic }, 'will dropped: the pole is connected again');
      return undefined;
    }).then((forward) => {
      if (forward === undefined) sendNowhere(packet);
      else packet.payload = forward;
      done(null);
    }, (err: Error) => done(err));
  };

  // What ingest dead-letters is acknowledged (the pole must not resend it forever) but reaches no
  // subscriber and replaces no retained message: aedes has no "ack, do not route" answer, so the
  // packet is pointed at a topic no client may subscribe to, and authorizeForward drops it too.
  const sendNowhere = (packet: PublishPacket) => {
    packet.topic = NOWHERE;
    packet.retain = false;
    packet.payload = Buffer.alloc(0);
  };
  const authorizeForward = (_client: Client, packet: AedesPublishPacket) => (packet.topic === NOWHERE ? null : packet);

  const authorizeSubscribe = (client: Client, sub: Subscription, done: (err: Error | null, sub?: Subscription | null) => void) => {
    const who = identities.get(client);
    const reason = who ? subscribeRefusal(who, topicRoot, sub.topic) : 'client is not authenticated';
    if (!reason) return done(null, sub);
    log.warn({ clientId: client.id, topic: sub.topic, reason }, 'subscription refused');
    done(null, null);
  };

  const shared = options.cluster && { id: options.cluster.id, mq: options.cluster.mq, persistence: options.cluster.persistence };
  const broker = await Aedes.createBroker({ ...shared, authenticate, authorizePublish, authorizeSubscribe, authorizeForward });
  broker.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'client error'));
  broker.on('connectionError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'connection error'));
  return broker;
}
