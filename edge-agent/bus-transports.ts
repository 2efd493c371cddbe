// The shared transports of one pole: an arbiter per `buses:` entry (a serial port) and one per
// serial server a device reaches over TCP (host:port), each opened on first use and shared by every
// device on it. Bus state changes become `bus-down` / `bus-up` events.
import type { BusConfig } from '../config/manifest-schema.js';
import type { Clock, DriverTransport, Logger } from '../drivers/sdk/types.js';
import { BusArbiter, type BusArbiterOptions, type BusStateEvent } from './bus-arbiter.js';
import { interFrameGapMs, openSerialLink } from './serial-link.js';
import { openTcpLink } from './tcp-link.js';

export interface BusEvent {
  type: 'bus-down' | 'bus-up';
  bus: string;
  port: string;
  ts: number;
  error?: string;
}

export interface BusTransportsOptions {
  clock: Clock;
  log: Logger;
  onEvent: (event: BusEvent) => void;
}

export class BusTransports {
  private readonly arbiters = new Map<string, BusArbiter>();

  constructor(buses: readonly BusConfig[], private readonly opts: BusTransportsOptions) {
    for (const bus of buses) {
      this.add(bus.id, bus.port, interFrameGapMs(bus), () => openSerialLink(bus));
    }
  }

  /** What a device's driver gets: its bus (by the device's `bus:` key) and the TCP bus factory. */
  forDevice(device: string, busId: unknown, timing: { timeoutMs: number; retries: number }): DriverTransport {
    const bus = typeof busId === 'string' ? this.arbiters.get(busId)?.handle(device, timing) : undefined;
    return {
      ...(bus ? { bus } : {}),
      tcpBus: (host, port) => {
        const key = `${host}:${port}`;
        const arbiter = this.arbiters.get(key) ?? this.add(key, key, 0, () => openTcpLink(host, port, timing.timeoutMs));
        return arbiter.handle(device, timing);
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.arbiters.values()].map((arbiter) => arbiter.close()));
  }

  private add(id: string, where: string, gapMs: number, open: BusArbiterOptions['open']): BusArbiter {
    const arbiter = new BusArbiter({ id, where, gapMs, open, log: this.opts.log });
    const report = (type: BusEvent['type']) => (event: BusStateEvent) => this.opts.onEvent({ type, ...event, ts: this.opts.clock.now() });
    arbiter.on('down', report('bus-down'));
    arbiter.on('up', report('bus-up'));
    this.arbiters.set(id, arbiter);
    return arbiter;
  }
}
