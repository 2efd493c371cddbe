// The pole agent: wires drivers → scheduler → normalizer → rules and report filter → outbox → uplink
// (edge-agent/README.md). Everything here is plumbing; each step lives in its own module.
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import pino from 'pino';
import type { LoadedManifest } from '../config/loaded.js';
import { parseSize } from '../config/size.js';
import { DEFAULT_TOPIC_ROOT } from '../contract/topics.js';
import type { Clock, DriverEvent, Sample } from '../drivers/sdk/types.js';
import { BusTransports } from './bus-transports.js';
import { DeviceSlot } from './device-slot.js';
import { DriverFaults } from './driver-faults.js';
import { describeForBirth, normalizeSamples, unknownUnits } from './normalizer.js';
import { MemoryHold } from './memory-hold.js';
import { Outbox, type Alarm, type OutboxEvent } from './outbox.js';
import type { NormalizedReading } from './reading.js';
import { ReportFilter } from './report-filter.js';
import { AlarmState, alarmStatePath } from './alarm-state.js';
import { LogLevelControl } from './log-level.js';
import { RuleEngine, type AlarmTransition } from './rules.js';
import { Scheduler, type DeviceStateEvent, type SchedulerOptions } from './scheduler.js';
import { CommandRunner } from './commands.js';
import type { ApplyConfigArgs } from './command-checks.js';
import { DEFAULT_SNAPSHOT_BUDGET, SnapshotStore, snapshotPath } from './snapshot-store.js';
import { Snapshots, type AlarmWithSnapshot } from './snapshots.js';
import { Uplink, type UplinkOptions } from './uplink.js';
import { agentVersion } from './version.js';
import { birthPayload } from './wire.js';

export interface EdgeAgentOptions {
  log?: pino.Logger;
  version?: string;
  clock?: Clock;
  /** Tuning of the uplink (window, batch limits, reconnect backoff, telemetry linger). */
  uplink?: Pick<UplinkOptions, 'window' | 'windowBytes' | 'maxReadings' | 'maxBytes' | 'backoffMs' | 'lingerMs'>;
  /** Tuning of the scheduler (offline threshold, retry backoff, poll timeout). */
  scheduler?: Pick<SchedulerOptions, 'offlineAfter' | 'maxBackoffMs' | 'pollTimeoutMs'>;
  /** How often the outbox WAL is synced and checkpointed, ms: the most a power cut can take. */
  checkpointMs?: number;
  /** Time allowed at close for the backlog to leave, ms. */
  flushMs?: number;
  /** Runs an `apply-config` command (config-apply.ts); without it the command is UNSUPPORTED. */
  applyConfig?: (args: ApplyConfigArgs) => Promise<unknown>;
  /** Where cmd/result payloads go; the agent's own uplink by default (config-apply.ts routes them to the live agent). */
  publishResult?: (result: string) => boolean;
  /** The `set-log-level` state, shared by the agents one process runs in turn; the agent's own by default. */
  logLevel?: LogLevelControl;
  /** Where the local status server listens, for the start-up log line. */
  statusUrl?: string;
}

/** What the local status page (edge-agent/status/) reads when it is asked; the rest it learns from the agent's events. */
export interface AgentFacts {
  outbox: ReturnType<Outbox['stats']>;
  /** `ts` of the oldest message the broker has not acknowledged yet. */
  oldestPendingTs: number | undefined;
  uplink: Uplink['counts'] & { inFlight: number };
  snapshots: ReturnType<SnapshotStore['stats']>;
}

const DEFAULT_POLL_MS = 5000;
/**
 * The telemetry of a round of polls shares one outbox commit, made when the round ends (no poll in
 * progress: the scheduler's onIdle) or this long after the round's first readings, whichever comes
 * first, so that a slow device does not hold back the others' readings. Devices on the same interval
 * are polled together (scheduler.ts), and one transaction and one publish per round instead of one
 * per device is most of the agent's disk writes and a good part of its CPU on an idle pole.
 */
const COMMIT_GROUP_MS = 20;

/** Where the outbox lives: buffer.path (relative to the manifest), else ./data/<pole>/outbox.db. */
export function outboxPath(loaded: LoadedManifest): string {
  const configured = loaded.manifest.buffer?.path;
  return configured ? resolve(dirname(loaded.file), configured) : resolve('data', loaded.manifest.pole.id, 'outbox.db');
}

/** Paths of a manifest section as the agent opens them: absolute as given, relative from the manifest's folder. */
function manifestPaths<T extends Record<string, string | undefined>>(loaded: LoadedManifest, paths: T): T {
  return Object.fromEntries(Object.entries(paths).map(([key, file]) => [key, file === undefined ? file : resolve(dirname(loaded.file), file)])) as T;
}

