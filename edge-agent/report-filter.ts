// Report by exception (docs/manifest.md, `report`): a reading goes to the outbox only when it says something
// new. Pure: no I/O and no timers; the heartbeat is measured on the readings' own ts.
//
// Per (device, metric) the first reading is sent; after that a reading is sent when its quality
// differs from the last sent one, when a non-numeric value differs, when a number moved by more
// than the deadband since the last *sent* value (so a slow drift is reported once it adds up), or
// when heartbeatMs (default 5 minutes) has passed since the last sent reading (or the clock stepped back). The band is
// that of `device.metric`, else of `device`, else `default`; with no deadband configured every
// reading is sent. Rules see every reading, not only the ones this filter lets through.
import type { Manifest } from '../config/manifest-schema.js';
import { parseDeadband, type Deadband } from '../config/size.js';
import type { NormalizedReading } from './reading.js';

type ReportConfig = NonNullable<Manifest['report']>;

/**
 * The heartbeat when the manifest sets none: without one, a steady value would be sent once per
 * start, and the platform could not tell a steady sensor from a dead one.
 */
export const DEFAULT_HEARTBEAT_MS = 300_000;

function moved(band: Deadband, last: number, value: number): boolean {
  const change = Math.abs(value - last);
  return 'absolute' in band ? change > band.absolute : change > (Math.abs(last) * band.percent) / 100;
}

export class ReportFilter {
  private readonly fallback?: Deadband;
  /** Deadbands by `device.metric` or by `device`, where the manifest sets one. */
  private readonly bands = new Map<string, Deadband>();
  private readonly heartbeatMs: number;
  private readonly lastSent = new Map<string, NormalizedReading>();
  /** With no deadband at all, reporting is not by exception: every reading is sent. */
  private readonly sendAll: boolean;

  /** Throws a PolegateError (exit 2) on a deadband that is not a number or a percentage. */
  constructor(report: ReportConfig = {}) {
    // The schema's type names only `default`; the other keys are `device.metric` or `device`.
    const deadband: Record<string, number | string> = report.deadband ?? {};
    const { default: fallback, ...perMetric } = deadband;
    if (fallback !== undefined) this.fallback = parseDeadband(fallback);
    for (const [key, band] of Object.entries(perMetric)) this.bands.set(key, parseDeadband(band));
    this.heartbeatMs = report.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.sendAll = this.fallback === undefined && this.bands.size === 0;
  }

  /** Whether to send this reading; records it as the last sent when so. */
  shouldSend(r: NormalizedReading): boolean {
    if (this.sendAll) return true;
    const key = `${r.device}.${r.metric}`;
    const last = this.lastSent.get(key);
    if (last && !this.isNews(key, last, r)) return false;
    this.lastSent.set(key, r);
    return true;
  }

  private isNews(key: string, last: NormalizedReading, r: NormalizedReading): boolean {
    if (r.quality !== last.quality) return true;
    if (r.ts - last.ts >= this.heartbeatMs || r.ts < last.ts) return true;
    if (typeof r.value !== 'number' || typeof last.value !== 'number') return r.value !== last.value;
    const band = this.bands.get(key) ?? this.bands.get(r.device) ?? this.fallback;
    return band === undefined || moved(band, last.value, r.value);
  }
}
