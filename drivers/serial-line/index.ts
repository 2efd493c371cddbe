// The built-in `serial-line` driver: line-oriented ASCII instruments described by a profile with no
// code (kind: serial-line). On a bus (shared with Modbus RTU units, one transaction at a time) or on a
// serial server over TCP, both the agent's arbitrated ByteBus. With a `request:` each poll is one
// transaction (request out, the first matching line back); without one the instrument streams, the
// driver listens while the line is idle, and a poll takes the latest complete line.
import { LineFramer, lineCheck, lineText, PolegateError, type ByteBus, type Driver, type DriverContext, type DriverRuntime, type LineMetric, type MetricInfo, type Sample } from '../sdk/index.js';
import { DEFAULT_SERVER_PORT, type SerialLineDriverOptions } from './options.js';
import { lineParser, type LineParser } from './parse-line.js';

const DEFAULT_TERMINATOR = '\r\n';
const METRIC_TYPES: Record<LineMetric['type'], MetricInfo['type']> = { float: 'number', int: 'number', bool: 'boolean', string: 'string' };

function busOf(options: SerialLineDriverOptions, context: DriverContext): { bus: ByteBus; where: string } {
  const { deviceId } = context;
  const noAgent = (what: string) => new PolegateError(`device ${deviceId}: ${what} needs the agent's shared buses, which this driver was not given; run it under polegate edge`, 'NOT_SUPPORTED', 2);
  if (options.bus !== undefined) {
    const bus = context.transport?.bus;
    if (!bus) throw noAgent(`a serial line on bus ${options.bus}`);
    return { bus, where: `device ${deviceId} (serial line on bus ${bus.label})` };
  }
  if (options.host === undefined) throw new PolegateError(`device ${deviceId}: a serial-line device needs bus: or host:`, 'CONFIG_INVALID', 2);
  const port = options.port ?? DEFAULT_SERVER_PORT;
  if (!context.transport) throw noAgent(`a serial line over TCP to ${options.host}:${port}`);
  return { bus: context.transport.tcpBus(options.host, port), where: `device ${deviceId} (serial line over TCP ${options.host}:${port})` };
}

/** The latest lines of a streaming instrument: one of its own if any came since the last poll, else the latest other. */
class StreamWatch {
  private own: string | undefined;
  private other: string | undefined;
  private waiter: (() => void) | undefined;

  constructor(private readonly parser: LineParser) {}

  add(lines: string[]): void {
    for (const line of lines) {
      if (this.parser.refuse(line) === undefined) this.own = line;
      else this.other = line;
    }
    if (lines.length > 0) this.waiter?.();
  }

  /** The poll's line, waiting up to `timeoutMs` for one when none came since the last poll. */
  async take(timeoutMs: number): Promise<string | undefined> {
    if (this.own === undefined && this.other === undefined) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        timer = setTimeout(resolve, timeoutMs);
      });
      clearTimeout(timer);
      this.waiter = undefined;
    }
    const line = this.own ?? this.other;
    this.own = this.other = undefined;
    return line;
  }

  /** Wakes a poll waiting for a line, at close. */
  release(): void {
    this.waiter?.();
  }
}

function create(options: SerialLineDriverOptions, context: DriverContext): Driver {
  const { clock, deviceId } = context;
  const { profile } = options;
  const { bus, where } = busOf(options, context);
  const parser = lineParser(profile);
  const framing = { terminator: profile.terminator ?? DEFAULT_TERMINATOR, ...(profile.maxLineBytes ? { maxLineBytes: profile.maxLineBytes } : {}) };
  const request = profile.request === undefined ? undefined : Buffer.from(profile.request, 'latin1');
  const timeoutMs = options.timeoutMs ?? context.timeoutMs;
  const check = lineCheck(framing, parser.refuse);
  const terminatorLength = Buffer.byteLength(framing.terminator, 'latin1');
  let watch: StreamWatch | undefined;
  let stopListening: (() => void) | undefined;

  const unreachable = (err: unknown) => new PolegateError(`${where}: ${(err as Error).message ?? String(err)}; check that the instrument is powered and wired`, 'DEVICE_UNREACHABLE', 1);

  async function ask(request: Buffer): Promise<Sample[]> {
    let frame: Buffer;
    try {
      frame = await bus.transact(request, check);
    } catch (err) {
      // Lines came but none was the instrument's: its metrics are bad, the line itself is fine.
      if (err instanceof PolegateError && err.code === 'BUS_BAD_FRAME') return parser.bad(`malformed answer: ${err.message}`, clock.now());
      throw unreachable(err);
    }
    return parser.samples(lineText(frame.subarray(0, frame.length - terminatorLength)), clock.now());
  }

  async function listenRead(): Promise<Sample[]> {
    const line = await watch!.take(timeoutMs);
    if (line === undefined) throw unreachable(new Error(`no line within ${timeoutMs} ms`));
    return parser.samples(line, clock.now());
  }

  return {
    async open() {
      if (request || watch) return;
      if (!bus.listen) throw new PolegateError(`${where}: this bus cannot listen, so a streaming instrument (a profile with no request:) cannot be read on it`, 'NOT_SUPPORTED', 2);
      const framer = new LineFramer(framing);
      watch = new StreamWatch(parser);
      stopListening = bus.listen((bytes) => watch!.add(framer.push(bytes)));
      context.log.debug({ device: deviceId }, 'listening for streamed lines');
    },
    describe() {
      return { model: profile.model, metrics: profile.metrics.map((m) => ({ name: m.name, unit: m.unit ?? '', type: METRIC_TYPES[m.type] })) };
    },
    async read() {
      return request ? ask(request) : listenRead();
    },
    async close() {
      stopListening?.();
      stopListening = undefined;
      watch?.release();
      watch = undefined;
    },
  };
}

// The options schema (options.ts) is not imported here: the agent runs this module; drivers/builtin.ts adds it for config/.
const serialLine: DriverRuntime<SerialLineDriverOptions> = {
  kind: 'serial-line',
  create,
};

export default serialLine;
