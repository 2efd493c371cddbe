// Polls each device on its own interval (docs/manifest.md, `buses` and `devices`). Each device has its own loop, so a
// slow or dead device never delays another; a device's next poll starts only when its last one ended.
// Polls keep step on a grid anchored at start (start + k × pollMs), not on "the last poll + pollMs",
// and one timer serves all devices: devices with the same interval are polled in the same instant,
// so a round of a pole's polls costs one wake-up of the process, its samples are taken together, and
// the round never drifts by the timers' lateness. `onIdle` tells when the last poll in progress has
// ended: the round is complete. The anchor is the agent's start, not the wall clock's second, so a
// city's poles do not all publish in the same millisecond.
// A device that fails `offlineAfter` polls in a row (opening counts as a poll) goes offline (an event)
// and is retried with a capped exponential backoff; its first good poll after that brings it online.
import type { Clock, Driver, Logger, Sample } from '../drivers/sdk/types.js';
import { backoffMs } from './backoff.js';

export interface ScheduledDevice {
  id: string;
  driver: Driver;
  pollMs: number;
}

export interface DeviceStateEvent {
  type: 'device-online' | 'device-offline';
  device: string;
  ts: number;
  /** device-offline: the last error, for the operator. */
  error?: string;
}

export interface SchedulerOptions {
  clock: Clock;
  log: Logger;
  onSamples: (device: string, samples: Sample[]) => void;
  onEvent: (event: DeviceStateEvent) => void;
  /** No poll is in progress any more: every device polled in this round has been handed over. */
  onIdle?: () => void;
  /** A poll ended: how long it took (open and read), and its failure if it failed. For the status page's counts. */
  onPolled?: (device: string, ms: number, error?: Error) => void;
  /** Failed polls in a row before a device is declared offline. */
  offlineAfter?: number;
  /** Largest delay between retries of an offline device, ms. */
  maxBackoffMs?: number;
  /** A poll (open or read) that has not settled after this long counts as failed, ms. */
  pollTimeoutMs?: number;
}

interface DeviceLoop extends ScheduledDevice {
  opened: boolean;
  /** Failed polls in a row; at `offlineAfter` and beyond, the device is offline. */
  failures: number;
  /** A driver call is still running (possibly past its timeout): never start another. */
  busy: boolean;
  /** A poll (open, read, hand-over) is in progress. */
  polling: boolean;
  /** When the last poll started. */
  started?: number;
  /** When the next poll is due (clock ms); unset while a poll is in progress. */
  due?: number;
  tick?: Promise<Sample[] | Error>;
}

export class Scheduler {
  private readonly loops: DeviceLoop[];
  private stopped = false;
  private readonly offlineAfter: number;
  private readonly maxBackoffMs: number;
  private readonly pollTimeoutMs: number;
  /** The grid's origin: polls are due at anchor + k × pollMs. */
  private anchor = 0;
  /** The one timer, set for the earliest `due`. */
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  constructor(devices: ScheduledDevice[], private readonly opts: SchedulerOptions) {
    this.loops = devices.map((d) => ({ ...d, opened: false, failures: 0, busy: false, polling: false }));
    this.offlineAfter = opts.offlineAfter ?? 3;
    this.maxBackoffMs = opts.maxBackoffMs ?? 60_000;
    this.pollTimeoutMs = opts.pollTimeoutMs ?? 30_000;
  }

  start(): void {
    this.anchor = this.opts.clock.now();
    for (const loop of this.loops) this.schedule(loop, this.anchor);
  }

  /** Whether the device is currently considered offline. */
  isOffline(device: string): boolean {
    const loop = this.loops.find((l) => l.id === device);
    return loop !== undefined && this.isDown(loop);
  }

  /**
   * Polls a device now, for a `poll` command: after the poll in progress, if any (never two at once).
   * Its next regular poll is the grid's next one at least half an interval away. The samples also go
   * to onSamples, as any poll's do.
   */
  async pollNow(device: string): Promise<Sample[]> {
    const loop = this.loopOf(device);
    while (loop.polling) await loop.tick;
    if (this.stopped) throw new Error('the agent is stopping');
    loop.due = undefined;
    this.arm();
    const outcome = await (loop.tick = this.poll(loop));
    if (outcome instanceof Error) throw outcome;
    return outcome;
  }

  /**
   * Closes and reopens a device's driver (a `restart-device` command): after the poll in progress,
   * with no poll while `close` runs; then the device is opened and polled at once, as by pollNow.
   * A close that fails is logged: the driver is opened afresh all the same.
   */
  async restart(device: string, close: () => Promise<void>): Promise<Sample[]> {
    const loop = this.loopOf(device);
    while (loop.polling) await loop.tick;
    loop.due = undefined;
    loop.polling = true;
    try {
      await close();
    } catch (err) {
      this.opts.log.warn({ device, err: (err as Error).message }, 'driver close failed on restart; opening it afresh');
    } finally {
      loop.opened = false;
      loop.polling = false;
    }
    return this.pollNow(device);
  }

  /** A new interval for a device (a `set-interval` command), from its last poll on; a device in backoff keeps its backoff. */
  setPollMs(device: string, pollMs: number): void {
    const loop = this.loopOf(device);
    loop.pollMs = pollMs;
    if (loop.polling || loop.started === undefined || this.isDown(loop)) return;
    this.schedule(loop, this.nextOnGrid(loop));
  }

