// How many registers a profile metric occupies, and its value type once defaults apply.
import type { ProfileMetric, ValueType } from './profile-schema.js';

type MetricShape = Pick<ProfileMetric, 'table' | 'type' | 'length'>;

const WIDTHS: Record<Exclude<ValueType, 'string'>, number> = {
  bool: 1,
  int16: 1,
  uint16: 1,
  int32: 2,
  uint32: 2,
  float32: 2,
  int64: 4,
  uint64: 4,
  float64: 4,
};

/** `bool` on coil and discrete tables, `uint16` on register tables, unless the profile says otherwise. */
export function valueTypeOf(metric: Pick<ProfileMetric, 'table' | 'type'>): ValueType {
  return metric.type ?? (metric.table === 'coil' || metric.table === 'discrete' ? 'bool' : 'uint16');
}

/** Width in 16-bit registers (in bits for coil and discrete tables, always 1); string: its `length`. */
export function registerWidth(metric: MetricShape): number {
  const type = valueTypeOf(metric);
  return type === 'string' ? (metric.length ?? 1) : WIDTHS[type];
}

/** Bits of the value for multi-register numeric types, for byte-order checks: 16, 32 or 64. */
export function valueBits(type: ValueType): 16 | 32 | 64 | undefined {
  if (type === 'bool' || type === 'string') return undefined;
  return (WIDTHS[type] * 16) as 16 | 32 | 64;
}