export class EdgeAgent extends EventEmitter {
  readonly bootId = randomUUID();
  private readonly log: pino.Logger;
  private readonly clock: Clock;
  private readonly slots = new Map<string, DeviceSlot>();
  /** Pins what a driver throws outside a call on its device (driver-faults.ts). */
  private readonly faults: DriverFaults;
  /** Serial buses and serial servers, shared by the devices on them. */
  private readonly buses: BusTransports;
  private readonly outbox: Outbox;
  private readonly snapshotStore: SnapshotStore;
  private readonly snapshots: Snapshots;
  /** Alarms waiting for their camera's picture, and every alarm after them, in order (see onSamples). */
  private alarmChain: Promise<void> = Promise.resolve();
  private alarmsWaiting = 0;
  private readonly uplink: Uplink;
  private readonly scheduler: Scheduler;
  private readonly commands: CommandRunner;
  private readonly rules: RuleEngine;
  /** The rules' memory across restarts (alarm-state.ts). */
  private readonly alarmState: AlarmState;
  private alarmStateFault = false;
  /** Ticks the stale rules, when there are any. */
  private staleTimer: NodeJS.Timeout | undefined;
  private readonly logLevel: LogLevelControl;
  private readonly ownsLogLevel: boolean;
  private readonly reportFilter: ReportFilter;
  private readonly checkpointTimer: NodeJS.Timeout;
  private groupTimer: NodeJS.Timeout | undefined;
  /** Readings of the round's polls, announced once committed (commitRound). */
  private polled: NormalizedReading[] = [];
  private readonly flushMs: number;
  private readonly statusUrl: string | undefined;
  /** What the outbox could not take yet; see memory-hold.ts. */
  private readonly hold = new MemoryHold();
  /** device/unit pairs already warned about as outside the unit table. */
  private readonly warnedUnits = new Set<string>();
  /** Why the outbox refuses writes, while it does. */
  private outboxFault: string | undefined;
  private closed: Promise<void> | undefined;

