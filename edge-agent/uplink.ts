// The MQTT uplink (docs/operations.md, "Uplink"): presence, birth, and draining the outbox with a bounded
// in-flight window, one broker connection at a time.
//
// mqtt.js's own reconnect and offline queue are switched off: its queue is unbounded memory and would
// hold copies of what the outbox already keeps on disk. Each connection attempt is a fresh client; we
// publish only while connected, and whatever was in flight when a connection drops goes back to the
// outbox (release) to be sent again on the next one. The cloud drops duplicates by (pole, stream, seq).
//
// In flight is bounded by count (`window`, never more than MQTT's 65,535 packet ids) and by bytes
// (`windowBytes`): an alarm raised during a drain is published ahead of the rest of the backlog, but
// behind what is already in flight, so the byte bound is what bounds its wait on a slow link.
// Live telemetry leaves at most once per `lingerMs`: a round of polls committed after a quiet spell
// leaves at once (a pole polling every second publishes each round as it is committed, without a
// timer of its own), while faster polls gather into one publish (one PUBACK, one delete) per
// `lingerMs`. Alarms, events and the backlog never wait.
//
// Snapshots (`blobs`) leave last: only when the outbox has nothing more to offer, one at a time, on
// `{root}/{pole}/blob/{sha256}`. One at a time because MQTT is one TCP stream: an alarm published
// while a picture is in flight goes right behind its bytes, never behind a queue of pictures. Their
// bytes are not counted against `windowBytes`, so a large picture does not hold back telemetry.
//
// Reconnecting: while no broker is connected, bare TCP probes go out about once a second, to the
// URLs in turn; the MQTT connect (TLS handshake, login: what costs a broker) follows only when one
// accepts. So a pole is back within about a second of its link's return, and a broker that is down
// sees SYNs, not logins. A connect that fails after its probe was accepted (the broker refuses or
// drops logins) backs off exponentially before the next one.
//
// Failback: while connected to any broker but the first of `urls`, the first is probed with a bare
// TCP connect (not MQTT: a second session under the pole's client id would take over the working
// one where brokers share sessions), on a backoff from `failbackMs.min` to `.max`. When it accepts,
// the uplink stops publishing, waits (up to FAILBACK_SETTLE_MS) for what is in flight to be
// acknowledged, leaves with a clean DISCONNECT (so the broker drops the will instead of announcing
// the pole offline) and connects to the first URL; anything still unacknowledged is sent again there.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { blobTopic, topicFor, type JsonTopicKind } from '../contract/topics.js';
import { PolegateError } from '../config/errors.js';
import type { Clock, Logger } from '../drivers/sdk/types.js';
import { backoffMs, jittered } from './backoff.js';
import type { Outbox, OutboxBatch } from './outbox.js';
import { batchPayload, statePayload } from './wire.js';

/** Where snapshots waiting for the cloud come from (edge-agent/snapshot-store.ts, wired by the agent). */
export interface BlobSource {
  /** The next snapshot free to leave, now marked in flight; undefined when none is. */
  next(): { sha256: string; bytes: Buffer } | undefined;
  ack(sha256: string): void;
  release(sha256: string): void;
}

export interface UplinkOptions {
  pole: string;
  /** Brokers in failover order. */
  urls: string[];
  username?: string;
  password?: string;
  tls?: { ca?: string; cert?: string; key?: string };
  topicRoot: string;
  keepaliveS?: number;
  bootId: string;
  /** The birth payload (JSON) as of now; called on every connect. */
  birth: () => string;
  clock: Clock;
  log: Logger;
  /** Messages published and not yet acknowledged, at most (≤ 65,535). */
  window?: number;
  /** Payload bytes published and not yet acknowledged, at most (one message may exceed it alone). */
  windowBytes?: number;
  /** Least time between two publishes of live telemetry, ms: what comes sooner waits and shares one. */
  lingerMs?: number;
  maxReadings?: number;
  /** Largest telemetry body, in bytes: keep it under the broker's maximum packet size. */
  maxBytes?: number;
  /** Reconnect backoff: first delay and cap, ms; each delay gets ±50 % jitter. */
  backoffMs?: { min: number; max: number };
  /** Probes of the first URL while on another: first delay and cap, ms; each gets ±50 % jitter. */
  failbackMs?: { min: number; max: number };
  blobs?: BlobSource;
}