  /**
   * The device's next poll: the first grid point at least half an interval after its last poll
   * started. Half, not whole: a poll started a little late (timers are) keeps its grid point, and one
   * started off the grid (a retry, a `poll` command) rejoins it at the next point not too soon after.
   * A poll that overran its interval is followed at once.
   */
  private nextOnGrid(loop: DeviceLoop): number {
    const { pollMs } = loop;
    return this.anchor + Math.ceil((loop.started! + pollMs / 2 - this.anchor) / pollMs) * pollMs;
  }

  /**
   * A device's driver failed outside any call (a throw in its timer, a promise it left rejected;
   * driver-faults.ts): that counts as a failed poll, and the driver is opened again at its next poll.
   */
  fault(device: string, err: Error): void {
    const loop = this.loopOf(device);
    loop.opened = false;
    this.failed(loop, err);
  }

  private isDown(loop: DeviceLoop): boolean {
    return loop.failures >= this.offlineAfter;
  }

  private loopOf(device: string): DeviceLoop {
    const loop = this.loops.find((l) => l.id === device);
    if (!loop) throw new Error(`no device ${device}`);
    return loop;
  }

  /** Stops polling and waits for polls in progress, at most `timeoutMs`. */
  async stop(timeoutMs = 2000): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.all(this.loops.map((l) => l.tick)), deadline]);
    clearTimeout(timer);
  }

  private schedule(loop: DeviceLoop, at: number): void {
    if (this.stopped) return;
    loop.due = at;
    this.arm();
  }

  /** Sets the timer for the earliest poll due. */
  private arm(): void {
    let next = Infinity;
    for (const loop of this.loops) if (loop.due !== undefined && loop.due < next) next = loop.due;
    if (next === this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = next === Infinity ? undefined : setTimeout(() => this.wake(), Math.max(0, next - this.opts.clock.now()));
  }

  /**
   * Starts every poll that is due, all before any of them can end (a poll ends in a later turn at the
   * earliest), so that onIdle cannot fire between the polls of one round.
   */
  private wake(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    // Timers and the clock round milliseconds differently: due within one is due.
    const dueBy = this.opts.clock.now() + 1;
    for (const loop of this.loops) {
      if (loop.due === undefined || loop.due > dueBy) continue;
      loop.due = undefined;
      loop.tick = this.poll(loop);
    }
    this.arm();
  }

  /**
   * A driver call with a deadline; the device stays busy until the call itself returns, even late.
   * One promise per call, not a race of two with `finally`s: this runs for every poll, and the race's
   * extra promises measured 2 % more of an idle pole's instructions (callgrind) and a few % more CPU.
   */
  private call<T>(loop: DeviceLoop, what: () => Promise<T>): Promise<T> {
    if (loop.busy) return Promise.reject(new Error(`its previous call has not returned after ${this.pollTimeoutMs} ms`));
    loop.busy = true;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer within ${this.pollTimeoutMs} ms`)), this.pollTimeoutMs);
      const settle = () => {
        loop.busy = false;
        clearTimeout(timer);
      };
      let running: Promise<T>;
      try {
        running = what();
      } catch (err) {
        // A driver that throws instead of rejecting.
        running = Promise.reject(err);
      }
      running.then((value) => {
        settle();
        resolve(value);
      }, (err: unknown) => {
        settle();
        reject(err);
      });
    });
  }

  /** One poll; resolves with its samples or its failure, never rejects. */
  private async poll(loop: DeviceLoop): Promise<Sample[] | Error> {
    loop.polling = true;
    try {
      return await this.pollOnce(loop);
    } finally {
      loop.polling = false;
      if (!this.stopped && !this.loops.some((l) => l.polling)) this.opts.onIdle?.();
    }
  }

  private async pollOnce(loop: DeviceLoop): Promise<Sample[] | Error> {
    const { clock, log } = this.opts;
    loop.started = clock.now();
    let samples: Sample[] | undefined;
    let failure: Error | undefined;
    try {
      if (!loop.opened) {
        await this.call(loop, () => loop.driver.open());
        loop.opened = true;
      }
      samples = await this.call(loop, () => loop.driver.read());
    } catch (err) {
      this.failed(loop, err);
      failure = err instanceof Error ? err : new Error(String(err));
    }
    if (this.stopped) return failure ?? new Error('the agent is stopping');
    this.opts.onPolled?.(loop.id, clock.now() - loop.started, failure);
    if (samples) {
      const wasDown = this.isDown(loop);
      loop.failures = 0;
      if (wasDown) {
        log.info({ device: loop.id }, 'device online');
        this.opts.onEvent({ type: 'device-online', device: loop.id, ts: clock.now() });
      }
      this.opts.onSamples(loop.id, samples);
    }
    this.schedule(loop, this.isDown(loop)
      ? clock.now() + backoffMs(loop.pollMs, this.maxBackoffMs, loop.failures - this.offlineAfter)
      : this.nextOnGrid(loop));
    return samples ?? failure!;
  }

  private failed(loop: DeviceLoop, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    loop.failures++;
    this.opts.log.debug({ device: loop.id, failures: loop.failures, err: message }, loop.opened ? 'read failed' : 'open failed');
    if (loop.failures === this.offlineAfter) {
      this.opts.log.warn({ device: loop.id, err: message }, 'device offline');
      this.opts.onEvent({ type: 'device-offline', device: loop.id, ts: this.opts.clock.now(), error: message });
    }
  }
}
