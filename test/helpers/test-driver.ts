// A vendor-style driver for a pretend device, used by agent tests and benches: a test double of a
// *device* behind the real driver interface. The test holds `control` and makes the device fail,
// stall or recover while the agent polls it.
import { Type } from '@sinclair/typebox';
import type { Driver, DriverContext, DriverFactory, ReadingValue, Sample } from '../../drivers/sdk/types.js';
import { testJpeg } from './jpeg.js';

export interface TestMetric {
  name: string;
  unit: string;
  type?: 'number' | 'boolean' | 'string';
  /** Value of the first read; numbers grow by `step` on each read. null gives a bad sample. */
  value?: ReadingValue | null;
  step?: number;
}

export interface TestDeviceControl {
  /** Opens that fail before one succeeds. */
  failOpens?: number;
  /** While true every read throws. */
  failing?: boolean;
  /** Each read takes this long. */
  readDelayMs?: number;
  /** Reads started so far (kept up to date by the device). */
  reads?: number;
  /** Read start times (clock ms), for overlap checks. */
  active?: number;
  maxActive?: number;
  /** A camera (TestDeviceOptions.camera): each snapshot takes this long… */
  snapshotDelayMs?: number;
  /** …is about this many bytes (a JPEG, see jpeg.ts)… */
  snapshotBytes?: number;
  /** …or throws while this is true. */
  snapshotFailing?: boolean;
  /** Snapshots asked for, taken so far, and the last picture. */
  snapshotCalls?: number;
  snapshots?: number;
  lastSnapshot?: Buffer;
}

export interface TestDeviceOptions {
  model?: string;
  metrics: TestMetric[];
  control?: TestDeviceControl;
  /** The device is a camera: it has snapshot(). */
  camera?: boolean;
  /** The camera's periodic snapshots (the onvif device option). */
  snapshotMs?: number;
}

class TestDevice implements Driver {
  private reads = 0;
  snapshot?: () => Promise<Buffer>;

  constructor(private readonly options: TestDeviceOptions, private readonly context: DriverContext) {
    if (options.camera) this.snapshot = () => this.takeSnapshot();
  }

  private async takeSnapshot(): Promise<Buffer> {
    const control = this.options.control ?? {};
    control.snapshotCalls = (control.snapshotCalls ?? 0) + 1;
    if (control.snapshotDelayMs) await new Promise((r) => setTimeout(r, control.snapshotDelayMs));
    if (control.snapshotFailing) throw new Error('test camera refuses the snapshot');
    control.snapshots = (control.snapshots ?? 0) + 1;
    control.lastSnapshot = testJpeg(`test camera picture ${control.snapshots} at ${this.context.clock.now()}`, control.snapshotBytes);
    return control.lastSnapshot;
  }

  async open(): Promise<void> {
    const control = this.options.control;
    if (control?.failOpens) {
      control.failOpens--;
      throw new Error('connection refused by test device');
    }
  }

  describe() {
    return { model: this.options.model, metrics: this.options.metrics.map((m) => ({ name: m.name, unit: m.unit, type: m.type ?? 'number' })) };
  }

  async read(): Promise<Sample[]> {
    const control = this.options.control ?? {};
    control.reads = (control.reads ?? 0) + 1;
    control.active = (control.active ?? 0) + 1;
    control.maxActive = Math.max(control.maxActive ?? 0, control.active);
    try {
      if (control.readDelayMs) await new Promise((r) => setTimeout(r, control.readDelayMs));
      if (control.failing) throw new Error('no response from test device');
      const ts = this.context.clock.now();
      const n = this.reads++;
      return this.options.metrics.map((m): Sample => {
        const value = typeof m.value === 'number' ? m.value + n * (m.step ?? 0) : m.value === undefined ? n : m.value;
        return value === null
          ? { metric: m.name, value: null, unit: m.unit, ts, quality: 'bad', reason: 'sensor fault' }
          : { metric: m.name, value, unit: m.unit, ts, quality: 'good' };
      });
    } finally {
      control.active--;
    }
  }

  async close(): Promise<void> {}
}

const testDriver: DriverFactory<TestDeviceOptions> = {
  kind: 'test-device',
  optionsSchema: Type.Object({ metrics: Type.Array(Type.Any()) }),
  create: (options, context) => new TestDevice(options, context),
};

export default testDriver;
