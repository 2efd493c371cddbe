// The pole agent: wires drivers → scheduler → normalizer → rules and report filter → outbox → uplink
// (DESIGN.md, "Edge agent data flow"). Everything here is plumbing; each step lives in its own module.
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import pino from 'pino';
import type { LoadedManifest } from '../config/loaded.js';
import { DEFAULT_TOPIC_ROOT } from '../contract/topics.js';
import type { Clock, DriverEvent, Sample } from '../drivers/sdk/types.js';
import { DeviceSlot } from './device-slot.js';
import { describeForBirth, normalizeSamples } from './normalizer.js';
import { Outbox, type Alarm, type OutboxEvent } from './outbox.js';
import { ReportFilter } from './report-filter.js';
import { RuleEngine, type AlarmTransition } from './rules.js';
import { Scheduler, type DeviceStateEvent, type SchedulerOptions } from './scheduler.js';
import { Uplink, type UplinkOptions } from './uplink.js';
import { agentVersion } from './version.js';
import { birthPayload } from './wire.js';

export interface EdgeAgentOptions {
  log?: pino.Logger;
  version?: string;
  clock?: Clock;
  /** Tuning of the uplink (window, batch limits, reconnect backoff). */
  uplink?: Pick<UplinkOptions, 'window' | 'maxReadings' | 'maxBytes' | 'backoffMs'>;
  /** Tuning of the scheduler (offline threshold, retry backoff, poll timeout). */
  scheduler?: Pick<SchedulerOptions, 'offlineAfter' | 'maxBackoffMs' | 'pollTimeoutMs'>;
  /** How often the outbox WAL is synced and checkpointed, ms: the most a power cut can take. */
  checkpointMs?: number;
  /** Time allowed at close for the backlog to leave, ms. */
  flushMs?: number;
}

const DEFAULT_POLL_MS = 5000;

/** Camera snapshots on alarms come later: the rule's camera name is not a blob ref, so it is dropped. */
function withoutSnapshot({ snapshot: _camera, ...alarm }: AlarmTransition): Alarm {
  return alarm;
}

/** Where the outbox lives: buffer.path (relative to the manifest), else ./data/<pole>/outbox.db. */
export function outboxPath(loaded: LoadedManifest): string {
  const configured = loaded.manifest.buffer?.path;
  return configured ? resolve(dirname(loaded.file), configured) : resolve('data', loaded.manifest.pole.id, 'outbox.db');
}

export class EdgeAgent extends EventEmitter {
  readonly bootId = randomUUID();
  private readonly log: pino.Logger;
  private readonly clock: Clock;
  private readonly slots = new Map<string, DeviceSlot>();
  private readonly outbox: Outbox;
  private readonly uplink: Uplink;
  private readonly scheduler: Scheduler;
  private readonly rules: RuleEngine;
  private readonly reportFilter: ReportFilter;
  private readonly checkpointTimer: NodeJS.Timeout;
  private readonly flushMs: number;
  private lastBirth = '';
  private closed: Promise<void> | undefined;

  constructor(private readonly loaded: LoadedManifest, opts: EdgeAgentOptions = {}) {
    super();
    const { manifest } = loaded;
    this.log = opts.log ?? pino({ level: 'silent' });
    this.clock = opts.clock ?? { now: () => Date.now() };
    const version = opts.version ?? agentVersion();
    this.rules = new RuleEngine(manifest.rules ?? []);
    this.reportFilter = new ReportFilter(manifest.report);
    this.outbox = Outbox.open(outboxPath(loaded));
    try {
      for (const device of loaded.devices) {
        const id = device.config.id;
        const context = { deviceId: id, log: this.log.child({ device: id }), clock: this.clock, timeoutMs: Number(device.options.timeoutMs ?? 1000) };
        this.slots.set(id, new DeviceSlot(
          () => device.factory.create(device.options, context),
          (event) => this.onDriverEvent(id, event),
          () => this.rebirth(),
        ));
      }
      const uplink = manifest.uplink;
      this.uplink = new Uplink(this.outbox, {
        pole: manifest.pole.id,
        urls: uplink.urls ?? (uplink.url ? [uplink.url] : []),
        username: uplink.username,
        password: uplink.password,
        tls: uplink.tls,
        topicRoot: uplink.topicRoot ?? DEFAULT_TOPIC_ROOT,
        keepaliveS: uplink.keepaliveS,
        bootId: this.bootId,
        birth: () => (this.lastBirth = this.birth(version)),
        clock: this.clock,
        log: this.log.child({ part: 'uplink' }),
        ...opts.uplink,
      });
    } catch (err) {
      this.outbox.close();
      throw err;
    }
    this.uplink.on('connected', (url) => this.emit('connected', url));
    this.uplink.on('disconnected', (reason) => this.emit('disconnected', reason));
    this.uplink.on('sent', (sent) => this.emit('sent', sent));
    this.scheduler = new Scheduler(
      loaded.devices.map((d) => ({ id: d.config.id, driver: this.slots.get(d.config.id)!, pollMs: d.config.pollMs ?? DEFAULT_POLL_MS })),
      { clock: this.clock, log: this.log.child({ part: 'scheduler' }), onSamples: (id, samples) => this.onSamples(id, samples), onEvent: (e) => this.onStateEvent(e), ...opts.scheduler },
    );
    this.checkpointTimer = setInterval(() => this.outbox.checkpoint(), opts.checkpointMs ?? 10_000).unref();
    this.flushMs = opts.flushMs ?? 2000;
  }

