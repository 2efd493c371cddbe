// A device's driver as the scheduler sees it. Creating a driver can fail as opening one can (a vendor
// module that throws, a bus that is not there yet); both are retried like a failed poll instead of
// stopping the agent, so creation is deferred to the first open() and repeated until it succeeds.
// Every call into the driver runs in the device's scope (driver-faults.ts), and every call back from
// it (events, first open) in the agent's: a fault in what the driver starts is pinned on the device.
import type { DeviceDescription, Driver, DriverEvent, Sample } from '../drivers/sdk/types.js';
import type { DeviceScope } from './driver-faults.js';

export class DeviceSlot implements Driver {
  private driver: Driver | undefined;
  private subscribed: Driver | undefined;
  private announced = false;

  constructor(
    private readonly create: () => Driver,
    private readonly onEvent: (event: DriverEvent) => void,
    /** Called after the first successful open (its description is now known for birth). */
    private readonly onFirstOpen: () => void,
    private readonly scope: DeviceScope,
  ) {}

  async open(): Promise<void> {
    const { scope } = this;
    const driver = (this.driver ??= scope.asDevice(this.create));
    await scope.asDevice(() => driver.open());
    if (this.subscribed !== driver) {
      this.subscribed = driver;
      scope.asDevice(() => driver.subscribe?.((event) => scope.asAgent(() => this.onEvent(event))));
    }
    if (this.announced) return;
    this.announced = true;
    scope.asAgent(this.onFirstOpen);
  }

  /** The driver, once the first open() created it: commands reach its write() through this. */
  get created(): Driver | undefined {
    return this.driver;
  }

  describe(): DeviceDescription {
    const driver = this.driver;
    return driver ? this.scope.asDevice(() => driver.describe()) : { metrics: [] };
  }

  read(): Promise<Sample[]> {
    const driver = this.driver!;
    return this.scope.asDevice(() => driver.read());
  }

  /**
   * After a fault outside a call: the driver is closed (whatever that still can) and dropped, and the
   * next open creates a new one, as after a failed create.
   */
  discard(): void {
    this.drop().catch(() => undefined);
  }

  /** Closes the driver and drops it: the next open creates a new one (a `restart-device` command). */
  async drop(): Promise<void> {
    const driver = this.driver;
    this.driver = undefined;
    if (driver) await this.scope.asDevice(async () => driver.close());
  }

  async close(): Promise<void> {
    const driver = this.driver;
    if (driver) await this.scope.asDevice(() => driver.close());
  }
}
