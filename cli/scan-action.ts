// `polegate scan modbus` when it runs: the link, the progress bar, the snippet. Loaded only then, so
// that modbus-serial stays out of every other command (the pole agent among them).
import { PolegateError } from '../config/errors.js';
import { scanModbus, type FoundUnit, type ScanLink } from '../drivers/modbus/scan.js';
import { Progress } from './progress.js';
import { scanSnippet } from './scan-snippet.js';
import type { ScanModbusOptions } from './scan.js';

/** Exit status of an interrupted scan: 128 + SIGINT, as shells report it, so scripts can tell. */
const INTERRUPTED = 130;

function linkOf(opts: ScanModbusOptions): ScanLink {
  if (opts.host !== undefined) {
    const port = opts.port === undefined ? 502 : Number(opts.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new PolegateError(`with --host, --port is a TCP port (1 to 65535), not ${opts.port}`, 'ARGUMENT_INVALID', 2);
    return { kind: 'tcp', host: opts.host, port };
  }
  if (opts.port === undefined) throw new PolegateError('polegate scan modbus needs --port PATH (a serial bus, e.g. /dev/ttyUSB0) or --host HOST (Modbus TCP)', 'ARGUMENT_MISSING', 2);
  return { kind: 'serial', path: opts.port, baudRates: opts.baud, parity: opts.parity, dataBits: 8, stopBits: 1 };
}

function describeLink(link: ScanLink): string {
  return link.kind === 'tcp' ? `Modbus TCP ${link.host}:${link.port}` : `${link.path} at ${link.baudRates.join(', ')} baud, parity ${link.parity}`;
}

/** A link that cannot be opened is one line: which, and what to check. */
function linkFailure(link: ScanLink, err: unknown): PolegateError {
  const reason = String((err as Error).message ?? err).replace(/^Error: /, '');
  if (link.kind === 'tcp') return new PolegateError(`cannot reach ${link.host}:${link.port}: ${reason}; check the address and that the device or gateway is on`, 'DEVICE_UNREACHABLE', 1);
  if (/ENOENT|No such file/i.test(reason)) return new PolegateError(`cannot open serial port ${link.path}: no such file; check the path`, 'ARGUMENT_INVALID', 2);
  return new PolegateError(`cannot open serial port ${link.path}: ${reason}; check that no other program (a running polegate edge?) holds it`, 'PORT_BUSY', 1);
}

export async function scan(opts: ScanModbusOptions): Promise<void> {
  const link = linkOf(opts);
  const total = (link.kind === 'serial' ? link.baudRates.length : 1) * opts.units.length;
  const progress = new Progress({ total });
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.once('SIGINT', onInterrupt);
  progress.note(`scanning ${describeLink(link)}: ${opts.units.length} unit ids, ${opts.timeout} ms each; Ctrl-C stops and prints what was found`);
  const found = (unit: FoundUnit) => `found unit ${unit.unitId}${unit.baudRate !== undefined ? ` at ${unit.baudRate} baud` : ''}: ${unit.answer}`;
  let result;
  try {
    result = await scanModbus({
      link,
      units: opts.units,
      timeoutMs: opts.timeout,
      signal: controller.signal,
      onProgress: (p, unit) => {
        if (unit) progress.note(found(unit));
        progress.update(p.done, `${p.baudRate !== undefined ? `${p.baudRate} baud, ` : ''}unit ${p.unitId}, ${p.found.length} found`);
      },
    });
  } catch (err) {
    throw linkFailure(link, err);
  } finally {
    process.off('SIGINT', onInterrupt);
    progress.end();
  }
  if (result.aborted) progress.note(`interrupted after ${result.probed} of ${result.total} probes; units found so far:`);
  process.stdout.write(scanSnippet(link, result.found));
  if (result.aborted) process.exitCode = INTERRUPTED;
}