  start(): void {
    const { stream, nextSeq, pending } = this.outbox.stats();
    this.log.info({ pole: this.loaded.manifest.pole.id, stream, nextSeq, pending, devices: this.slots.size }, 'edge agent starting');
    this.uplink.start();
    this.scheduler.start();
  }

  get stream(): string {
    return this.outbox.stream;
  }

  outboxStats(): ReturnType<Outbox['stats']> {
    return this.outbox.stats();
  }

  private birth(version: string): string {
    const { pole } = this.loaded.manifest;
    const devices = this.loaded.devices.map((d) => {
      let description = { metrics: [] } as ReturnType<DeviceSlot['describe']>;
      try {
        description = this.slots.get(d.config.id)!.describe();
      } catch (err) {
        this.log.warn({ device: d.config.id, err: (err as Error).message }, 'describe failed; birth lists the device without metrics');
      }
      return describeForBirth(d.config.id, d.config.driver, description);
    });
    return birthPayload({
      pole: pole.id,
      ts: this.clock.now(),
      bootId: this.bootId,
      agent: { version },
      ...(pole.componentCode ? { componentCode: pole.componentCode } : {}),
      ...(pole.location ? { location: pole.location } : {}),
      configHash: this.loaded.configHash,
      devices,
    });
  }

  /** A device became known after the birth went out: announce it again (the birth is retained). */
  private rebirth(): void {
    if (this.lastBirth) this.uplink.republishBirth();
  }

  /** One poll: alarms are committed ahead of the poll's readings, which pass the report filter. */
  private onSamples(device: string, samples: Sample[]): void {
    const readings = normalizeSamples(device, samples);
    const alarms = readings.flatMap((r) => this.rules.evaluate(r)).map(withoutSnapshot);
    const toSend = readings.filter((r) => this.reportFilter.shouldSend(r));
    try {
      for (const alarm of alarms) this.outbox.appendAlarm(alarm);
      this.outbox.appendReadings(toSend);
    } catch (err) {
      this.log.error({ device, err: (err as Error).message }, 'cannot write to the outbox');
      return;
    }
    for (const alarm of alarms) {
      this.log.warn({ alarm }, `alarm ${alarm.state}`);
      this.emit('alarm', alarm);
    }
    for (const reading of readings) this.emit('reading', reading);
    this.uplink.kick();
  }

  private appendEvent(event: OutboxEvent): void {
    try {
      this.outbox.appendEvent(event);
    } catch (err) {
      this.log.error({ event: event.type, err: (err as Error).message }, 'cannot write an event to the outbox');
      return;
    }
    this.emit('event', event);
    this.uplink.kick();
  }

  private onStateEvent(event: DeviceStateEvent): void {
    this.appendEvent(event.error === undefined ? { type: event.type, device: event.device, ts: event.ts } : { ...event });
  }

  private onDriverEvent(device: string, event: DriverEvent): void {
    this.appendEvent({ ...event, device });
  }

  /** Stops polling, closes drivers, sends what it can quickly, marks the pole offline, closes the outbox. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.scheduler.stop();
      await Promise.all([...this.slots].map(async ([id, slot]) => {
        try {
          await slot.close();
        } catch (err) {
          this.log.warn({ device: id, err: (err as Error).message }, 'driver close failed');
        }
      }));
      await this.uplink.close(this.flushMs);
      clearInterval(this.checkpointTimer);
      this.outbox.close();
      this.log.info('edge agent stopped');
    })();
    return this.closed;
  }
}

export async function startEdgeAgent(loaded: LoadedManifest, opts: EdgeAgentOptions = {}): Promise<EdgeAgent> {
  const agent = new EdgeAgent(loaded, opts);
  agent.start();
  return agent;
}
