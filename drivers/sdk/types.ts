// The driver SDK: the one small interface every driver, built-in or a vendor's, implements
// (DESIGN.md, "Drivers"). A driver translates between a device and typed samples; the agent owns
// scheduling, retries, MQTT and the outbox.
import type { TSchema } from '@sinclair/typebox';
import type { Quality, ReadingValue } from '../../contract/schemas.js';

export type { Quality, ReadingValue };

export interface MetricInfo {
  name: string;
  /** The unit the driver reports in (UCUM code or field unit); the normalizer converts to canonical. */
  unit: string;
  type: 'number' | 'boolean' | 'string';
}

export interface DeviceDescription {
  model?: string;
  metrics: MetricInfo[];
}

/** One value of one metric from one poll. `value` is null only with quality `bad`. */
export interface Sample {
  metric: string;
  value: ReadingValue | null;
  unit: string;
  /** Source timestamp, epoch ms. */
  ts: number;
  quality: Quality;
  /** Why the quality is not good, for humans (e.g. `Modbus exception 2 (illegal data address)`). */
  reason?: string;
}

/** A pushed event (motion, tamper, …), for drivers with `subscribe`. */
export interface DriverEvent {
  type: string;
  ts: number;
  [field: string]: unknown;
}

export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export interface Clock {
  now(): number;
}

export interface DriverContext {
  deviceId: string;
  log: Logger;
  clock: Clock;
  /** Per-transaction timeout the agent wants honoured, ms. */
  timeoutMs: number;
}

export interface Driver {
  open(): Promise<void>;
  describe(): DeviceDescription;
  /** One poll. Throws only when the device cannot be reached at all; a bad value is a bad sample. */
  read(): Promise<Sample[]>;
  write?(metric: string, value: ReadingValue): Promise<void>;
  subscribe?(onEvent: (event: DriverEvent) => void): void;
  snapshot?(): Promise<Buffer>;
  close(): Promise<void>;
}

export interface DriverFactory<Options = Record<string, unknown>> {
  /** The `driver:` name in the manifest. */
  kind: string;
  /** JSON Schema of the device options this driver takes, beside the common keys (id, driver, pollMs). */
  optionsSchema: TSchema;
  create(options: Options, context: DriverContext): Driver;
}