  constructor(private readonly loaded: LoadedManifest, opts: EdgeAgentOptions = {}) {
    super();
    const { manifest } = loaded;
    this.log = opts.log ?? pino({ level: 'silent' });
    this.clock = opts.clock ?? { now: () => Date.now() };
    const version = opts.version ?? agentVersion();
    this.rules = new RuleEngine(manifest.rules ?? []);
    this.reportFilter = new ReportFilter(manifest.report);
    const maxBytes = manifest.buffer?.maxBytes;
    this.buses = new BusTransports(manifest.buses ?? [], { clock: this.clock, log: this.log.child({ part: 'bus' }), onEvent: (event) => this.appendEvent(event) });
    this.faults = new DriverFaults(this.log.child({ part: 'drivers' }), (id, err) => this.onDriverFault(id, err));
    this.outbox = Outbox.open(outboxPath(loaded), { now: () => this.clock.now(), ...(maxBytes === undefined ? {} : { maxBytes: parseSize(maxBytes) }) });
    const snap = manifest.buffer?.snapshots;
    try {
      this.alarmState = AlarmState.open(alarmStatePath(outboxPath(loaded)));
    } catch (err) {
      this.outbox.close();
      throw err;
    }
    try {
      this.snapshotStore = SnapshotStore.open(snapshotPath(outboxPath(loaded)), {
        maxBytes: snap?.maxBytes === undefined ? DEFAULT_SNAPSHOT_BUDGET.maxBytes : parseSize(snap.maxBytes),
        maxAgeMs: snap?.maxAgeMs ?? DEFAULT_SNAPSHOT_BUDGET.maxAgeMs,
        maxSnapshotBytes: snap?.maxSnapshotBytes === undefined ? DEFAULT_SNAPSHOT_BUDGET.maxSnapshotBytes : parseSize(snap.maxSnapshotBytes),
      }, () => this.clock.now());
    } catch (err) {
      this.alarmState.close();
      this.outbox.close();
      throw err;
    }
    this.snapshots = new Snapshots({
      driver: (id) => this.slots.get(id)?.created,
      store: this.snapshotStore,
      clock: this.clock,
      log: this.log.child({ part: 'snapshots' }),
      event: (event, committed) => this.appendEvent(event, committed),
    });
    try {
      for (const device of loaded.devices) {
        const id = device.config.id;
        const timeoutMs = Number(device.options.timeoutMs ?? 1000);
        const transport = this.buses.forDevice(id, device.config.bus, { timeoutMs, retries: Number(device.options.retries ?? 0) });
        const context = { deviceId: id, log: this.log.child({ device: id }), clock: this.clock, timeoutMs, transport, stateDir: dirname(outboxPath(loaded)) };
        this.slots.set(id, new DeviceSlot(
          () => device.factory.create(device.options, context),
          (event) => this.onDriverEvent(id, event),
          // A device became known after the birth went out: announce it again (the birth is retained).
          () => this.uplink.republishBirth(),
          this.faults.scopeFor(id, device.config.driver),
        ));
      }
      const uplink = manifest.uplink;
      this.uplink = new Uplink(this.outbox, {
        pole: manifest.pole.id,
        urls: uplink.urls ?? (uplink.url ? [uplink.url] : []),
        username: uplink.username,
        password: uplink.password,
        tls: uplink.tls && manifestPaths(loaded, uplink.tls),
        topicRoot: uplink.topicRoot ?? DEFAULT_TOPIC_ROOT,
        keepaliveS: uplink.keepaliveS,
        bootId: this.bootId,
        birth: () => this.birth(version),
        clock: this.clock,
        log: this.log.child({ part: 'uplink' }),
        blobs: {
          next: () => this.snapshotStore.next((seq) => this.outbox.isPending(seq)),
          ack: (sha256) => this.snapshotStore.ack(sha256),
          release: (sha256) => this.snapshotStore.release(sha256),
        },
        ...opts.uplink,
      });
    } catch (err) {
      this.snapshotStore.close();
      this.alarmState.close();
      this.outbox.close();
      throw err;
    }
    this.uplink.on('connected', (url) => this.emit('connected', url));
    this.uplink.on('disconnected', (reason) => this.emit('disconnected', reason));
    this.uplink.on('sent', (sent) => this.emit('sent', sent));
    this.uplink.on('blob-sent', (sha256) => this.emit('blob-sent', sha256));
    this.scheduler = new Scheduler(
      loaded.devices.map((d) => ({ id: d.config.id, driver: this.slots.get(d.config.id)!, pollMs: d.config.pollMs ?? DEFAULT_POLL_MS })),
      { clock: this.clock, log: this.log.child({ part: 'scheduler' }), onSamples: (id, samples) => this.onSamples(id, samples), onEvent: (e) => this.onStateEvent(e), onIdle: () => this.onRoundEnd(), onPolled: (device, ms, error) => this.emit('polled', device, ms, error), ...opts.scheduler },
    );
    this.commands = new CommandRunner({
      clock: this.clock,
      log: this.log.child({ part: 'commands' }),
      device: (id) => (this.slots.has(id) ? { driver: this.slots.get(id)!.created, profile: loaded.devices.find((d) => d.config.id === id)?.profile } : undefined),
      deviceIds: () => [...this.slots.keys()],
      poll: async (id) => normalizeSamples(id, await this.scheduler.pollNow(id), loaded.units),
      setPollMs: (id, pollMs) => this.scheduler.setPollMs(id, pollMs),
      rebirth: () => this.uplink.republishBirth(),
      snapshot: (id) => this.snapshots.capture(id, 'command'),
      restartDevice: async (id) => normalizeSamples(id, await this.scheduler.restart(id, () => this.slots.get(id)!.drop()), loaded.units),
      setLogLevel: (level, forMs) => this.logLevel.set(level, forMs),
      ...(opts.applyConfig ? { applyConfig: opts.applyConfig } : {}),
      publish: opts.publishResult ?? ((result) => this.uplink.publishResult(result)),
    });
    this.uplink.on('command', (payload: Buffer) => void this.commands.handle(payload));
    this.checkpointTimer = setInterval(() => this.checkpoint(), opts.checkpointMs ?? 10_000).unref();
    this.flushMs = opts.flushMs ?? 2000;
    this.ownsLogLevel = opts.logLevel === undefined;
    this.logLevel = opts.logLevel ?? new LogLevelControl(this.log);
    this.statusUrl = opts.statusUrl;
  }

  start(): void {
    const { stream, nextSeq, pending } = this.outbox.stats();
    const status = this.statusUrl === undefined ? {} : { status: this.statusUrl };
    this.log.info({ pole: this.loaded.manifest.pole.id, config: this.loaded.file, devices: [...this.slots.keys()], ...status, stream, nextSeq, pending }, 'edge agent starting');
    this.faults.start();
    this.uplink.start();
    this.restoreRules();
    this.scheduler.start();
    this.snapshots.start(this.loaded.devices.flatMap((d) => (typeof d.options.snapshotMs === 'number' ? [{ id: d.config.id, snapshotMs: d.options.snapshotMs }] : [])));
  }

