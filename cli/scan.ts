// `polegate scan modbus`: finds Modbus units on a serial bus (--port PATH, each baud rate × unit id)
// or behind a Modbus TCP address (--host H [--port N]), with progress on stderr and manifest entries
// for what it found on stdout. Ctrl-C stops the scan, prints what was found so far, exits 130.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { PolegateError } from '../config/errors.js';
import { scanModbus, type FoundUnit, type ScanLink } from '../drivers/modbus/scan.js';
import { Progress } from './progress.js';
import { scanSnippet } from './scan-snippet.js';

interface ScanModbusOptions {
  port?: string;
  host?: string;
  baud: number[];
  units: number[];
  parity: 'none' | 'even' | 'odd';
  timeout: number;
}

/** Exit status of an interrupted scan: 128 + SIGINT, as shells report it, so scripts can tell. */
const INTERRUPTED = 130;

/** `1-247`, `1,3,10-12`: unit ids in the order given, each once. */
export function parseUnits(text: string): number[] {
  const units = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    const from = Number(match?.[1]);
    const to = match?.[2] === undefined ? from : Number(match[2]);
    if (!match || from > to || to > 255) throw new InvalidArgumentError(`'${part}' is not a unit id or range; write e.g. 1-247 or 1,3,10-12 (ids 0 to 255)`);
    for (let unit = from; unit <= to; unit++) units.add(unit);
  }
  return [...units];
}

function parseBauds(text: string): number[] {
  const bauds = text.split(',').map((part) => Number(part.trim()));
  const bad = bauds.find((baud) => !Number.isInteger(baud) || baud < 300 || baud > 921600);
  if (bad !== undefined) throw new InvalidArgumentError(`baud rates are integers from 300 to 921600, comma-separated (e.g. 9600,19200)`);
  return [...new Set(bauds)];
}

function parseTimeout(text: string): number {
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms < 1 || ms > 60_000) throw new InvalidArgumentError('the timeout is an integer number of ms from 1 to 60000');
  return ms;
}

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

async function scan(opts: ScanModbusOptions): Promise<void> {
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

export function register(program: Command): void {
  const scanCommand = program.command('scan').description('Find devices and print manifest entries for them');
  scanCommand
    .command('modbus')
    .description('Find Modbus units on a serial bus (each baud rate × unit id) or behind a Modbus TCP address; Ctrl-C prints what was found so far and exits 130')
    .option('--port <path|n>', 'serial port path (e.g. /dev/ttyUSB0); with --host, the TCP port (502)')
    .option('--host <host>', 'Modbus TCP device or gateway to scan instead of a serial port')
    .addOption(new Option('--baud <list>', 'serial: baud rates to try, comma-separated').argParser(parseBauds).default([9600, 19200], '9600,19200'))
    .addOption(new Option('--units <ranges>', 'unit ids to probe, e.g. 1-247 or 1,3,10-12').argParser(parseUnits).default(parseUnits('1-247'), '1-247'))
    .addOption(new Option('--parity <parity>', 'serial: parity').choices(['none', 'even', 'odd']).default('none'))
    .option('--timeout <ms>', 'how long to wait for each unit to answer', parseTimeout, 200)
    .action((opts: ScanModbusOptions) => scan(opts));
}
