// One shared byte link (an RS-485 bus, or a serial server over TCP) and the devices on it
// (docs/manifest.md, `buses` and `devices`). One transaction on the wire at a time; devices take
// turns (round robin, FIFO within a device); each transaction has its device's timeout and retries;
// the line rests for the inter-frame gap between frames; a device may queue only a few transactions.
// A lost link fails what is queued at once (devices go offline by the scheduler's count), is
// reported `down`, reopened with backoff, and reported `up`; polling resumes by itself. Bytes that
// arrive while no transaction is on the wire go to listeners (streaming instruments), or are dropped.
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { PolegateError } from '../config/errors.js';
import type { BusFailure, ByteBus, FrameCheck, Logger } from '../drivers/sdk/types.js';
import { backoffMs } from './backoff.js';

/** The raw link under an arbiter: a serial port (serial-link.ts) or a TCP socket (tcp-link.ts). */
export interface ByteLink {
  write(bytes: Uint8Array): Promise<void>;
  onData(listener: (bytes: Buffer) => void): void;
  /** Called once if the link goes away by itself (port removed, socket closed). */
  onLost(listener: (err: Error) => void): void;
  close(): Promise<void>;
}

export interface BusArbiterOptions {
  /** Bus id (`rs485-1`), or host:port for a serial server. */
  id: string;
  /** Where the link goes (`/dev/ttyS1`, `10.0.0.7:4001`). */
  where: string;
  open: () => Promise<ByteLink>;
  /** Silence the line needs between frames, ms (3.5 characters on serial; 0 over TCP). */
  gapMs: number;
  log: Logger;
  /** Transactions one device may have pending (waiting or on the wire); more are refused as BUS_OVERRUN. */
  maxPendingPerDevice?: number;
  /** Reopen backoff after a loss: first and largest delay, ms. */
  reopenMs?: { min: number; max: number };
}

export interface DeviceTiming {
  timeoutMs: number;
  /** Further attempts after a timeout or a bad frame. */
  retries: number;
}

export interface BusStateEvent {
  bus: string;
  port: string;
  /** down: why. */
  error?: string;
}

interface Job extends DeviceTiming {
  device: string;
  request: Uint8Array;
  check: (received: Buffer) => FrameCheck;
  attempts: number;
  /**
   * Last bytes stepped over as no frame, and frames of other units ignored, for the failure message;
   * kept across retries (a retry starts on a clean line, but its message says what the unit sent).
   */
  invalid?: string;
  foreign?: string;
  timer?: NodeJS.Timeout;
  resolve: (frame: Buffer) => void;
  reject: (err: Error) => void;
}

type State = 'closed' | 'opening' | 'up' | 'down' | 'stopped';

export class BusArbiter extends EventEmitter {
  private state: State = 'closed';
  private link: ByteLink | undefined;
  private readonly queues = new Map<string, Job[]>();
  /** Devices with queued jobs, in the order they get the line. */
  private readonly turns: string[] = [];
  private active: Job | undefined;
  private received: Buffer = Buffer.alloc(0);
  /** When the line last carried a frame (performance.now()), for the inter-frame gap. */
  private lineFreeAt = 0;
  private gapTimer: NodeJS.Timeout | undefined;
  private reopenTimer: NodeJS.Timeout | undefined;
  /** Reopen attempts since the bus was last up, for the backoff. */
  private reopenAttempts = 0;
  private lastError = '';
  private readonly overrun = new Set<string>();
  private readonly idleListeners = new Set<(bytes: Buffer) => void>();
  private readonly maxPending: number;
  private readonly reopen: { min: number; max: number };
  /** Transactions answered since the start, for benches and the status page. */
  answered = 0;

  constructor(private readonly opts: BusArbiterOptions) {
    super();
    this.maxPending = opts.maxPendingPerDevice ?? 4;
    this.reopen = opts.reopenMs ?? { min: 250, max: 5000 };
  }

  get label(): string {
    return `${this.opts.id} at ${this.opts.where}`;
  }

