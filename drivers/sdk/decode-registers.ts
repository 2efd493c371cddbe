// Registers ↔ values: the one codec shared by the driver (reads, writes) and the simulator.
// Pure functions, no I/O. Every decode takes the same three steps: put the wire bytes into
// big-endian order, one DataView read for the type, one scale step (raw × scale + offset).
import type { ProfileMetric, ValueType, ByteOrder } from '../../config/profile-schema.js';
import { registerWidth, valueTypeOf } from '../../config/register-width.js';
import type { Quality, ReadingValue } from './types.js';

export type Decoded =
  | { value: ReadingValue; quality: Exclude<Quality, 'bad'>; reason?: string }
  | { value: null; quality: 'bad'; reason: string };

/** How a metric sits in its table: its effective type, width in registers (or bits) and byte order. */
export interface Layout {
  type: ValueType;
  /** Registers for holding/input; 1 (one bit) for coil/discrete. */
  width: number;
  /** Wire byte permutation, or undefined for single-register and bit values. */
  order?: ByteOrder;
}

export function isBitTable(table: ProfileMetric['table']): boolean {
  return table === 'coil' || table === 'discrete';
}

/**
 * The layout of a metric, with the profile format's defaults (config/register-width.ts): a `bit`
 * of a 16-bit register reads as a bool; ABCD / ABCDEFGH order. Throws an Error saying what is
 * inconsistent (config/load-profile.ts refuses such profiles first); callers add where.
 */
export function layoutOf(metric: ProfileMetric): Layout {
  const declared = valueTypeOf(metric);
  const width = registerWidth(metric);
  if (isBitTable(metric.table)) {
    if (declared !== 'bool') throw new Error(`a ${metric.table} is one bit: type must be bool, not ${declared}`);
    if (metric.bit !== undefined) throw new Error(`bit applies to holding/input registers, not to a ${metric.table}`);
    return { type: declared, width };
  }
  if (metric.bit !== undefined) {
    if (width !== 1 || declared === 'string') throw new Error(`bit applies to 16-bit types (int16, uint16, bool) only, not to ${declared}`);
    return { type: 'bool', width };
  }
  if (metric.length !== undefined && declared !== 'string') throw new Error(`length applies to strings only, not to ${declared}`);
  if (declared === 'string' || width === 1) {
    if (metric.order !== undefined) throw new Error(`order applies to 32-bit and 64-bit types only, not to ${declared}`);
    return { type: declared, width };
  }
  const bytes = width * 2;
  const order = metric.order ?? (bytes === 4 ? 'ABCD' : 'ABCDEFGH');
  if (order.length !== bytes) {
    throw new Error(`${declared} has ${bytes} bytes: order must be one of ${bytes === 4 ? 'ABCD, CDAB, BADC, DCBA' : 'ABCDEFGH, GHEFCDAB, BADCFEHG, HGFEDCBA'}, not ${order}`);
  }
  return { type: declared, width, order };
}

/** Wire bytes → big-endian bytes: the letter at wire position i names the big-endian byte found there. */
function toBigEndian(wire: Uint8Array, order: string): Uint8Array {
  const be = new Uint8Array(wire.length);
  for (let i = 0; i < wire.length; i++) be[order.charCodeAt(i) - 65] = wire[i];
  return be;
}

/** Big-endian bytes → wire bytes, the inverse of toBigEndian. */
function toWire(be: Uint8Array, order: string): Uint8Array {
  const wire = new Uint8Array(be.length);
  for (let i = 0; i < be.length; i++) wire[i] = be[order.charCodeAt(i) - 65];
  return wire;
}

function wordsToBytes(words: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(words.length * 2);
  words.forEach((word, i) => {
    bytes[2 * i] = (word >> 8) & 0xff;
    bytes[2 * i + 1] = word & 0xff;
  });
  return bytes;
}

function bytesToWords(bytes: Uint8Array): number[] {
  const words: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) words.push((bytes[i] << 8) | bytes[i + 1]);
  return words;
}

