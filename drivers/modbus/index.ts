// The built-in `modbus` driver over Modbus TCP: the profile decides what is read (read-plan.ts)
// and how registers become values (decode-registers.ts); this file runs the plan and turns
// link failures into one clear error and refusals into bad samples.
import type { Driver, DriverContext, DriverFactory, MetricInfo, ReadingValue, Sample } from '../sdk/types.js';
import type { ProfileMetric } from '../../config/profile-schema.js';
import { PolegateError } from '../../config/errors.js';
import { ModbusOptions, type ModbusDriverOptions } from './options.js';
import { decodeRegisters, encodeValue, layoutOf } from './decode-registers.js';
import { planReads, type ReadRequest } from './read-plan.js';
import { ModbusException, ModbusTcpClient } from './tcp-client.js';

const DEFAULT_PORT = 502;

function checkOptions(options: ModbusDriverOptions, deviceId: string): void {
  if (options.bus !== undefined) {
    throw new PolegateError(`device ${deviceId}: Modbus RTU over a serial bus (bus: ${options.bus}) is not supported yet; use a Modbus TCP device (host, port) for now`, 'NOT_SUPPORTED', 2);
  }
  if (options.framing === 'rtu-over-tcp') {
    throw new PolegateError(`device ${deviceId}: framing rtu-over-tcp is not supported yet; use framing: tcp`, 'NOT_SUPPORTED', 2);
  }
  if (options.host === undefined) {
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

function create(options: ModbusDriverOptions, context: DriverContext): Driver {
  const { deviceId, clock } = context;
  checkOptions(options, deviceId);
  const { profile, unitId } = options;
  const host = options.host!;
  const port = options.port ?? DEFAULT_PORT;
  const timeoutMs = options.timeoutMs ?? context.timeoutMs;
  const where = `device ${deviceId} (Modbus TCP ${host}:${port}, unit ${unitId})`;
  const plan = planReads(profile.metrics, { maxRegistersPerRead: profile.maxRegistersPerRead });
  const client = new ModbusTcpClient({ host, port, unitId, timeoutMs });
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

  /** Runs one request; a Modbus exception marks its metrics bad, anything else is a link failure. */
  async function execute(request: ReadRequest): Promise<Sample[]> {
    let words: number[];
    try {
      words = await client.read(request.table, request.address, request.count);
    } catch (err) {
      if (!(err instanceof ModbusException)) throw unreachable(err, `reading ${request.table} ${request.address}+${request.count}`);
      const ts = clock.now();
      return request.metrics.map(({ metric }) => ({ metric: metric.name, value: null, unit: unitOf(metric), ts, quality: 'bad', reason: err.message }));
    }
    const ts = clock.now();
    return request.metrics.map(({ metric, offset, width }) => ({
      metric: metric.name,
      unit: unitOf(metric),
      ts,
      ...decodeRegisters(metric, words.slice(offset, offset + width)),
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
    try {
      // A bit shares its register with others: read it first so that only this bit changes.
      if (metric.bit !== undefined) current = await client.read(metric.table, metric.address, 1);
      image = encodeValue(metric, value, current);
    } catch (err) {
      if (err instanceof ModbusException) throw new PolegateError(`${where}: reading ${name} before writing it: ${err.message}`, 'WRITE_REFUSED', 1);
      if (err instanceof Error && !client.connected) throw unreachable(err, `writing ${name}`);
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
      for (const request of plan) samples.push(...(await execute(request)));
      return samples;
    },
    write,
    async close() {
      client.close();
    },
  };
}

const modbus: DriverFactory<ModbusDriverOptions> = {
  kind: 'modbus',
  optionsSchema: ModbusOptions,
  create,
};

export default modbus;