  /**
   * The rules take back what they remembered (active alarms and their ids, hold timers); the alarms of
   * rules the manifest no longer has are cleared now. Stale rules get their clock.
   */
  private restoreRules(): void {
    const orphans = this.rules.restore(this.alarmState.load(), this.clock.now());
    this.alarmState.keepOnly(this.rules.ruleIds());
    if (orphans.length > 0) this.raise(orphans.map((alarm) => ({ alarm: alarm as Alarm })));
    const staleMs = this.rules.shortestStaleMs;
    // A quarter of the shortest staleMs: a stale alarm is raised at most that late.
    if (staleMs !== undefined) this.staleTimer = setInterval(() => this.onTransitions(this.rules.tick(this.clock.now())), Math.min(5000, staleMs / 4)).unref();
  }

  /** Publishes a cmd/result on this agent's uplink; false when it is down. */
  publishResult(result: string): boolean {
    return this.uplink.publishResult(result);
  }

  /** Records an event of the agent's own (config-applied) in the outbox, as any event. */
  recordEvent(event: OutboxEvent & Record<string, unknown>): void {
    this.appendEvent(event);
  }

  get stream(): string {
    return this.outbox.stream;
  }

  outboxStats(): ReturnType<Outbox['stats']> {
    return this.outbox.stats();
  }

  facts(): AgentFacts {
    return {
      outbox: this.outbox.stats(),
      oldestPendingTs: this.outbox.oldestPendingTs(),
      uplink: { ...this.uplink.counts, inFlight: this.uplink.inFlightMessages },
      snapshots: this.snapshotStore.stats(),
    };
  }

  /** A snapshot's JPEG while it is still kept on the pole. */
  snapshotBytes(sha256: string): Buffer | undefined {
    return this.snapshotStore.bytes(sha256);
  }

