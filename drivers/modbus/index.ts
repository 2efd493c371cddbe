// The built-in `modbus` driver over Modbus TCP, RTU on a shared serial bus, or RTU tunnelled over TCP:
// the profile decides what is read (read-plan.ts) and how registers become values
// (the SDK's decode-registers.ts); this file picks the link, runs the plan, and turns link failures into one
// clear error and refusals and malformed answers into bad samples.
import {
  decodeRegisters,
  encodeValue,
  layoutOf,
  PolegateError,
  type Driver,
  type DriverContext,
  type DriverRuntime,
  type MetricInfo,
  type ProfileMetric,
  type ReadingValue,
  type Sample,
} from '../sdk/index.js';
import type { ModbusDriverOptions } from './options.js';
import { planProfile, type ReadRequest } from './read-plan.js';
import { ModbusException, type ModbusClient } from './modbus-client.js';
import { RtuClient } from './rtu-client.js';
import { MbapClient } from './mbap-client.js';

const DEFAULT_PORT = 502;

function checkOptions(options: ModbusDriverOptions, deviceId: string): void {
  if (options.bus === undefined && options.host === undefined) {
    throw new PolegateError(`device ${deviceId}: a Modbus device needs host (Modbus TCP) or bus (RTU); add host: and port:`, 'CONFIG_INVALID', 2);
  }
  for (const metric of options.profile.metrics) {
    try {
      layoutOf(metric);
    } catch (err) {
      throw new PolegateError(`device ${deviceId}: profile ${options.profile.name}, metric ${metric.name}: ${(err as Error).message}`, 'CONFIG_INVALID', 2);
    }
  }
}

function metricType(metric: ProfileMetric): MetricInfo['type'] {
  const { type } = layoutOf(metric);
  return type === 'bool' ? 'boolean' : type === 'string' ? 'string' : 'number';
}

/** The link to the unit and how messages name it. RTU links are the agent's shared buses. */
function linkOf(options: ModbusDriverOptions, context: DriverContext): { client: ModbusClient; where: string } {
  const { deviceId } = context;
  const { unitId } = options;
  const noAgent = (what: string) => new PolegateError(`device ${deviceId}: ${what} needs the agent's shared buses, which this driver was not given; run it under polegate edge`, 'NOT_SUPPORTED', 2);
  if (options.bus !== undefined) {
    const bus = context.transport?.bus;
    if (!bus) throw noAgent(`Modbus RTU on bus ${options.bus}`);
    return { client: new RtuClient(bus, unitId), where: `device ${deviceId} (Modbus RTU on bus ${bus.label}, unit ${unitId})` };
  }
  const host = options.host!;
  const port = options.port ?? DEFAULT_PORT;
  if (options.framing === 'rtu-over-tcp') {
    if (!context.transport) throw noAgent(`Modbus RTU over TCP to ${host}:${port}`);
    return { client: new RtuClient(context.transport.tcpBus(host, port), unitId), where: `device ${deviceId} (Modbus RTU over TCP ${host}:${port}, unit ${unitId})` };
  }
  const timeoutMs = options.timeoutMs ?? context.timeoutMs;
  return { client: new MbapClient({ host, port, unitId, timeoutMs }), where: `device ${deviceId} (Modbus TCP ${host}:${port}, unit ${unitId})` };
}

/** An answer the bus saw but could not accept (bad CRC, noise): the request's samples are bad, the link is fine. */
const isBadFrame = (err: unknown) => err instanceof PolegateError && err.code === 'BUS_BAD_FRAME';
const BAD_FRAME_PREFIX = 'malformed answer: ';

