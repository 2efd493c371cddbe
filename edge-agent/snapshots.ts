// Taking camera snapshots (docs/manifest.md, "Snapshots"): periodically for devices with
// `snapshotMs`, on the `snapshot` command, and for alarms of rules with `snapshot: <camera>`. Every
// picture is kept in the snapshot store and announced by the message that refers to it (a `snapshot`
// event, or the alarm itself), which leaves first; the picture follows once the broker has that
// message. A picture that cannot be had is reported as a `snapshot-failed` event with the reason.
//
// An alarm waits for its picture at most the rule's snapshotWaitMs (SNAPSHOT_WAIT_MS by default),
// and then leaves without it: a camera that is slow or gone never holds back an alarm longer than
// that bound. A picture that comes later (within SNAPSHOT_TIMEOUT_MS) is still kept, announced by a
// `snapshot` event naming the alarm. With snapshotWaitMs 0 the alarm never waits: it leaves as fast
// as one without a picture, and its picture always follows that way.
import type { Alarm, OutboxEvent } from './outbox.js';
import type { Clock, Driver, Logger } from '../drivers/sdk/types.js';
import type { SnapshotEvent, SnapshotFailedEvent } from '../contract/schemas.js';
import { GapTally } from './gap.js';
import type { AlarmTransition } from './rules.js';
import type { DroppedSnapshot, SnapshotStore } from './snapshot-store.js';

/** How long a raised alarm waits for its picture by default, ms. */
export const SNAPSHOT_WAIT_MS = 1500;
/** How long a periodic or commanded snapshot may take, ms. */
export const SNAPSHOT_TIMEOUT_MS = 10_000;

type Cause = SnapshotEvent['cause'];

export interface SnapshotHost {
  /** The device's driver, once created. */
  driver(device: string): Driver | undefined;
  store: SnapshotStore;
  clock: Clock;
  log: Logger;
  /** Commits an event to the outbox (through the agent's hold); `committed` learns its seq. */
  event(event: OutboxEvent, committed?: (seq: number | null) => void): void;
}

/** An alarm ready for the outbox: with its picture (and the link to make once committed), or with the reason why not. */
export interface AlarmWithSnapshot {
  alarm: Alarm;
  committed?: (seq: number | null) => void;
  failed?: SnapshotFailedEvent;
}

