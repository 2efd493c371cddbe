// The agent's log level at run time (the `set-log-level` command). Child loggers follow their root's
// level (pino children without a level of their own read it through their prototype), so setting the
// root is enough. A level set for a while reverts to the one before when that time is up.
import type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class LogLevelControl {
  private timer: NodeJS.Timeout | undefined;
  /** The level to go back to while a timed level is on. */
  private base: string | undefined;

  constructor(private readonly log: Logger) {}

  /** Sets the level, for `forMs` if given; returns the level now, the one before, and when it reverts. */
  set(level: LogLevel, forMs?: number): { level: LogLevel; was: string; revertsAt?: number } {
    const was = this.log.level;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (forMs === undefined) {
      this.base = undefined;
    } else {
      this.base ??= was;
      const base = this.base;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.base = undefined;
        this.log.level = base;
        this.log.info({ level: base }, 'log level reverted');
      }, forMs).unref();
    }
    // Logged before the change, at the level the log had so far.
    this.log.info({ level, was, ...(forMs === undefined ? {} : { forMs }) }, 'log level set');
    this.log.level = level;
    return { level, was, ...(forMs === undefined ? {} : { revertsAt: Date.now() + forMs }) };
  }

  /** Cancels a pending revert (the agent is closing). */
  stop(): void {
    clearTimeout(this.timer);
  }
}
