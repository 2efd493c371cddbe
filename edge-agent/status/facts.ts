// What the status page knows about the pole (docs/operations.md, "The status page"): learnt from the
// agent's events as they happen (link, buses, devices, values, alarms, events) and from its facts()
// when asked (outbox, uplink counts). Counting is a field increment per event; everything else is
// assembled only when a page, /health or /metrics asks.
import type { LoadedManifest } from '../../config/loaded.js';
import type { AgentFacts, EdgeAgent } from '../agent.js';
import type { Alarm, OutboxEvent } from '../outbox.js';
import type { NormalizedReading } from '../reading.js';
import { redactUrl } from '../uplink.js';

/** Recent events kept for the page. */
const RECENT_EVENTS = 50;

export interface DeviceFacts {
  id: string;
  driver: string;
  /** Where it is reached: its bus id or host:port. */
  link: string | undefined;
  /** `waiting` until its first poll ends. */
  health: 'waiting' | 'online' | 'failing' | 'offline';
  lastError: { message: string; ts: number } | undefined;
  lastPollTs: number | undefined;
  polls: number;
  /** Failed polls by kind (the error's code, e.g. DEVICE_UNREACHABLE, BUS_TIMEOUT; `other` without one). */
  errors: Record<string, number>;
  values: NormalizedReading[];
}

export interface BusFacts {
  id: string;
  port: string;
  up: boolean;
  /** Since when it is down; undefined while up. */
  downSince: number | undefined;
  lastError: string | undefined;
}

export interface CameraFacts {
  device: string;
  ts: number;
  sha256: string;
  /** The latest picture, kept for the page; undefined if it had left the pole before the page could keep it. */
  jpeg: Buffer | undefined;
}

export interface StatusReport {
  pole: string;
  now: number;
  startedAt: number;
  uplink: { connected: boolean; broker: string | undefined; brokers: string[]; since: number; lastReason: string | undefined; reconnects: number };
  outbox: { messages: number; pending: AgentFacts['outbox']['pending']; bytes: number; oldestUnsentTs: number | undefined; inFlight: number; evicted: AgentFacts['outbox']['evicted'] };
  counts: AgentFacts['uplink'] & { readingsPolled: number };
  buses: BusFacts[];
  devices: DeviceFacts[];
  alarms: Alarm[];
  cameras: Array<Omit<CameraFacts, 'jpeg'> & { image: string | undefined }>;
  events: OutboxEvent[];
  snapshots: AgentFacts['snapshots'];
}

const errorKind = (err: Error): string => {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'other';
};

export class StatusFacts {
  readonly startedAt: number;
  private connected = false;
  private broker: string | undefined;
  private linkSince: number;
  private lastReason: string | undefined;
  private connects = 0;
  readingsPolled = 0;
  private readonly devices = new Map<string, DeviceFacts>();
  private readonly buses = new Map<string, BusFacts>();
  private readonly alarms = new Map<string, Alarm>();
  private readonly cameras = new Map<string, CameraFacts>();
  private readonly events: OutboxEvent[] = [];

  constructor(private readonly agent: EdgeAgent, private readonly loaded: LoadedManifest, private readonly now: () => number = Date.now) {
    this.startedAt = this.linkSince = now();
    for (const { config } of loaded.devices) {
      const link = typeof config.bus === 'string' ? config.bus : typeof config.host === 'string' ? `${config.host}:${String(config.port ?? '')}` : undefined;
      this.devices.set(config.id, { id: config.id, driver: config.driver, link, health: 'waiting', lastError: undefined, lastPollTs: undefined, polls: 0, errors: {}, values: [] });
    }
    for (const bus of loaded.manifest.buses ?? []) this.buses.set(bus.id, { id: bus.id, port: bus.port, up: true, downSince: undefined, lastError: undefined });
    agent.on('connected', (url: string) => {
      this.connected = true;
      this.broker = url;
      this.linkSince = now();
      this.connects++;
    });
    agent.on('disconnected', (reason: string) => {
      this.connected = false;
      this.linkSince = now();
      this.lastReason = reason;
    });
    agent.on('polled', (id: string, _ms: number, error?: Error) => this.onPolled(id, error));
    agent.on('reading', (reading: NormalizedReading) => this.onReading(reading));
    agent.on('alarm', (alarm: Alarm) => {
      if (alarm.state === 'raised') this.alarms.set(alarm.id, alarm);
      else this.alarms.delete(alarm.id);
    });
    agent.on('event', (event: OutboxEvent) => this.onEvent(event));
  }

