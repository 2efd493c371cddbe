// Failed logins cost the attacker, not the city. Every password check is a scrypt on libuv's small
// thread pool, so a burst of wrong passwords used to starve every other login. Here:
// - after a failure, the next attempt from the same source address or for the same username waits
//   first, baseDelayMs (100 ms) doubling per failure up to maxDelayMs (5 s), forgotten 15 minutes
//   after the last failure;
// - one source address may have maxPerAddress (8) attempts under way; more fail at once;
// - at most maxConcurrent (2) checks run at once, and waiting attempts with no failures on
//   record for their address or username (a pole reconnecting) go before the others (the attack);
// - the four limits are the cloud config's `logins` key (docs/cloud.md, "Under hostile input");
// - throttling is logged by address and username, at the 1st, 2nd, 4th, 8th … failure, never with
//   a secret.
import type { Logger } from 'pino';

/** What an operator may tune (the cloud config's `logins` key). */
export interface ThrottleLimits {
  baseDelayMs: number;
  maxDelayMs: number;
  /** Checks at once; 2 leaves libuv's other threads (4 by default) to the file system and DNS. */
  maxConcurrent: number;
  /** Attempts of one source address under way at once; more are refused at once (as failures). */
  maxPerAddress: number;
}

export const DEFAULT_THROTTLE: ThrottleLimits = { baseDelayMs: 100, maxDelayMs: 5000, maxConcurrent: 2, maxPerAddress: 8 };

const FORGET_MS = 15 * 60_000;
/** Attempts waiting for a check beyond this are refused at once. */
const MAX_QUEUED = 10_000;
/** Addresses and usernames remembered; beyond, the oldest are forgotten. */
const MAX_TRACKED = 100_000;

interface Failures {
  count: number;
  last: number;
}

export interface LoginAttempt {
  address: string;
  username: string;
}

export class LoginThrottle {
  private readonly byAddress = new Map<string, Failures>();
  private readonly byUsername = new Map<string, Failures>();
  private running = 0;
  private readonly underWay = new Map<string, number>();
  private readonly waiting: { attempt: LoginAttempt; start: () => void }[] = [];

  private readonly limits: ThrottleLimits;

  constructor(private readonly log: Logger, limits: Partial<ThrottleLimits> = {}) {
    this.limits = { ...DEFAULT_THROTTLE, ...limits };
  }

  /** Failures on record for this attempt's address or username, whichever is more. */
  failures(attempt: LoginAttempt): number {
    return Math.max(this.current(this.byAddress, attempt.address), this.current(this.byUsername, attempt.username));
  }

  /** Runs `check` (a password verification) when this attempt's turn comes; records the outcome. */
  async run(attempt: LoginAttempt, check: () => Promise<boolean>): Promise<boolean> {
    const underWay = this.underWay.get(attempt.address) ?? 0;
    if (underWay >= this.limits.maxPerAddress) {
      this.failed(attempt);
      return false;
    }
    this.underWay.set(attempt.address, underWay + 1);
    let ok = false;
    try {
      ok = await this.checkInTurn(attempt, check);
    } finally {
      const left = this.underWay.get(attempt.address)! - 1;
      if (left === 0) this.underWay.delete(attempt.address);
      else this.underWay.set(attempt.address, left);
    }
    if (ok) this.succeeded(attempt);
    else this.failed(attempt);
    return ok;
  }

  /** A login that succeeded, here or without a check under the throttle: its failures are forgotten. */
  succeeded(attempt: LoginAttempt): void {
    this.byAddress.delete(attempt.address);
    this.byUsername.delete(attempt.username);
  }

  private async checkInTurn(attempt: LoginAttempt, check: () => Promise<boolean>): Promise<boolean> {
    const failures = this.failures(attempt);
    if (failures > 0) await new Promise((r) => setTimeout(r, this.delayMs(failures)));
    if (!(await this.slot(attempt))) return false;
    try {
      return await check();
    } finally {
      this.release();
    }
  }

  private delayMs(failures: number): number {
    return Math.min(this.limits.maxDelayMs, this.limits.baseDelayMs * 2 ** (failures - 1));
  }

  private current(map: Map<string, Failures>, key: string): number {
    const entry = map.get(key);
    if (!entry) return 0;
    if (Date.now() - entry.last > FORGET_MS) {
      map.delete(key);
      return 0;
    }
    return entry.count;
  }

  private failed(attempt: LoginAttempt): void {
    const count = Math.max(this.bump(this.byAddress, attempt.address), this.bump(this.byUsername, attempt.username));
    if ((count & (count - 1)) === 0) {
      const delayMs = this.delayMs(count);
      this.log.warn({ address: attempt.address, username: attempt.username, failures: count, delayMs }, 'login throttled');
    }
  }

  private bump(map: Map<string, Failures>, key: string): number {
    const count = this.current(map, key) + 1;
    map.delete(key); // re-inserted last: the map's order is the order of the latest failures
    map.set(key, { count, last: Date.now() });
    if (map.size > MAX_TRACKED) map.delete(map.keys().next().value!);
    return count;
  }

  private slot(attempt: LoginAttempt): Promise<boolean> {
    if (this.running < this.limits.maxConcurrent) {
      this.running++;
      return Promise.resolve(true);
    }
    if (this.waiting.length >= MAX_QUEUED) return Promise.resolve(false);
    return new Promise((resolve) => this.waiting.push({ attempt, start: () => resolve(true) }));
  }

  /**
   * Hands the slot to the first waiting attempt with no failures on record now (a burst arrives
   * before any of it has failed, so the order is decided here, not on arrival), else the oldest.
   */
  private release(): void {
    if (this.waiting.length === 0) {
      this.running--;
      return;
    }
    const clean = this.waiting.findIndex((w) => this.failures(w.attempt) === 0);
    this.waiting.splice(clean < 0 ? 0 : clean, 1)[0]!.start();
  }
}
