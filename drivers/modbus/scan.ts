// Finding Modbus units: for each baud rate × unit id, one probe (read holding register 0, FC3).
// A register value or a Modbus exception both prove a unit is there: an exception is an answer
// from that unit (most often 2, illegal data address, when it has no holding register 0). Silence
// within the timeout means no unit. Exceptions 10 and 11 come from a gateway that found no unit
// behind it, so they count as silence.
//
// The scan owns its link for its whole run (no bus arbiter): one modbus-serial client with its
// timeout set, one request at a time.
import modbusSerial from 'modbus-serial';
import { ModbusException } from './modbus-client.js';

export type ScanLink =
  | { kind: 'serial'; path: string; baudRates: number[]; parity: 'none' | 'even' | 'odd'; dataBits: 7 | 8; stopBits: 1 | 2 }
  | { kind: 'tcp'; host: string; port: number };

export interface FoundUnit {
  unitId: number;
  /** Serial scans: the baud rate it answered at. */
  baudRate?: number;
  /** What it answered: `holding 0 = 1234`, or the exception. */
  answer: string;
}

export interface ScanProgress {
  done: number;
  total: number;
  /** The baud rate being probed (serial scans). */
  baudRate?: number;
  unitId: number;
  found: readonly FoundUnit[];
}

export interface ScanOptions {
  link: ScanLink;
  units: number[];
  timeoutMs: number;
  /** Stops the scan at once; what was found so far is returned. */
  signal?: AbortSignal;
  /** After every probe, and with `unit` for every unit found. */
  onProgress?: (progress: ScanProgress, unit?: FoundUnit) => void;
}

export interface ScanResult {
  found: FoundUnit[];
  probed: number;
  total: number;
  /** True when the signal stopped the scan before its end. */
  aborted: boolean;
}

/** Gateway exceptions: the gateway answered, no unit did. */
const GATEWAY_EXCEPTIONS = new Set([10, 11]);

const ModbusRTU = modbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusRTU>;

function aborted(signal: AbortSignal | undefined): Promise<'aborted'> {
  return new Promise((resolve) => {
    if (signal?.aborted) resolve('aborted');
    signal?.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
}

async function open(link: ScanLink, baudRate: number | undefined, timeoutMs: number): Promise<ModbusRTU> {
  const client = new ModbusRTU();
  // modbus-serial re-emits port errors; without a listener one would crash the process.
  client.on('error', () => undefined);
  if (link.kind === 'tcp') {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no TCP connection to ${link.host}:${link.port} within ${Math.max(timeoutMs, 2000)} ms`)), Math.max(timeoutMs, 2000));
    });
    try {
      await Promise.race([client.connectTCP(link.host, { port: link.port }), deadline]);
    } catch (err) {
      client.destroy(() => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  } else {
    await client.connectRTUBuffered(link.path, { baudRate, parity: link.parity, dataBits: link.dataBits, stopBits: link.stopBits });
  }
  client.setTimeout(timeoutMs);
  return client;
}

function close(client: ModbusRTU): Promise<void> {
  return new Promise((resolve) => client.close(() => resolve()));
}

/** One probe: what the unit answered, or undefined for silence. Link failures throw. */
async function probe(client: ModbusRTU, unitId: number): Promise<string | undefined> {
  client.setID(unitId);
  try {
    const { data } = await client.readHoldingRegisters(0, 1);
    return `holding 0 = ${data[0]}`;
  } catch (err) {
    const code = (err as { modbusCode?: unknown }).modbusCode;
    if (typeof code === 'number') return GATEWAY_EXCEPTIONS.has(code) ? undefined : `${new ModbusException(code).message}: a unit is there`;
    if ((err as { name?: string }).name === 'TransactionTimedOutError') return undefined;
    // A garbled or foreign answer (bad CRC, another unit's reply) is not a unit we can use.
    if (client.isOpen) return undefined;
    throw err;
  }
}

export async function scanModbus(options: ScanOptions): Promise<ScanResult> {
  const { link, units, timeoutMs, signal, onProgress } = options;
  const baudRates: Array<number | undefined> = link.kind === 'serial' ? link.baudRates : [undefined];
  const total = baudRates.length * units.length;
  const found: FoundUnit[] = [];
  const stop = aborted(signal);
  let probed = 0;
  for (const baudRate of baudRates) {
    if (signal?.aborted) break;
    const client = await open(link, baudRate, timeoutMs);
    try {
      for (const unitId of units) {
        const pending = probe(client, unitId);
        // Closing the link on abort fails the probe in flight; nobody waits for it any more.
        pending.catch(() => undefined);
        const answer = await Promise.race([pending, stop]);
        if (answer === 'aborted') break;
        probed++;
        const unit = answer === undefined ? undefined : { unitId, ...(baudRate === undefined ? {} : { baudRate }), answer };
        if (unit) found.push(unit);
        onProgress?.({ done: probed, total, baudRate, unitId, found }, unit);
      }
    } finally {
      await close(client);
    }
  }
  return { found, probed, total, aborted: probed < total };
}