/** Shortest decimal that reads back as the same float32, as a field tool shows it (123.456, not 123.45600128…). */
function shortestFloat32(value: number): number {
  for (let digits = 6; digits < 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}

function readRaw(view: DataView, type: ValueType): { raw: number; reason?: string } {
  switch (type) {
    case 'int16': return { raw: view.getInt16(0) };
    case 'uint16': return { raw: view.getUint16(0) };
    case 'int32': return { raw: view.getInt32(0) };
    case 'uint32': return { raw: view.getUint32(0) };
    case 'float32': return { raw: shortestFloat32(view.getFloat32(0)) };
    case 'float64': return { raw: view.getFloat64(0) };
    case 'int64':
    case 'uint64': {
      const big = type === 'int64' ? view.getBigInt64(0) : view.getBigUint64(0);
      const raw = Number(big);
      // Beyond 2^53 a number cannot hold every integer: report the nearest double, say so in the
      // quality, and keep the exact value in the reason rather than change the metric's type.
      return Number.isSafeInteger(raw) ? { raw } : { raw, reason: `${type} value ${big} exceeds 2^53 and is reported rounded` };
    }
    default: throw new Error(`not a numeric type: ${type}`);
  }
}

/** raw × scale + offset, rounded to 15 significant digits so that 3 × 0.1 reads 0.3. */
function scaled(raw: number, metric: ProfileMetric): number {
  if (metric.scale === undefined && metric.offset === undefined) return raw;
  return Number((raw * (metric.scale ?? 1) + (metric.offset ?? 0)).toPrecision(15));
}

/** Text is high byte first in each register; trailing NULs and spaces are padding. */
function decodeString(words: readonly number[]): string {
  return Buffer.from(wordsToBytes(words)).toString('utf8').replace(/[\0 ]+$/, '');
}

/**
 * The value of `metric` from its registers (`words`, exactly `layoutOf(metric).width` of them) or,
 * for coil/discrete, from `[0 | 1]`. Never throws on device data: a value that cannot be a
 * reading (NaN, ±Inf) comes back with quality bad and the reason. A caller that decodes the same
 * metric on every poll passes its `layout`, worked out once (read-plan.ts does).
 */
export function decodeRegisters(metric: ProfileMetric, words: readonly number[], layout: Layout = layoutOf(metric)): Decoded {
  if (words.length !== layout.width) {
    return { value: null, quality: 'bad', reason: `expected ${layout.width} register(s) for ${metric.name}, got ${words.length}` };
  }
  if (layout.type === 'bool') {
    const word = words[0];
    return { value: metric.bit === undefined ? word !== 0 : ((word >> metric.bit) & 1) === 1, quality: 'good' };
  }
  if (layout.type === 'string') return { value: decodeString(words), quality: 'good' };
  const bytes = wordsToBytes(words);
  const be = layout.order ? toBigEndian(bytes, layout.order) : bytes;
  const { raw, reason } = readRaw(new DataView(be.buffer), layout.type);
  if (!Number.isFinite(raw)) {
    return { value: null, quality: 'bad', reason: `${layout.type} register value is ${raw} (the device reports no valid measurement)` };
  }
  const value = scaled(raw, metric);
  return reason ? { value, quality: 'uncertain', reason } : { value, quality: 'good' };
}

const INTEGER_RANGES: Partial<Record<ValueType, [bigint, bigint]>> = {
  int16: [-(1n << 15n), (1n << 15n) - 1n],
  uint16: [0n, (1n << 16n) - 1n],
  int32: [-(1n << 31n), (1n << 31n) - 1n],
  uint32: [0n, (1n << 32n) - 1n],
  int64: [-(1n << 63n), (1n << 63n) - 1n],
  uint64: [0n, (1n << 64n) - 1n],
};

function writeRaw(view: DataView, type: ValueType, raw: number, metric: ProfileMetric): void {
  if (type === 'float32') return view.setFloat32(0, raw);
  if (type === 'float64') return view.setFloat64(0, raw);
  const [min, max] = INTEGER_RANGES[type]!;
  const int = BigInt(Math.round(raw));
  if (int < min || int > max) throw new Error(`${metric.name}: ${raw} is outside the ${type} range ${min}..${max}`);
  switch (type) {
    case 'int16': return view.setInt16(0, Number(int));
    case 'uint16': return view.setUint16(0, Number(int));
    case 'int32': return view.setInt32(0, Number(int));
    case 'uint32': return view.setUint32(0, Number(int));
    case 'int64': return view.setBigInt64(0, int);
    default: return view.setBigUint64(0, int);
  }
}

/**
 * The register image of `value` for `metric` (the inverse of decodeRegisters): words for
 * holding/input, `[0 | 1]` for coil/discrete. A `bit` metric changes one bit of `current` (the
 * register as it is now, 0 if not given). Throws an Error for a value the metric cannot hold.
 */
export function encodeValue(metric: ProfileMetric, value: ReadingValue, current: readonly number[] = []): number[] {
  const layout = layoutOf(metric);
  if (layout.type === 'bool') {
    if (typeof value !== 'boolean') throw new Error(`${metric.name} is a bool: write true or false, not ${JSON.stringify(value)}`);
    if (metric.bit === undefined) return [value ? 1 : 0];
    const word = current[0] ?? 0;
    return [value ? word | (1 << metric.bit) : word & ~(1 << metric.bit) & 0xffff];
  }
  if (layout.type === 'string') {
    if (typeof value !== 'string') throw new Error(`${metric.name} is a string: write text, not ${JSON.stringify(value)}`);
    const text = Buffer.from(value, 'utf8');
    if (text.length > layout.width * 2) throw new Error(`${metric.name}: "${value}" is ${text.length} bytes, more than ${layout.width} registers hold`);
    const bytes = new Uint8Array(layout.width * 2);
    bytes.set(text);
    return bytesToWords(bytes);
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`${metric.name} is a ${layout.type}: write a finite number, not ${JSON.stringify(value)}`);
  }
  const raw = (value - (metric.offset ?? 0)) / (metric.scale ?? 1);
  const be = new Uint8Array(layout.width * 2);
  writeRaw(new DataView(be.buffer), layout.type, raw, metric);
  return bytesToWords(layout.order ? toWire(be, layout.order) : be);
}