  /** Snapshots kept on the pole, waiting for the cloud: how many, how many bytes. */
  snapshotStats(): ReturnType<SnapshotStore['stats']> {
    return this.snapshotStore.stats();
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
      for (const unit of unknownUnits(description, this.loaded.units)) {
        if (this.warnedUnits.has(`${d.config.id}/${unit}`)) continue;
        this.warnedUnits.add(`${d.config.id}/${unit}`);
        this.log.warn({ device: d.config.id, unit }, 'the driver reports a unit the manifest names nowhere, so it is not in the pole\'s unit table: its readings are sent as written, quality uncertain; state the unit in the device entry (unit:) so that it is checked and converted');
      }
      return describeForBirth(d.config.id, d.config.driver, description, this.loaded.units);
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

  /**
   * One poll: its readings that pass the report filter join the round's commit (COMMIT_GROUP_MS);
   * an alarm is committed at once, ahead of them, and leaves at once. Readings are announced
   * ('reading') once their commit has been made, as nothing may see a reading before the outbox has it.
   */
  private onSamples(device: string, samples: Sample[]): void {
    const readings = normalizeSamples(device, samples, this.loaded.units);
    const transitions = readings.flatMap((r) => this.rules.evaluate(r));
    this.hold.addReadings(readings.filter((r) => this.reportFilter.shouldSend(r)));
    for (const reading of readings) this.polled.push(reading);
    this.onTransitions(transitions);
  }

  /**
   * The rules' memory is written first (alarm-state.ts), then their alarms are committed: a raise
   * without a picture at once, ahead of the round's telemetry; one with a picture once it has it.
   */
  private onTransitions(transitions: AlarmTransition[]): void {
    this.saveRuleMemory();
    if (transitions.length > 0 && this.alarmsWaiting === 0 && transitions.every((t) => t.snapshot === undefined)) {
      this.raise(transitions.map((alarm) => ({ alarm: alarm as Alarm })));
      return;
    }
    // Telemetry waits for the rest of its round (onRoundEnd), a moment at most.
    this.groupTimer ??= setTimeout(() => this.commitRound(false), COMMIT_GROUP_MS);
    // An alarm with a picture waits for it (bounded: snapshots.ts); alarms after it wait their turn.
    // Each picture is asked for now, at its alarm's raise; only the commits are in turn.
    for (const transition of transitions) {
      const rule = this.loaded.manifest.rules?.find((r) => r.id === transition.rule);
      const ready = this.snapshots.forAlarm(transition, rule?.snapshotWaitMs);
      this.alarmsWaiting++;
      this.alarmChain = this.alarmChain
        .then(() => ready)
        .then((alarm) => this.raise([alarm]))
        .finally(() => this.alarmsWaiting--);
    }
  }

  /** A disk that refuses the alarm state is logged once; the rules run on from memory. */
  private saveRuleMemory(): void {
    try {
      this.alarmState.save(this.rules.changes());
      this.alarmStateFault = false;
    } catch (err) {
      if (!this.alarmStateFault) this.log.error({ err: (err as Error).message }, 'cannot write the alarm state; a restart now may raise an active alarm again');
      this.alarmStateFault = true;
    }
  }

  /** Commits alarms at once, ahead of the round's telemetry, and wakes the uplink. */
  private raise(alarms: AlarmWithSnapshot[]): void {
    for (const { alarm, committed, failed } of alarms) {
      this.hold.alarm(alarm, committed);
      if (failed) this.hold.event(failed);
    }
    this.commitRound(true);
    for (const { alarm, failed } of alarms) {
      this.log.warn({ alarm }, `alarm ${alarm.state}`);
      this.emit('alarm', alarm);
      if (failed) this.emit('event', failed);
    }
  }

  /** Every poll of the round has ended: its telemetry need not wait for the group timer. */
  private onRoundEnd(): void {
    if (this.groupTimer) this.commitRound(false);
  }

  /** Commits what the round's polls hold and wakes the uplink. */
  private commitRound(urgent: boolean): void {
    this.commitHeld();
    this.uplink.kick(urgent);
  }

  private appendEvent(event: OutboxEvent, committed?: (seq: number | null) => void): void {
    this.hold.event(event, committed);
    this.commitHeld();
    this.emit('event', event);
    this.uplink.kick(true);
  }

  /**
   * Commits what is held, whoever calls (a round's timer, an alarm, an event, the checkpoint, close),
   * then announces the readings polled so far: committed now, or held in memory while the disk refuses.
   */
  private commitHeld(): void {
    clearTimeout(this.groupTimer);
    this.groupTimer = undefined;
    this.tryCommit();
    const polled = this.polled;
    this.polled = [];
    for (const reading of polled) this.emit('reading', reading);
  }

  /**
   * While the outbox refuses writes (disk full, read-only, I/O errors, a budget full of alarms)
   * messages stay held in memory: the fault is logged and reported once (a `buffer-fault` event,
   * delivered when the outbox recovers), and every later commit retries.
   */
  private tryCommit(): void {
    try {
      this.hold.commitInto(this.outbox, this.clock.now());
    } catch (err) {
      const reason = (err as Error).message;
      if (this.outboxFault === undefined) {
        this.outboxFault = reason;
        this.log.error({ err: reason, held: this.hold.size }, 'cannot write to the outbox; holding messages in memory until it can');
        const fault = { type: 'buffer-fault', ts: this.clock.now(), error: reason };
        this.hold.event(fault);
        this.emit('event', fault);
      }
      return;
    }
    if (this.outboxFault !== undefined) {
      this.log.info({ was: this.outboxFault }, 'the outbox accepts writes again; held messages committed');
      this.outboxFault = undefined;
      this.emit('outbox-recovered');
    }
  }

  /** Bounds what a power cut can take; retries held messages even when no device is polled. */
  private checkpoint(): void {
    this.snapshots.expire();
    if (this.hold.size > 0) {
      this.commitHeld();
      this.uplink.kick(true);
    }
    try {
      this.outbox.checkpoint();
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'outbox checkpoint failed');
    }
  }

  private onStateEvent(event: DeviceStateEvent): void {
    this.appendEvent({ ...event });
  }

  /** The driver is dropped and created again at the device's next poll, which also counts the failure. */
  private onDriverFault(device: string, err: Error): void {
    this.slots.get(device)?.discard();
    this.scheduler.fault(device, err);
  }

  private onDriverEvent(device: string, event: DriverEvent): void {
    this.appendEvent({ ...event, device });
  }

  /** Stops polling, closes drivers, sends what it can quickly, marks the pole offline, closes the outbox. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.snapshots.stop();
      clearInterval(this.staleTimer);
      if (this.ownsLogLevel) this.logLevel.stop();
      await this.scheduler.stop();
      await this.alarmChain;
      await Promise.all([...this.slots].map(async ([id, slot]) => {
        try {
          await slot.close();
        } catch (err) {
          this.log.warn({ device: id, err: (err as Error).message }, 'driver close failed');
        }
      }));
      this.commitHeld();
      await this.buses.close();
      await this.uplink.close(this.flushMs);
      clearInterval(this.checkpointTimer);
      this.outbox.close();
      this.faults.stop();
      this.snapshotStore.close();
      this.alarmState.close();
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
