// Whatever a driver throws or rejects where no one awaits it (in a timer, a socket's callback, a
// promise it never awaits) is that device's fault, not the end of the pole's process. Each device's
// driver code runs inside an AsyncLocalStorage scope naming the device; everything it schedules
// (timers, sockets, promises) inherits the scope, so an uncaught exception or unhandled rejection is
// attributed to the device that caused it. Errors of no device keep Node's meaning: the process ends.
//
// The scope is for drivers polegate does not ship (a vendor's module). Built-in drivers whose code
// never throws outside a call (modbus, serial-line, and onvif, which guards the onvif package's
// callbacks itself) run without it: one AsyncLocalStorage.run() anywhere turns on Node's promise
// hooks for every promise of the process, and on a pole of four Modbus devices that was about a
// tenth of the agent's CPU (docs/performance.md, "Cameras (ONVIF)").
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from '../drivers/sdk/types.js';

type Where = 'uncaughtException' | 'unhandledRejection';

const owner = new AsyncLocalStorage<{ device: string; faults: DriverFaults }>();

/** Built-in drivers that contain their own faults: no scope (see above). */
const SELF_CONTAINED = new Set(['modbus', 'serial-line', 'onvif']);

/** Where a device's driver code runs (device-slot.ts). */
export interface DeviceScope {
  asDevice<T>(fn: () => T): T;
  asAgent<T>(fn: () => T): T;
}

const direct = <T>(fn: () => T): T => fn();
const UNSCOPED: DeviceScope = { asDevice: direct, asAgent: direct };
let listening = false;

function caught(thrown: unknown, where: Where): void {
  const err = thrown instanceof Error ? thrown : new Error(String(thrown));
  const scope = owner.getStore();
  if (scope) return scope.faults.fault(scope.device, err, where);
  // Not a driver's: as without this listener, unless another listener (a test runner) decides.
  if (process.listenerCount(where) > 1) return;
  process.stderr.write(`polegate: uncaught error, stopping: ${err.stack ?? err.message}\n`);
  process.exit(1);
}

/**
 * The process-wide listeners stay once added: a driver's timer may still fire after its agent has
 * closed, and that must not end the process either. An agent's own faults go quiet at close.
 */
function listen(): void {
  if (listening) return;
  listening = true;
  process.on('uncaughtException', (err) => caught(err, 'uncaughtException'));
  process.on('unhandledRejection', (reason) => caught(reason, 'unhandledRejection'));
}

export class DriverFaults {
  private active = false;

  constructor(private readonly log: Logger, private readonly onFault: (device: string, err: Error) => void) {}

  /** The scope of a device whose manifest entry names `driver`. */
  scopeFor(device: string, driver: string): DeviceScope {
    if (SELF_CONTAINED.has(driver)) return UNSCOPED;
    return { asDevice: (fn) => this.asDevice(device, fn), asAgent: (fn) => this.asAgent(fn) };
  }

  /** Runs `fn` as the device's code: what it starts stays the device's. */
  asDevice<T>(device: string, fn: () => T): T {
    return owner.run({ device, faults: this }, fn);
  }

  /** Runs `fn` as the agent's code, when a driver calls back into the agent (its events). */
  asAgent<T>(fn: () => T): T {
    return owner.exit(fn);
  }

  start(): void {
    listen();
    this.active = true;
  }

  /** After close, what a closed driver still throws is logged, nothing more. */
  stop(): void {
    this.active = false;
  }

  fault(device: string, err: Error, where: Where): void {
    const what = where === 'uncaughtException' ? 'driver threw outside a call' : 'driver left a promise rejected';
    if (!this.active) {
      this.log.warn({ device, err: err.message }, `${what} after the agent closed it`);
      return;
    }
    this.log.error({ device, err: err.message }, `${what} (device fault)`);
    this.onFault(device, err);
  }
}