/** MQTT packet ids are 16 bits: more in flight and mqtt.js would reuse an id still awaiting PUBACK. */
const MAX_WINDOW = 65_535;
/**
 * Cellular defaults: a keepalive under the shortest common carrier NAT idle timeout (about 60 s), so
 * the mapping survives quiet minutes and a dead link is noticed within 1.5 × 45 s; a connect timeout
 * long enough for a TLS handshake over a congested 3G fallback.
 */
const KEEPALIVE_S = 45;
const CONNECT_TIMEOUT_MS = 30_000;
/**
 * Failback probes: the first 30 s after failing over (a restarted broker is usually back by then),
 * then less often, up to every 5 min; a probe is one TCP handshake, given 10 s on a cellular link.
 */
const FAILBACK_MS = { min: 30_000, max: 300_000 };
const PROBE_TIMEOUT_MS = 10_000;
/**
 * Reconnect probes: one about every second (±50 %), each given PROBE_TIMEOUT_MS, so on a slow link
 * several overlap (a SYN sent after the link came back answers first), at most this many at once.
 */
const RECONNECT_PROBE_MS = 1000;
const MAX_RECONNECT_PROBES = 8;
/** Backoff of MQTT connects that fail although the broker accepted TCP, ms (each ±50 %). */
const BACKOFF_MS = { min: 500, max: 30_000 };
/** A connection up this long resets that backoff: shorter ones count as failed attempts. */
const STABLE_CONNECTION_MS = 10_000;
/** How long a failback waits for the in-flight messages' PUBACKs before leaving the broker. */
const FAILBACK_SETTLE_MS = 2000;

export interface SentInfo {
  kind: OutboxBatch['kind'];
  count: number;
  seqFirst: number;
  seqLast: number;
}

/** A broker URL fit for a log line: credentials in it are cut out. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}

const DEFAULT_PORTS: Record<string, number> = { 'mqtt:': 1883, 'tcp:': 1883, 'mqtts:': 8883, 'ssl:': 8883, 'tls:': 8883, 'ws:': 80, 'wss:': 443 };

/** A bare TCP connection to the broker URL's host and port, to see whether anything accepts it (the caller bounds it). */
function openProbe(url: string): net.Socket {
  const { hostname, port, protocol } = new URL(url);
  return net.connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port) || DEFAULT_PORTS[protocol] || 1883 });
}

function readTlsFiles(tls: UplinkOptions['tls']): Pick<IClientOptions, 'ca' | 'cert' | 'key'> {
  const files: Pick<IClientOptions, 'ca' | 'cert' | 'key'> = {};
  for (const name of ['ca', 'cert', 'key'] as const) {
    const path = tls?.[name];
    if (!path) continue;
    try {
      files[name] = readFileSync(path);
    } catch (err) {
      throw new PolegateError(`cannot read uplink.tls.${name} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}. Fix the path in the manifest or install the file.`, 'TLS_FILE', 2);
    }
  }
  return files;
}

export class Uplink extends EventEmitter {
  private client: MqttClient | undefined;
  /** Identifies the current connection; callbacks of older connections are ignored. */
  private generation = 0;
  private connected = false;
  private closing = false;
  private urlIndex = 0;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private probeSocket: net.Socket | undefined;
  private probeAttempt = 0;
  /** Reconnect probes in progress, with the index of the URL each one tries. */
  private readonly reconnectProbes = new Map<net.Socket, number>();
  /** Failing back: publish nothing new on this connection, it is about to be left. */
  private leaving = false;
  /** Seqs below this were committed before the current connection: replayed backlog. */
  private backlogMark = 0;
  private readonly inFlight = new Map<OutboxBatch, number>();
  /** Messages and readings handed to the broker and acknowledged by it since the start (the status page's counts). */
  readonly counts = { publishedMessages: 0, publishedReadings: 0, ackedMessages: 0, ackedReadings: 0 };
  private inFlightBytes = 0;
  /** The snapshot published and not yet acknowledged, if any. */
  private blobInFlight: string | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  /** When telemetry was last published (clock ms). */
  private lastTelemetryAt = -Infinity;
  private readonly tlsFiles: Pick<IClientOptions, 'ca' | 'cert' | 'key'>;
  private readonly window: number;
  private readonly windowBytes: number;
  private readonly lingerMs: number;
  private readonly limits: { maxReadings: number; maxBytes: number };