  /** The bus as one device sees it: its transactions carry its id, timeout and retries. */
  handle(device: string, timing: DeviceTiming): ByteBus {
    return { label: this.label, transact: (request, check) => this.transact(device, timing, request, check), listen: (onBytes) => this.listen(onBytes) };
  }

  /** Bytes received while the line is idle go to `onBytes` until the returned function is called. */
  listen(onBytes: (bytes: Buffer) => void): () => void {
    this.idleListeners.add(onBytes);
    if (this.state === 'closed') void this.openLink();
    return () => this.idleListeners.delete(onBytes);
  }

  transact(device: string, timing: DeviceTiming, request: Uint8Array, check: (received: Buffer) => FrameCheck): Promise<Buffer> {
    if (this.state === 'stopped') return Promise.reject(this.failure('BUS_DOWN', `bus ${this.label} is closed`));
    if (this.state === 'down') return Promise.reject(this.downError());
    const pending = this.pendingOf(device);
    if (pending >= this.maxPending) {
      if (!this.overrun.has(device)) {
        this.overrun.add(device);
        this.opts.log.warn({ device, bus: this.opts.id, pending }, 'device cannot keep up with its interval on this bus; its extra transactions are refused');
        this.emit('overrun', { bus: this.opts.id, device, pending });
      }
      return Promise.reject(this.failure('BUS_OVERRUN', `device ${device} already has ${pending} transactions pending on bus ${this.label}; it cannot keep up with its interval`));
    }
    return new Promise((resolve, reject) => {
      this.enqueue({ device, ...timing, request, check, attempts: 0, resolve, reject }, false);
      if (this.state === 'closed') void this.openLink();
      else this.pump();
    });
  }

  /** Fails what is queued, closes the link; later transactions are refused. */
  async close(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    clearTimeout(this.gapTimer);
    clearTimeout(this.reopenTimer);
    this.failAll(this.failure('BUS_DOWN', `bus ${this.label} is closed`));
    const link = this.link;
    this.link = undefined;
    await link?.close();
  }

  private enqueue(job: Job, first: boolean): void {
    let queue = this.queues.get(job.device);
    if (!queue) this.queues.set(job.device, (queue = []));
    if (first) queue.unshift(job);
    else queue.push(job);
    if (!this.turns.includes(job.device)) this.turns.push(job.device);
  }

  private pendingOf(device: string): number {
    return (this.queues.get(device)?.length ?? 0) + (this.active?.device === device ? 1 : 0);
  }

  private next(): Job | undefined {
    const device = this.turns.shift();
    if (device === undefined) return undefined;
    const queue = this.queues.get(device)!;
    const job = queue.shift()!;
    if (queue.length > 0) this.turns.push(device);
    else this.queues.delete(device);
    return job;
  }

  private pump(): void {
    if (this.state !== 'up' || this.active || this.gapTimer || this.turns.length === 0) return;
    const rest = this.lineFreeAt + this.opts.gapMs - performance.now();
    if (rest > 0) {
      this.gapTimer = setTimeout(() => {
        this.gapTimer = undefined;
        this.pump();
      }, rest);
      return;
    }
    const job = this.next()!;
    this.active = job;
    job.attempts++;
    // Whatever arrived while the line was idle belongs to no one (a late answer, noise).
    this.received = Buffer.alloc(0);
    job.timer = setTimeout(() => this.expire(job), job.timeoutMs);
    this.link!.write(job.request).catch((err: Error) => this.lost(err));
  }

  private onData(bytes: Buffer): void {
    const job = this.active;
    if (!job) {
      for (const listener of this.idleListeners) {
        try {
          listener(bytes);
        } catch (err) {
          this.opts.log.warn({ bus: this.opts.id, err: (err as Error).message }, 'a listener on this bus failed; the bytes are dropped for it');
        }
      }
      return;
    }
    this.received = this.received.length ? Buffer.concat([this.received, bytes]) : bytes;
    while (this.received.length > 0) {
      const check = job.check(this.received);
      if (check.kind === 'incomplete') return;
      if (check.kind === 'frame') {
        const frame = Buffer.from(this.received.subarray(0, check.length));
        this.answered++;
        this.settle(job);
        job.resolve(frame);
        return;
      }
      // The first thing that went wrong says most; what follows a corrupt frame is its debris.
      if (check.kind === 'invalid') job.invalid ??= check.reason;
      else job.foreign = check.reason;
      this.received = this.received.subarray(Math.max(1, check.length));
    }
  }

