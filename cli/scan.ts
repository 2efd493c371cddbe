// `polegate scan onvif`: finds ONVIF cameras by WS-Discovery (scan-onvif-action.ts).
// `polegate scan modbus`: finds Modbus units on a serial bus (--port PATH, each baud rate × unit id)
// or behind a Modbus TCP address (--host H [--port N]), with progress on stderr and manifest entries
// for what it found on stdout. Ctrl-C stops the scan, prints what was found so far, exits 130.
// Registering the command loads nothing else; the scan loads when it runs (scan-action.ts).
import { InvalidArgumentError, Option, type Command } from 'commander';
import { integer } from './options.js';

export interface ScanModbusOptions {
  port?: string;
  host?: string;
  baud: number[];
  units: number[];
  parity: 'none' | 'even' | 'odd';
  timeout: number;
}

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
    .option('--timeout <ms>', 'how long to wait for each unit to answer', integer('--timeout (ms)', 1, 60_000), 200)
    .action(async (opts: ScanModbusOptions) => (await import('./scan-action.js')).scan(opts));
  scanCommand
    .command('onvif')
    .description('Find ONVIF cameras by WS-Discovery (multicast on the LAN, or one address with --target); with --username/--password, read each one\'s device information')
    .option('--target <host:port>', 'probe this address by unicast instead of the multicast group 239.255.255.250:3702', parseTarget)
    .option('--timeout <ms>', 'how long to wait for answers', integer('--timeout (ms)', 1, 60_000), 2000)
    .option('--username <name>', 'ONVIF user, to read device information')
    .option('--password <text>', 'its password')
    .action(async (opts: ScanOnvifOptions) => (await import('./scan-onvif-action.js')).scanOnvif(opts));
}

export interface ScanOnvifOptions {
  target?: { host: string; port: number };
  timeout: number;
  username?: string;
  password?: string;
}

function parseTarget(text: string): { host: string; port: number } {
  const match = /^(.+):(\d+)$/.exec(text.trim());
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) throw new InvalidArgumentError(`'${text}' is not HOST:PORT; write e.g. 192.168.10.64:3702`);
  return { host: match[1]!, port };
}
