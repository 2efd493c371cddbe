// Which read requests one poll makes: the profile's metrics grouped per table, adjacent (or near)
// addresses coalesced into one request, no request longer than the device accepts. Pure.
import { isBitTable, layoutOf, type Layout, type Profile, type ProfileMetric, type RegisterTable } from '../sdk/index.js';

/** The Modbus protocol's own ceilings: 125 registers (FC3/FC4) or 2000 bits (FC1/FC2) per request. */
export const MAX_REGISTERS_PER_READ = 125;
export const MAX_BITS_PER_READ = 2000;

export interface PlannedMetric {
  metric: ProfileMetric;
  /** Position of the metric's first register (or bit) in the request's answer. */
  offset: number;
  width: number;
  /** Worked out once with the plan, so that a poll does not redo it per metric. */
  layout: Layout;
}

export interface ReadRequest {
  table: RegisterTable;
  address: number;
  count: number;
  metrics: PlannedMetric[];
}

export interface PlanOptions {
  /** Largest register read; the profile's maxRegistersPerRead, 125 by default. */
  maxRegistersPerRead?: number;
  /** Largest coil / discrete-input read, 2000 by default. */
  maxBitsPerRead?: number;
  /** Unused addresses a request may span to join two metrics; the profile's maxGapRegisters, 0 (adjacent only) by default. */
  maxGap?: number;
}

const TABLE_ORDER: RegisterTable[] = ['holding', 'input', 'coil', 'discrete'];

export function planReads(metrics: readonly ProfileMetric[], options: PlanOptions = {}): ReadRequest[] {
  const maxGap = options.maxGap ?? 0;
  const requests: ReadRequest[] = [];
  for (const table of TABLE_ORDER) {
    const limit = isBitTable(table) ? options.maxBitsPerRead ?? MAX_BITS_PER_READ : options.maxRegistersPerRead ?? MAX_REGISTERS_PER_READ;
    const spans = metrics
      .filter((metric) => metric.table === table)
      .map((metric) => ({ metric, layout: layoutOf(metric) }))
      .sort((a, b) => a.metric.address - b.metric.address);
    let current: ReadRequest | undefined;
    for (const { metric, layout } of spans) {
      const { width } = layout;
      const end = metric.address + width;
      const fits = (request: ReadRequest) => metric.address - (request.address + request.count) <= maxGap
        && Math.max(end, request.address + request.count) - request.address <= limit;
      if (current === undefined || !fits(current)) {
        current = { table, address: metric.address, count: width, metrics: [] };
        requests.push(current);
      }
      current.count = Math.max(current.count, end - current.address);
      current.metrics.push({ metric, offset: metric.address - current.address, width, layout });
    }
  }
  return requests;
}

/** The plan a profile asks for: its metrics within its own request size and gap limits. */
export function planProfile(profile: Profile): ReadRequest[] {
  return planReads(profile.metrics, { maxRegistersPerRead: profile.maxRegistersPerRead, maxGap: profile.maxGapRegisters });
}