function create(options: ModbusDriverOptions, context: DriverContext): Driver {
  const { deviceId, clock } = context;
  checkOptions(options, deviceId);
  const { profile } = options;
  const { client, where } = linkOf(options, context);
  const plan = planProfile(profile);
  const byName = new Map(profile.metrics.map((metric) => [metric.name, metric]));
  const unitOf = (metric: ProfileMetric) => metric.unit ?? '';

  /** A link failure: drop the connection so that the next call reconnects, and say where. */
  function unreachable(err: unknown, doing: string): Error {
    client.close();
    const cause = (err as Error).message ?? String(err);
    return new PolegateError(`${where}: ${doing} failed: ${cause}; check that the device is powered and reachable`, 'DEVICE_UNREACHABLE', 1);
  }

  async function ensureConnected(): Promise<void> {
    if (client.connected) return;
    try {
      await client.connect();
    } catch (err) {
      throw unreachable(err, 'connect');
    }
  }

  function badSamples(request: ReadRequest, reason: string): Sample[] {
    const ts = clock.now();
    return request.metrics.map(({ metric }) => ({ metric: metric.name, value: null, unit: unitOf(metric), ts, quality: 'bad', reason }));
  }

  /**
   * Runs one request; a Modbus exception marks its metrics bad, a malformed answer is thrown as it is
   * (BUS_BAD_FRAME, for read() to handle), anything else is a link failure.
   */
  async function execute(request: ReadRequest): Promise<Sample[]> {
    let words: number[];
    try {
      words = await client.read(request.table, request.address, request.count);
    } catch (err) {
      if (err instanceof ModbusException) return badSamples(request, err.message);
      if (isBadFrame(err)) throw err;
      throw unreachable(err, `reading ${request.table} ${request.address}+${request.count}`);
    }
    const ts = clock.now();
    return request.metrics.map(({ metric, offset, width, layout }) => ({
      metric: metric.name,
      unit: unitOf(metric),
      ts,
      ...decodeRegisters(metric, words.slice(offset, offset + width), layout),
    }));
  }

  async function write(name: string, value: ReadingValue): Promise<void> {
    const metric = byName.get(name);
    if (!metric) throw new PolegateError(`${where}: no metric ${name} in profile ${profile.name}`, 'WRITE_REFUSED', 2);
    if (metric.table === 'input' || metric.table === 'discrete') {
      throw new PolegateError(`${where}: ${name} is in the ${metric.table} table, which is read-only`, 'WRITE_REFUSED', 2);
    }
    if (metric.writable !== true) {
      throw new PolegateError(`${where}: ${name} is not writable (set writable: true in profile ${profile.name} if the device allows it)`, 'WRITE_REFUSED', 2);
    }
    let current: number[] = [];
    let image: number[];
    await ensureConnected();
    if (metric.bit !== undefined) {
      // A bit shares its register with others: read it first so that only this bit changes.
      try {
        current = await client.read(metric.table, metric.address, 1);
      } catch (err) {
        if (err instanceof ModbusException) throw new PolegateError(`${where}: reading ${name} before writing it: ${err.message}`, 'WRITE_REFUSED', 1);
        throw unreachable(err, `writing ${name}`);
      }
    }
    try {
      image = encodeValue(metric, value, current);
    } catch (err) {
      throw new PolegateError(`${where}: cannot write ${name}: ${(err as Error).message}`, 'WRITE_REFUSED', 2);
    }
    try {
      if (metric.table === 'coil') await client.writeCoil(metric.address, image[0] === 1);
      else await client.writeRegisters(metric.address, image);
    } catch (err) {
      if (err instanceof ModbusException) throw new PolegateError(`${where}: writing ${name}: ${err.message}`, 'WRITE_REFUSED', 1);
      throw unreachable(err, `writing ${name}`);
    }
  }

  return {
    async open() {
      await ensureConnected();
    },
    describe() {
      return {
        model: profile.model,
        metrics: profile.metrics.map((metric) => ({ name: metric.name, unit: unitOf(metric), type: metricType(metric) })),
      };
    },
    async read() {
      await ensureConnected();
      const samples: Sample[] = [];
      let malformed: string | undefined;
      for (const request of plan) {
        // A unit that garbles one answer garbles the next: asking again would cost the shared bus
        // a timeout per request instead of one per poll.
        if (malformed) {
          samples.push(...badSamples(request, `not read: ${malformed}`));
          continue;
        }
        try {
          samples.push(...(await execute(request)));
        } catch (err) {
          if (!isBadFrame(err)) throw err;
          malformed = `${BAD_FRAME_PREFIX}${(err as Error).message}`;
          samples.push(...badSamples(request, malformed));
        }
      }
      return samples;
    },
    write,
    async close() {
      client.close();
    },
  };
}

// The options schema (options.ts) is not imported here: the agent runs this module and has no use
// for it; drivers/builtin.ts adds it for config/.
const modbus: DriverRuntime<ModbusDriverOptions> = {
  kind: 'modbus',
  create,
};

export default modbus;
