// The cloud ingest service wired together: store, ingest pipeline, broker with its listeners,
// and the HTTP API. `polegate cloud` and `polegate demo` start it through `startCloud`.
import { EventEmitter } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import net from 'node:net';
import { resolve } from 'node:path';
import tls from 'node:tls';
import { pino, type Logger } from 'pino';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { CloudConfig } from '../config/cloud-schema.js';
import { parseSize } from '../config/size.js';
import type { CommandResultPayload } from '../contract/schemas.js';
import { DEFAULT_TOPIC_ROOT } from '../contract/topics.js';
import { Authenticator } from './auth.js';
import { createBroker } from './broker.js';
import { openCluster } from './cluster/cluster.js';
import { Commands } from './commands.js';
import { ConnectionGuard, type ConnectionLimits } from './connection-guard.js';
import { buildApi } from './api/app.js';
import { Ingest, type PresenceEvent } from './ingest.js';
import { LiveFeed } from './live.js';
import { closeServer, listen } from './listen.js';
import { PoleRegistryView } from './registry.js';
import { serverTlsOptions } from './server-tls.js';
import { PostgresStore } from './store/postgres-store.js';
import { SqliteStore } from './store/sqlite-store.js';
import type { Store } from './store/store.js';

/** Where the API listens when the config has no `http` key: this host only, as it may be open. */
export const DEFAULT_HTTP = { host: '127.0.0.1', port: 8080 };
/** Where MQTT and MQTTS listen when their `host` is not given. */
export const DEFAULT_HOST = '0.0.0.0';
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;
/** Each MQTT listener's limits when its config does not set them. */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { maxPacketBytes: DEFAULT_MAX_PAYLOAD_BYTES + 64 * 1024, connectTimeoutMs: 10_000, maxConnections: 10_000 };

type ListenerConfig = { maxPacketBytes?: number | string; connectTimeoutMs?: number; maxConnections?: number };

function connectionLimits(listener: ListenerConfig): ConnectionLimits {
  return {
    maxPacketBytes: listener.maxPacketBytes === undefined ? DEFAULT_CONNECTION_LIMITS.maxPacketBytes : parseSize(listener.maxPacketBytes),
    connectTimeoutMs: listener.connectTimeoutMs ?? DEFAULT_CONNECTION_LIMITS.connectTimeoutMs,
    maxConnections: listener.maxConnections ?? DEFAULT_CONNECTION_LIMITS.maxConnections,
  };
}

export interface StartCloudOptions {
  config: CloudConfig;
  /** Relative paths in the config (store, poles, TLS files) resolve here. */
  dir: string;
  log?: Logger;
  /** The config file's name, for error messages (`mqtt.port in cloud.yaml`). */
  configFile?: string;
  maxPayloadBytes?: number;
}

export interface Cloud {
  ports: { mqtt?: number; mqtts?: number; ws?: number; http: number };
  store: Store;
  /** The ingest pipeline's events: 'ingested', 'presence', 'dead-letter', 'command-result'. */
  events: EventEmitter;
  close(): Promise<void>;
}

async function openStore(config: CloudConfig, dir: string, configName: string): Promise<Store> {
  if (config.store.kind === 'postgres') return PostgresStore.open(config.store.url, `store.url in ${configName}`);
  return new SqliteStore(resolve(dir, config.store.path));
}