  constructor(private readonly outbox: Outbox, private readonly opts: UplinkOptions) {
    super();
    if (opts.urls.length === 0) throw new PolegateError('uplink: set uplink.url or uplink.urls in the manifest', 'UPLINK_URL', 2);
    this.tlsFiles = readTlsFiles(opts.tls);
    this.window = Math.min(MAX_WINDOW, opts.window ?? 32);
    this.windowBytes = opts.windowBytes ?? 1024 * 1024;
    this.lingerMs = opts.lingerMs ?? 500;
    this.limits = { maxReadings: opts.maxReadings ?? 2000, maxBytes: opts.maxBytes ?? 256 * 1024 };
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Messages published and not acknowledged yet. */
  get inFlightMessages(): number {
    return this.inFlight.size;
  }

  start(): void {
    this.connect();
  }

  /** The birth changed (a device described itself late): publish it again if connected. */
  republishBirth(): void {
    if (this.connected) this.client?.publish(this.topic('birth'), this.opts.birth(), { qos: 1, retain: true });
  }

  /** Publishes a cmd/result (QoS 1); false when not connected (results are not kept for later). */
  publishResult(payload: string): boolean {
    if (!this.connected || !this.client) return false;
    this.client.publish(this.topic('cmd/result'), payload, { qos: 1 });
    return true;
  }

  /** New messages were committed to the outbox; `urgent` (alarms, events) publishes them at once. */
  kick(urgent = true): void {
    const wait = urgent ? 0 : this.lastTelemetryAt + this.lingerMs - this.opts.clock.now();
    if (wait <= 0) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
      this.pump();
    } else {
      this.lingerTimer ??= setTimeout(() => {
        this.lingerTimer = undefined;
        this.pump();
      }, wait);
    }
  }

  private topic(kind: JsonTopicKind): string {
    return topicFor(this.opts.topicRoot, this.opts.pole, kind);
  }

  private connect(): void {
    const url = this.opts.urls[this.urlIndex % this.opts.urls.length]!;
    const generation = ++this.generation;
    const client = mqtt.connect(url, {
      clientId: this.opts.pole,
      // MQTT carries a password only with a user name; poles authenticate as their own id.
      username: this.opts.username ?? (this.opts.password !== undefined ? this.opts.pole : undefined),
      password: this.opts.password,
      protocolVersion: 4,
      clean: true,
      keepalive: this.opts.keepaliveS ?? KEEPALIVE_S,
      reconnectPeriod: 0,
      connectTimeout: CONNECT_TIMEOUT_MS,
      queueQoSZero: false,
      // mqtt-packet would otherwise pre-build 65,536 two-byte Buffers (about 6 MiB) to save an
      // allocation per packet id: a bad trade at a few messages a second.
      writeCache: false,
      ...this.tlsFiles,
      will: { topic: this.topic('state'), payload: Buffer.from(statePayload(this.opts.pole, 'offline', this.opts.bootId, this.opts.clock.now())), qos: 1, retain: true },
    });
    this.client = client;
    // Commands for this pole: emitted as raw payloads as 'command'; edge-agent/commands.ts parses them.
    client.on('message', (topic, payload) => {
      if (generation === this.generation && topic === this.topic('cmd')) this.emit('command', payload);
    });
    let wasConnected = false;
    let connectedAt = 0;
    client.on('connect', () => {
      if (generation !== this.generation) return;
      wasConnected = true;
      connectedAt = performance.now();
      this.connected = true;
      if (this.onPrimary) this.probeAttempt = 0;
      else this.scheduleProbe();
      this.backlogMark = this.outbox.seqEnd;
      // A clean session forgets subscriptions: subscribe on every connect, before birth invites commands.
      client.subscribe(this.topic('cmd'), { qos: 1 });
      client.publish(this.topic('state'), statePayload(this.opts.pole, 'online', this.opts.bootId, this.opts.clock.now()), { qos: 1, retain: true });
      client.publish(this.topic('birth'), this.opts.birth(), { qos: 1, retain: true });
      this.opts.log.info({ url: redactUrl(url) }, 'uplink connected');
      this.emit('connected', redactUrl(url));
      this.pump();
    });
    client.on('error', (err) => {
      if (generation === this.generation) this.opts.log.warn({ url: redactUrl(url), err: err.message }, 'uplink error');
    });
    client.on('close', () => {
      if (generation !== this.generation) return;
      this.dropConnection(wasConnected ? 'connection closed' : `cannot connect to ${redactUrl(url)}`);
      // A connection that stayed up is probed again at once (its link or broker went away). One that
      // never came up, or dropped soon after (a broker that refuses or kicks the pole), waits out the
      // backoff; one that never came up moves to the next URL.
      if (wasConnected && performance.now() - connectedAt >= STABLE_CONNECTION_MS) {
        this.attempt = 0;
        return this.scheduleReconnect(0);
      }
      if (!wasConnected) this.urlIndex++;
      const { min, max } = this.opts.backoffMs ?? BACKOFF_MS;
      this.scheduleReconnect(jittered(backoffMs(min, max, this.attempt++)));
    });
  }