  private expire(job: Job): void {
    if (this.active !== job) return;
    const leftover = this.received.length > 0;
    this.settle(job);
    if (job.attempts <= job.retries) {
      this.opts.log.debug({ device: job.device, bus: this.opts.id, attempt: job.attempts }, 'no valid answer; retrying');
      // Again first within its device, but after the other devices' turns: fairness.
      this.enqueue(job, true);
      this.pump();
      return;
    }
    const tried = job.attempts > 1 ? ` (${job.attempts} attempts)` : '';
    if (job.invalid || leftover) {
      job.reject(this.failure('BUS_BAD_FRAME', `no valid answer within ${job.timeoutMs} ms${tried}: received ${job.invalid ?? 'an incomplete frame'}`));
    } else {
      job.reject(this.failure('BUS_TIMEOUT', `no answer within ${job.timeoutMs} ms${tried}${job.foreign ? `; ignored ${job.foreign}` : ''}`));
    }
  }

  /** The active transaction is over (answered, expired or failed): the line rests, then the next one. */
  private settle(job: Job): void {
    clearTimeout(job.timer);
    this.active = undefined;
    if (this.pendingOf(job.device) < this.maxPending) this.overrun.delete(job.device);
    this.lineFreeAt = performance.now();
    this.pump();
  }

  private async openLink(): Promise<void> {
    this.state = 'opening';
    let link: ByteLink;
    try {
      link = await this.opts.open();
    } catch (err) {
      this.markDown((err as Error).message);
      return;
    }
    // close() may have run while the port was opening.
    if ((this.state as State) === 'stopped') {
      await link.close();
      return;
    }
    this.link = link;
    link.onData((bytes) => this.onData(bytes));
    link.onLost((err) => this.lost(err));
    const recovered = this.lastError !== '';
    this.state = 'up';
    this.lastError = '';
    this.reopenAttempts = 0;
    if (recovered) {
      this.opts.log.info({ bus: this.opts.id, port: this.opts.where }, 'bus up again');
      this.emit('up', { bus: this.opts.id, port: this.opts.where } satisfies BusStateEvent);
    }
    this.pump();
  }

  private lost(err: Error): void {
    if (this.state !== 'up') return;
    const link = this.link;
    this.link = undefined;
    void link?.close().catch(() => undefined);
    this.markDown(err.message);
  }

  /** Not open: fail everything waiting, say so once, and try again later. */
  private markDown(error: string): void {
    if (this.state === 'stopped') return;
    const first = this.lastError === '';
    this.state = 'down';
    this.lastError = error;
    if (this.active) {
      clearTimeout(this.active.timer);
      this.active.reject(this.downError());
      this.active = undefined;
    }
    this.failAll(this.downError());
    if (first) {
      this.opts.log.warn({ bus: this.opts.id, port: this.opts.where, err: error }, 'bus down; reopening with backoff');
      this.emit('down', { bus: this.opts.id, port: this.opts.where, error } satisfies BusStateEvent);
    }
    this.reopenTimer = setTimeout(() => void this.openLink(), backoffMs(this.reopen.min, this.reopen.max, this.reopenAttempts++));
  }

  private failAll(err: Error): void {
    for (const queue of this.queues.values()) for (const job of queue) job.reject(err);
    this.queues.clear();
    this.turns.length = 0;
  }

  private downError(): Error {
    return this.failure('BUS_DOWN', `bus ${this.label} is down (${this.lastError}); it is reopened by itself`);
  }

  private failure(code: BusFailure, message: string): PolegateError {
    return new PolegateError(message, code, 1);
  }
}
