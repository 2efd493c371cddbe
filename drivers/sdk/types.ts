// The driver SDK: the one small interface every driver, built-in or a vendor's, implements
// (docs/driver-guide.md). A driver translates between a device and typed samples; the agent owns
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
  /** Facts a device reports about itself (a camera's GetDeviceInformation), carried in birth. */
  manufacturer?: string;
  firmware?: string;
  serial?: string;
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

/**
 * What a `ByteBus` makes of the bytes received so far for one transaction (the driver's framing
 * decides; the bus only waits, cuts and discards): not enough yet, the answer (its first `length`
 * bytes), a well-formed frame meant for another device (discarded, not a fault), or bytes that are
 * no frame at all (discarded; if no answer follows, the transaction fails as a bad frame).
 */
export type FrameCheck =
  | { kind: 'incomplete' }
  | { kind: 'frame'; length: number }
  | { kind: 'foreign'; length: number; reason: string }
  | { kind: 'invalid'; length: number; reason: string };

/**
 * Why a `ByteBus` transaction failed, as the `code` of the PolegateError it rejects with:
 * no answer within the device's timeout, only bytes that are no valid answer, the port is gone,
 * or the device already has too many transactions queued (it cannot keep up with its interval).
 */
export type BusFailure = 'BUS_TIMEOUT' | 'BUS_BAD_FRAME' | 'BUS_DOWN' | 'BUS_OVERRUN';

/**
 * A byte link shared by several devices (an RS-485 bus, or a serial server reached over TCP),
 * arbitrated by the agent: one transaction on the wire at a time, in turn across devices, with the
 * device's timeout, retries and the line's inter-frame gap. Handed to one device, bound to its id.
 */
export interface ByteBus {
  /** Bus id and where it is (`rs485-1 /dev/ttyS1`, `10.0.0.7:4001`), for messages. */
  readonly label: string;
  /**
   * Writes `request` when the bus is free and resolves with the answer `check` accepts. Rejects
   * with a PolegateError whose code is a `BusFailure` after the device's timeout and retries.
   */
  transact(request: Uint8Array, check: (received: Buffer) => FrameCheck): Promise<Buffer>;
  /**
   * For instruments that talk unasked (streaming lines): `onBytes` gets every byte received while
   * no transaction is on the wire, from now until the returned function is called. Opens the link
   * if it is not open; across a lost and reopened link the listener stays.
   */
  listen?(onBytes: (bytes: Buffer) => void): () => void;
}

/** Shared transports the agent offers a driver (docs/driver-guide.md). */
export interface DriverTransport {
  /** The serial bus the device names with `bus:`; absent when it names none. */
  bus?: ByteBus;
  /** A byte link to a serial server (RTU tunnelled over TCP), shared by every device naming the same host and port. */
  tcpBus(host: string, port: number): ByteBus;
}

export interface DriverContext {
  deviceId: string;
  log: Logger;
  clock: Clock;
  /** Per-transaction timeout the agent wants honoured, ms. */
  timeoutMs: number;
  /** Shared buses, when the driver runs inside the agent; a driver that needs one and finds none says so. */
  transport?: DriverTransport;
  /**
   * A folder of the pole's state (beside its outbox) where a driver may keep files of its own, such
   * as certificates; present inside the agent and the conformance kit.
   */
  stateDir?: string;
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

/**
 * The part of a driver the agent runs: its kind and how to create one. The agent is handed only this,
 * so a driver's runtime module need not load a schema library: the built-in drivers keep their
 * options schema in a module of its own that only config/ imports (drivers/builtin.ts pairs them).
 */
export interface DriverRuntime<Options = Record<string, unknown>> {
  /** The `driver:` name in the manifest. */
  kind: string;
  create(options: Options, context: DriverContext): Driver;
}

/** What a vendor's driver module exports as default: the runtime plus the schema config/ checks devices against. */
export interface DriverFactory<Options = Record<string, unknown>> extends DriverRuntime<Options> {
  /** JSON Schema of the device options this driver takes, beside the common keys (id, driver, pollMs). */
  optionsSchema: TSchema;
}
