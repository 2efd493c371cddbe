// A serial port (serialport 13) as an arbiter's ByteLink, opened with the line settings of a
// `buses:` entry, and that line's inter-frame gap.
import type { BusConfig } from '../config/manifest-schema.js';
import type { ByteLink } from './bus-arbiter.js';

const DEFAULT_BAUD = 9600;

/**
 * The silence that ends a Modbus RTU frame: 3.5 characters at the bus's settings (start bit, data
 * bits, parity bit, stop bits); above 19200 baud the Modbus spec fixes it at 1.75 ms.
 */
export function interFrameGapMs(bus: BusConfig): number {
  const baud = bus.baudRate ?? DEFAULT_BAUD;
  if (baud > 19200) return 1.75;
  const bits = 1 + (bus.dataBits ?? 8) + ((bus.parity ?? 'none') === 'none' ? 0 : 1) + (bus.stopBits ?? 1);
  return (3.5 * bits * 1000) / baud;
}

function openError(bus: BusConfig, err: Error): Error {
  const missing = /ENOENT|No such file/.test(err.message);
  return new Error(missing ? `${bus.port} does not exist (is the adapter plugged in?)` : `cannot open ${bus.port}: ${err.message}`);
}

export async function openSerialLink(bus: BusConfig): Promise<ByteLink> {
  // Loaded here, not at the top: a pole with no serial bus never carries serialport's bindings.
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({
    path: bus.port,
    baudRate: bus.baudRate ?? DEFAULT_BAUD,
    parity: bus.parity ?? 'none',
    dataBits: bus.dataBits ?? 8,
    stopBits: bus.stopBits ?? 1,
    autoOpen: false,
  });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(openError(bus, err)) : resolve())));
  let closing = false;
  let onLost: (err: Error) => void = () => undefined;
  // An unplugged adapter (or a removed pty) closes the port with `disconnected`; any error after
  // opening means the same for us: the port is unusable until reopened.
  port.on('close', (err: (Error & { disconnected?: boolean }) | null) => {
    if (!closing) onLost(new Error(`${bus.port} was lost${err ? `: ${err.message}` : ''}`));
  });
  port.on('error', (err) => {
    if (!closing) onLost(new Error(`${bus.port}: ${err.message}`));
  });
  return {
    write: (bytes) => new Promise((resolve, reject) => port.write(Buffer.from(bytes), (err) => (err ? reject(new Error(`${bus.port}: ${err.message}`)) : resolve()))),
    onData: (listener) => port.on('data', listener),
    onLost: (listener) => (onLost = listener),
    close: () => {
      closing = true;
      return new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
    },
  };
}