  /** Whether the current (or next) connection is to the first URL. */
  private get onPrimary(): boolean {
    return this.urlIndex % this.opts.urls.length === 0;
  }

  private scheduleProbe(): void {
    const { min, max } = this.opts.failbackMs ?? FAILBACK_MS;
    const delay = jittered(backoffMs(min, max, this.probeAttempt++));
    const generation = this.generation;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      const socket = (this.probeSocket = openProbe(this.opts.urls[0]!));
      const done = (up: boolean) => {
        socket.destroy();
        if (this.probeSocket !== socket) return;
        this.probeSocket = undefined;
        if (up) void this.failBack(generation);
        else this.scheduleProbe();
      };
      socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    }, delay);
  }

  private stopProbe(): void {
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    this.probeSocket?.destroy();
    this.probeSocket = undefined;
  }

  /** Leaves the current broker cleanly, once what is in flight is acknowledged, for the first URL. */
  private async failBack(generation: number): Promise<void> {
    const client = this.client!;
    this.opts.log.info({ url: redactUrl(this.opts.urls[0]!) }, 'the first broker accepts connections again: failing back to it');
    this.leaving = true;
    await this.flush(FAILBACK_SETTLE_MS);
    this.leaving = false;
    // The connection dropped meanwhile (reconnecting already) or the uplink is closing: nothing to do.
    if (generation !== this.generation || this.closing) return;
    this.dropConnection('failing back to the first broker', () => client.end(false));
    this.urlIndex = 0;
    this.connect();
  }

  /** Forgets the connection; `end` closes its client (by default at once, without DISCONNECT). */
  private dropConnection(reason: string, end = () => this.client?.end(true)): void {
    const was = this.connected;
    this.connected = false;
    this.generation++;
    this.stopProbe();
    this.releaseInFlight();
    end();
    this.client = undefined;
    if (was) {
      this.opts.log.warn({ reason }, 'uplink disconnected');
      this.emit('disconnected', reason);
    }
  }

  /** After `delayMs`, probes the brokers about once a second until one accepts TCP, then connects to it. */
  private scheduleReconnect(delayMs: number): void {
    if (this.closing) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.probeForReconnect();
    }, delayMs);
  }

  private probeForReconnect(): void {
    if (this.closing || this.client) return;
    if (this.reconnectProbes.size < MAX_RECONNECT_PROBES) {
      const index = this.urlIndex % this.opts.urls.length;
      const socket = openProbe(this.opts.urls[index]!);
      this.reconnectProbes.set(socket, index);
      const done = (up: boolean) => {
        socket.destroy();
        if (!this.reconnectProbes.delete(socket)) return;
        if (!up) {
          // The next probe tries the next URL, unless another probe has moved on already.
          if (this.urlIndex % this.opts.urls.length === index) this.urlIndex++;
          return;
        }
        this.stopReconnectProbes();
        this.urlIndex = index;
        this.connect();
      };
      socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    }
    this.scheduleReconnect(jittered(RECONNECT_PROBE_MS));
  }

  private stopReconnectProbes(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    for (const socket of this.reconnectProbes.keys()) socket.destroy();
    this.reconnectProbes.clear();
  }

  private pump(): void {
    const client = this.client;
    if (!this.connected || !client) return;
    const generation = this.generation;
    while (!this.leaving && this.inFlight.size < this.window && this.inFlightBytes < this.windowBytes) {
      const batch = this.outbox.nextBatch(this.limits);
      if (!batch) {
        this.publishBlob(client, generation);
        break;
      }
      const payload = batchPayload(this.opts.pole, this.outbox.stream, batch, batch.seqLast < this.backlogMark);
      // Characters, not bytes: payloads are JSON, nearly all ASCII, and this is a bound, not a count.
      this.inFlight.set(batch, payload.length);
      this.inFlightBytes += payload.length;
      if (batch.kind === 'telemetry') this.lastTelemetryAt = this.opts.clock.now();
      this.counts.publishedMessages++;
      if (batch.kind === 'telemetry') this.counts.publishedReadings += batch.count;
      client.publish(this.topic(batch.kind), payload, { qos: 1 }, (err) => this.onPuback(generation, batch, err));
    }
    if (this.inFlight.size === 0 && this.blobInFlight === undefined) this.emit('idle');
  }

  private publishBlob(client: MqttClient, generation: number): void {
    if (this.blobInFlight !== undefined || !this.opts.blobs) return;
    const blob = this.opts.blobs.next();
    if (!blob) return;
    const sha256 = (this.blobInFlight = blob.sha256);
    client.publish(blobTopic(this.opts.topicRoot, this.opts.pole, sha256), blob.bytes, { qos: 1 }, (err) => {
      if (generation !== this.generation) return;
      this.blobInFlight = undefined;
      if (err) {
        this.opts.log.warn({ sha256, err: err.message }, 'snapshot publish failed');
        this.opts.blobs!.release(sha256);
        return;
      }
      this.opts.blobs!.ack(sha256);
      this.emit('blob-sent', sha256);
      this.pump();
    });
  }

  private onPuback(generation: number, batch: OutboxBatch, err: Error | undefined): void {
    if (generation !== this.generation) return;
    this.inFlightBytes -= this.inFlight.get(batch)!;
    this.inFlight.delete(batch);
    if (err) {
      // Still connected but refused (e.g. too large for the broker): offer it again after a reconnect.
      this.opts.log.warn({ kind: batch.kind, seqFirst: batch.seqFirst, err: err.message }, 'publish failed');
      this.outbox.release(batch);
      return;
    }
    this.outbox.ack(batch);
    this.counts.ackedMessages++;
    if (batch.kind === 'telemetry') this.counts.ackedReadings += batch.count;
    const sent: SentInfo = { kind: batch.kind, count: batch.count, seqFirst: batch.seqFirst, seqLast: batch.seqLast };
    this.emit('sent', sent);
    this.pump();
  }

  /** Waits until nothing is pending or in flight, at most `timeoutMs`; true when everything left. */
  private flush(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.off('idle', onIdle);
        this.off('disconnected', onDrop);
        resolve(ok);
      };
      const onIdle = () => done(true);
      const onDrop = () => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.on('idle', onIdle);
      this.on('disconnected', onDrop);
      this.pump();
    });
  }

  /** Sends what it can within `flushMs`, then marks the pole offline and disconnects. */
  async close(flushMs = 2000): Promise<void> {
    this.closing = true;
    this.stopReconnectProbes();
    this.stopProbe();
    const client = this.client;
    if (this.connected && client) {
      await this.flush(flushMs);
      if (this.connected) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, flushMs);
          client.publish(this.topic('state'), statePayload(this.opts.pole, 'offline', this.opts.bootId, this.opts.clock.now()), { qos: 1, retain: true }, () => {
            clearTimeout(timer);
            resolve();
          });
        });
        // A clean DISCONNECT: the broker discards the will, the retained offline state stays.
        this.generation++;
        this.connected = false;
        await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
      }
    }
    this.generation++;
    this.connected = false;
    clearTimeout(this.lingerTimer);
    this.releaseInFlight();
    this.client?.end(true);
    this.client = undefined;
  }

  private releaseInFlight(): void {
    if (this.blobInFlight !== undefined) this.opts.blobs?.release(this.blobInFlight);
    this.blobInFlight = undefined;
    for (const batch of this.inFlight.keys()) this.outbox.release(batch);
    this.inFlight.clear();
    this.inFlightBytes = 0;
  }
}