export async function startCloud(options: StartCloudOptions): Promise<Cloud> {
  const { config, dir } = options;
  const log = options.log ?? pino({ name: 'polegate-cloud' });
  const configName = options.configFile ?? 'the cloud config';
  const topicRoot = config.topicRoot ?? DEFAULT_TOPIC_ROOT;
  const cleanup: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  };

  try {
    const store = await openStore(config, dir, configName);
    cleanup.push(() => store.close());
    // Presence on record is from before this start: a pole is online again when it says so. In a
    // cluster other nodes still hold their poles, so there presence is left to the poles' wills.
    if (!config.cluster) {
      const forgotten = await store.forgetPresence();
      if (forgotten > 0) log.info({ poles: forgotten }, 'poles online before this start are unknown until they connect');
    }
    const registry = new PoleRegistryView(resolve(dir, config.poles), (err) => log.error({ file: config.poles, err: err.message }, 'pole registry unreadable; keeping the last good one'));
    await registry.refresh();
    const auth = new Authenticator({ registry, users: config.users ?? [], log, throttle: config.logins });
    const ingest = new Ingest({ store, topicRoot, log, maxFutureMs: config.ingest?.maxFutureMs });
    cleanup.push(() => ingest.close());
    const guard = new ConnectionGuard(log);
    const cluster = config.cluster && (await openCluster(config.cluster, log, configName));
    if (cluster) cleanup.push(() => cluster.close());
    const broker = await createBroker({ topicRoot, auth, ingest, log, guard, maxPayloadBytes: options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES, cluster: cluster?.broker });
    // The broker closes its clients first, so their wills reach ingest before the final flush.
    cleanup.push(() => new Promise<void>((done) => broker.close(() => done())));
    await cluster?.start(broker);

    const ports: Cloud['ports'] = { http: 0 };
    const serve = async (server: net.Server, key: 'mqtt' | 'mqtts' | 'ws' | 'http', host: string, port: number, hint: string) => {
      const real = await listen(server, { host, port, origin: `${key}.port in ${configName}`, hint });
      cleanup.push(() => closeServer(server));
      ports[key] = real;
      log.info({ [key]: `${host}:${real}` }, `${key} listening`);
    };
    const mqttServer = (listener: 'mqtt' | 'mqtts', limits: ConnectionLimits, make: (handle: (conn: net.Socket) => void) => net.Server) => {
      const server = make(guard.handler(broker.handle, listener, limits));
      guard.cap(server, listener, limits);
      return server;
    };
    if (config.mqtt) {
      const server = mqttServer('mqtt', connectionLimits(config.mqtt), (handle) => net.createServer(handle));
      await serve(server, 'mqtt', config.mqtt.host ?? DEFAULT_HOST, config.mqtt.port, 'stop the other broker or choose another port');
    }
    if (config.mqtts) {
      const m = config.mqtts;
      const limits = connectionLimits(m);
      // The login timeout starts after the handshake: bound the handshake by the same time.
      const secure = { ...(await serverTlsOptions(dir, 'mqtts', m)), handshakeTimeout: limits.connectTimeoutMs };
      const server = mqttServer('mqtts', limits, (handle) => tls.createServer(secure, handle));
      await serve(server, 'mqtts', m.host ?? DEFAULT_HOST, m.port, 'stop the other broker or choose another port');
    }
    if (config.ws) {
      // MQTT over WebSocket (browsers): the same broker, guard and authentication as over TCP.
      const limits = connectionLimits(config.ws);
      const server = createHttpServer((_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n'));
      guard.cap(server, 'ws', limits);
      const wss = new WebSocketServer({ server, maxPayload: limits.maxPacketBytes + 5 });
      const handle = guard.handler(broker.handle, 'ws', limits);
      wss.on('connection', (socket, req) => handle(createWebSocketStream(socket), req));
      cleanup.push(() => new Promise<void>((done) => wss.close(() => done())));
      await serve(server, 'ws', config.ws.host ?? DEFAULT_HOST, config.ws.port, 'stop the other server or choose another port');
    }
    const commands = new Commands({
      store,
      topicRoot,
      log,
      publish: (topic, payload) => new Promise((done, fail) => broker.publish({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false }, (err) => (err ? fail(err) : done()))),
    });
    const commandFailed = (err: Error) => log.error({ err: err.message }, 'command handling failed');
    ingest.on('presence', (p: PresenceEvent) => {
      if (p.state === 'online') commands.online(p.pole).catch(commandFailed);
    });
    ingest.on('command-result', (r: { pole: string; result: CommandResultPayload }) => commands.result(r.pole, r.result).catch(commandFailed));
    if (!auth.hasUsers) log.warn('no platform users in the config: the HTTP API is open to anyone who can reach it; add one with `polegate cloud add-user`');
    const http = config.http ?? DEFAULT_HTTP;
    const httpTls = config.http?.tls && (await serverTlsOptions(dir, 'http.tls', config.http.tls));
    await serve((await buildApi({ store, commands, live: await LiveFeed.start(broker, topicRoot, commands), auth, log, tls: httpTls })).server, 'http', http.host ?? DEFAULT_HOST, http.port, 'stop the other server or choose another port');
    return { ports, store, events: ingest, close };
  } catch (err) {
    await close();
    throw err;
  }
}