class Timeout extends Error {}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Timeout(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

export function blobRef(sha256: string): string {
  return `sha256:${sha256}`;
}

export class Snapshots {
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;
  /** Devices whose periodic snapshot failed last time: reported once per failing spell. */
  private readonly failing = new Set<string>();

  constructor(private readonly host: SnapshotHost) {}

  /** One picture from the device, bounded by `timeoutMs`; rejects with the reason. */
  private async take(device: string, timeoutMs: number): Promise<Buffer> {
    const driver = this.host.driver(device);
    if (!driver) throw new Error(`device ${device} has not connected yet`);
    if (!driver.snapshot) throw new Error(`the driver of device ${device} takes no snapshots`);
    const taking = driver.snapshot();
    // A picture that comes after the bound is dropped; its failure too.
    taking.catch(() => undefined);
    return within(taking, timeoutMs, `camera ${device}`);
  }

  /** Keeps a picture; what the budget dropped for it is reported as gap events. Returns its sha256. */
  private keep(device: string, bytes: Buffer, ts: number): string {
    const { sha256, dropped } = this.host.store.put(bytes, device, ts);
    this.reportDropped(dropped, 'buffer-full');
    return sha256;
  }

  private reportDropped(dropped: DroppedSnapshot[], reason: 'buffer-full' | 'expired'): void {
    if (dropped.length === 0) return;
    const tally = new GapTally();
    for (const d of dropped) tally.add('snapshot', d.device, 'snapshot', d.ts);
    this.host.log.warn({ count: dropped.length, reason }, 'snapshots dropped before they were sent');
    for (const gap of tally.take(reason, this.host.clock.now())) this.host.event(gap);
  }

  /** Drops snapshots past buffer.snapshots.maxAgeMs (called periodically by the agent). */
  expire(): void {
    this.reportDropped(this.host.store.expire(), 'expired');
  }

  /** Takes, keeps and announces (a `snapshot` event) one picture; rejects with the reason. */
  async capture(device: string, cause: Cause, timeoutMs = SNAPSHOT_TIMEOUT_MS): Promise<{ snapshot: string; size: number }> {
    return this.announce(device, await this.take(device, timeoutMs), cause);
  }

  private announce(device: string, bytes: Buffer, cause: Cause, alarm?: string): { snapshot: string; size: number } {
    const ts = this.host.clock.now();
    const sha256 = this.keep(device, bytes, ts);
    const event: SnapshotEvent = { type: 'snapshot', device, ts, snapshot: blobRef(sha256), size: bytes.length, cause, ...(alarm === undefined ? {} : { alarm }) };
    this.host.event(event, (seq) => this.host.store.link(sha256, seq));
    return { snapshot: event.snapshot, size: bytes.length };
  }

  /**
   * The alarm with the picture taken at its raise, or without it (and, unless `waitMs` is 0, a
   * snapshot-failed event saying why) after at most `waitMs`; a later picture follows on its own.
   */
  async forAlarm(transition: AlarmTransition, waitMs = SNAPSHOT_WAIT_MS): Promise<AlarmWithSnapshot> {
    const { snapshot: camera, ...alarm } = transition;
    if (camera === undefined) return { alarm };
    const failed = (reason: string): SnapshotFailedEvent => ({ type: 'snapshot-failed', device: camera, ts: this.host.clock.now(), cause: 'alarm', alarm: alarm.id, reason });
    const taking = this.take(camera, SNAPSHOT_TIMEOUT_MS);
    let late = false;
    try {
      const bytes = await (waitMs > 0 ? within(taking, waitMs, `camera ${camera}`) : Promise.reject(new Timeout('no wait')));
      const sha256 = this.keep(camera, bytes, this.host.clock.now());
      return { alarm: { ...alarm, snapshot: blobRef(sha256) }, committed: (seq) => this.host.store.link(sha256, seq) };
    } catch (err) {
      late = err instanceof Timeout;
      // Not waiting at all is no failure: the picture follows (or its failure is reported then).
      return this.without(alarm, camera, late && waitMs === 0 ? undefined : failed((err as Error).message));
    } finally {
      // The picture that comes after the alarm left is still the picture of its raise.
      if (late) {
        taking.then((bytes) => {
          if (!this.stopped) this.announce(camera, bytes, 'alarm', alarm.id);
        }, (err: Error) => {
          if (!this.stopped && waitMs === 0) this.host.event(failed(err.message));
        }).catch((err: Error) => this.host.log.warn({ alarm: alarm.id, err: err.message }, 'late snapshot not kept'));
      }
    }
  }

  private without(alarm: Alarm, camera: string, failed: SnapshotFailedEvent | undefined): AlarmWithSnapshot {
    if (failed) this.host.log.warn({ alarm: alarm.id, device: camera, reason: failed.reason }, 'alarm leaves without its snapshot');
    return failed ? { alarm, failed } : { alarm };
  }

  /** Periodic snapshots of the devices with `snapshotMs`. */
  start(devices: Array<{ id: string; snapshotMs: number }>): void {
    for (const { id, snapshotMs } of devices) {
      this.timers.push(setInterval(() => void this.periodic(id, Math.min(snapshotMs, SNAPSHOT_TIMEOUT_MS)), snapshotMs));
    }
  }

  private async periodic(device: string, timeoutMs: number): Promise<void> {
    try {
      await this.capture(device, 'periodic', timeoutMs);
      this.failing.delete(device);
    } catch (err) {
      const reason = (err as Error).message;
      this.host.log.warn({ device, reason }, 'periodic snapshot failed');
      if (this.failing.has(device)) return;
      this.failing.add(device);
      const failed: SnapshotFailedEvent = { type: 'snapshot-failed', device, ts: this.host.clock.now(), cause: 'periodic', reason };
      this.host.event(failed);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
  }
}
