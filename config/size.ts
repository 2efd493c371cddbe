// Byte sizes (`256MiB`, `10MB`, `512KiB`, plain integers) and deadbands (`0.5%` or a number), as
// the manifest writes them (the Size schema in shared-schema.ts).
import { PolegateError } from './errors.js';

/** SI prefixes are powers of 1000 (kB = KB = 1000), binary ones powers of 1024, as on a disk label. */
const UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  kB: 1e3,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
};
const SIZE = /^([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)$/;

/** Bytes, rounded down to a whole byte. */
export function parseSize(v: number | string): number {
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v > 0) return v;
    throw new PolegateError(`size ${v} must be a whole number of bytes greater than 0`, 'BAD_SIZE', 2);
  }
  const match = SIZE.exec(v.trim());
  const factor = match ? UNITS[match[2]!] : undefined;
  if (!match || factor === undefined) {
    throw new PolegateError(`'${v}' is not a size: write a number of bytes or a size such as 256MiB, 10MB or 512KiB (units: ${Object.keys(UNITS).filter(Boolean).join(', ')})`, 'BAD_SIZE', 2);
  }
  const bytes = Math.floor(Number(match[1]) * factor);
  if (bytes < 1) throw new PolegateError(`size '${v}' must be at least 1 byte`, 'BAD_SIZE', 2);
  return bytes;
}

export type Deadband = { absolute: number } | { percent: number };

/** A number is an absolute change in the metric's unit; `0.5%` is relative to the last reported value. */
export function parseDeadband(v: number | string): Deadband {
  if (typeof v === 'number') {
    if (Number.isFinite(v) && v >= 0) return { absolute: v };
  } else {
    const match = /^\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*$/.exec(v);
    if (match) return { percent: Number(match[1]) };
  }
  throw new PolegateError(`'${v}' is not a deadband: write a change of 0 or more in the metric's unit (0.5) or a percentage (0.5%)`, 'BAD_DEADBAND', 2);
}