  get uplinkConnected(): boolean {
    return this.connected;
  }

  /** How long the uplink has been down (0 while it is up). */
  uplinkDownMs(): number {
    return this.connected ? 0 : this.now() - this.linkSince;
  }

  busFacts(): BusFacts[] {
    return [...this.buses.values()];
  }

  deviceFacts(): DeviceFacts[] {
    return [...this.devices.values()];
  }

  camera(device: string): CameraFacts | undefined {
    return this.cameras.get(device);
  }

  get reconnects(): number {
    return Math.max(0, this.connects - 1);
  }

  report(): StatusReport {
    const facts = this.agent.facts();
    const { pending } = facts.outbox;
    return {
      pole: this.loaded.manifest.pole.id,
      now: this.now(),
      startedAt: this.startedAt,
      uplink: {
        connected: this.connected,
        broker: this.broker,
        brokers: (this.loaded.manifest.uplink.urls ?? (this.loaded.manifest.uplink.url ? [this.loaded.manifest.uplink.url] : [])).map(redactUrl),
        since: this.linkSince,
        lastReason: this.lastReason,
        reconnects: this.reconnects,
      },
      outbox: {
        messages: pending.alarm + pending.event + pending.telemetry,
        pending,
        bytes: facts.outbox.fileBytes,
        oldestUnsentTs: facts.oldestPendingTs,
        inFlight: facts.uplink.inFlight,
        evicted: facts.outbox.evicted,
      },
      counts: { ...facts.uplink, readingsPolled: this.readingsPolled },
      buses: this.busFacts(),
      devices: this.deviceFacts(),
      alarms: [...this.alarms.values()],
      cameras: [...this.cameras.values()].map(({ jpeg, ...camera }) => ({ ...camera, image: jpeg ? `/snapshots/${camera.device}.jpg?${camera.sha256.slice(0, 12)}` : undefined })),
      events: [...this.events].reverse(),
      snapshots: facts.snapshots,
    };
  }

  private onPolled(id: string, error: Error | undefined): void {
    const device = this.devices.get(id);
    if (!device) return;
    device.polls++;
    device.lastPollTs = this.now();
    if (error) {
      const kind = errorKind(error);
      device.errors[kind] = (device.errors[kind] ?? 0) + 1;
      device.lastError = { message: error.message, ts: device.lastPollTs };
      if (device.health !== 'offline') device.health = 'failing';
    } else {
      device.health = 'online';
    }
  }

  private onReading(reading: NormalizedReading): void {
    this.readingsPolled++;
    const values = this.devices.get(reading.device)?.values;
    if (!values) return;
    const at = values.findIndex((v) => v.metric === reading.metric);
    if (at === -1) values.push(reading);
    else values[at] = reading;
  }

  private onEvent(event: OutboxEvent & { error?: unknown; bus?: unknown; port?: unknown; snapshot?: unknown }): void {
    this.events.push(event);
    if (this.events.length > RECENT_EVENTS) this.events.shift();
    const device = event.device === undefined ? undefined : this.devices.get(event.device);
    if (event.type === 'device-offline' && device) {
      device.health = 'offline';
      if (typeof event.error === 'string') device.lastError = { message: event.error, ts: event.ts };
    } else if (event.type === 'device-online' && device) {
      device.health = 'online';
    } else if ((event.type === 'bus-down' || event.type === 'bus-up') && typeof event.bus === 'string') {
      const bus = this.buses.get(event.bus) ?? { id: event.bus, port: String(event.port ?? event.bus), up: true, downSince: undefined, lastError: undefined };
      bus.up = event.type === 'bus-up';
      bus.downSince = bus.up ? undefined : event.ts;
      if (typeof event.error === 'string') bus.lastError = event.error;
      this.buses.set(bus.id, bus);
    } else if (event.type === 'snapshot' && event.device !== undefined && typeof event.snapshot === 'string') {
      const sha256 = event.snapshot.replace(/^sha256:/, '');
      // Kept now: once the cloud has it, the pole deletes it (snapshot-store.ts).
      this.cameras.set(event.device, { device: event.device, ts: event.ts, sha256, jpeg: this.agent.snapshotBytes(sha256) });
    }
  }
}
