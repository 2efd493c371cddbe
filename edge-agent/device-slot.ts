// A device's driver as the scheduler sees it. Creating a driver can fail as opening one can (a vendor
// module that throws, a bus that is not there yet); both are retried like a failed poll instead of
// stopping the agent, so creation is deferred to the first open() and repeated until it succeeds.
import type { DeviceDescription, Driver, DriverEvent, Sample } from '../drivers/sdk/types.js';

export class DeviceSlot implements Driver {
  private driver: Driver | undefined;
  private opened = false;

  constructor(
    private readonly create: () => Driver,
    private readonly onEvent: (event: DriverEvent) => void,
    /** Called after the first successful open (its description is now known for birth). */
    private readonly onFirstOpen: () => void,
  ) {}

  async open(): Promise<void> {
    const driver = (this.driver ??= this.create());
    await driver.open();
    if (this.opened) return;
    this.opened = true;
    driver.subscribe?.(this.onEvent);
    this.onFirstOpen();
  }

  /** The driver, once the first open() created it: commands reach its write() through this. */
  get created(): Driver | undefined {
    return this.driver;
  }

  describe(): DeviceDescription {
    return this.driver?.describe() ?? { metrics: [] };
  }

  read(): Promise<Sample[]> {
    return this.driver!.read();
  }

  async close(): Promise<void> {
    await this.driver?.close();
  }
}
