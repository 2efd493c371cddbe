// Units: which unit strings are valid, and how a value in one becomes the canonical unit of its
// quantity (docs/manifest.md, "Units"). Units are UCUM codes, checked and converted by ucum-lhc;
// the field's own units for gas and humidity pass through as written.
import ucum from '@lhncbc/ucum-lhc';
import { suggestUnit } from './suggest.js';

const utils = ucum.UcumLhcUtils.getInstance();

/** Canonical unit of each quantity, in the order they are tried. */
const CANONICAL_UNITS = ['kPa', 'm', 'Cel', 'm3/h', 'V'] as const;
/** Units the field writes that are canonical as written (not UCUM, or not converted). */
const FIELD_UNITS = new Set(['%LEL', 'ppm', '%vol', '%RH', '%', '']);
/** Spellings the manifest allows (docs/manifest.md, "Units") that UCUM writes in brackets. */
const ALIASES: Record<string, string> = { psi: '[psi]', degF: '[degF]' };

/** Units a driver without a profile (a vendor's) is likely to report, converted without the unit library at run time. */
const COMMON_UNITS = [...CANONICAL_UNITS, ...FIELD_UNITS, ...Object.keys(ALIASES), 'MPa', 'bar', 'cm', 'mm', '[degF]', 'K', 'mV'];

/** Affine conversion into the canonical unit of a quantity: `value * factor + offset`. */
export interface UnitConversion {
  canonical: string;
  factor: number;
  offset: number;
}

/**
 * Unit → conversion, as plain data: what the edge's normalizer uses, so that the unit library is
 * loaded only while the manifest is (config/load-manifest-in-worker.ts), never for the agent's life.
 */
export type UnitTable = Record<string, UnitConversion>;

const cache = new Map<string, UnitConversion | string>();

/** Valid UCUM codes that a field engineer writes meaning something else: refused with what to write. */
const MISREAD: Record<string, string> = {
  C: "'C' is the coulomb (electric charge) in UCUM; for degrees Celsius write 'Cel'",
  F: "'F' is the farad (capacitance) in UCUM; for degrees Fahrenheit write '[degF]'",
};
/** Codes a misspelling is matched against regardless of case, beside the common units. */
const SUGGESTED = ['hPa', 'mbar', 'L/min', 'm/s', 'deg', 'h', 's'];

function resolve(unit: string): UnitConversion | string {
  if (FIELD_UNITS.has(unit)) return { canonical: unit, factor: 1, offset: 0 };
  if (Object.hasOwn(MISREAD, unit)) return MISREAD[unit]!;
  const code = ALIASES[unit] ?? unit;
  // The unit library logs to the console on a blank; no UCUM code has one anyway.
  const check = /\s/.test(code) ? { status: 'invalid', msg: [] as string[] } : utils.validateUnitString(code, true);
  if (check.status !== 'valid') {
    const meant = suggestUnit(unit, [...COMMON_UNITS, ...SUGGESTED]);
    if (meant) return `unknown unit '${unit}' — did you mean '${meant}'? (units are UCUM codes such as kPa, m, Cel, m3/h, V, or one of %LEL, ppm, %vol, %RH)`;
    const hint = check.msg.join(' ').replace(/\s+/g, ' ').trim();
    return `unknown unit '${unit}'${hint ? `: ${hint}` : ''} (use a UCUM code such as kPa, m, Cel, m3/h, V, or one of %LEL, ppm, %vol, %RH)`;
  }
  for (const target of CANONICAL_UNITS) {
    if (code === target) return { canonical: target, factor: 1, offset: 0 };
    const zero = utils.convertUnitTo(code, 0, target);
    const one = utils.convertUnitTo(code, 1, target);
    if (zero.status === 'succeeded' && one.status === 'succeeded' && zero.toVal !== null && one.toVal !== null) {
      // Every conversion between these units is affine (temperature has an offset), so two points
      // define it and the hot path is one multiply and one add.
      return { canonical: target, factor: one.toVal - zero.toVal, offset: zero.toVal };
    }
  }
  // A valid UCUM unit of another quantity (e.g. lx, Hz): canonical as written.
  return { canonical: code, factor: 1, offset: 0 };
}

function lookup(unit: string): UnitConversion | string {
  let found = cache.get(unit);
  if (found === undefined) {
    found = resolve(unit);
    cache.set(unit, found);
  }
  return found;
}

/** An error message for an invalid unit, or undefined when the unit is usable. */
export function checkUnit(unit: string): string | undefined {
  const found = lookup(unit);
  return typeof found === 'string' ? found : undefined;
}

/** The conversions of `units` and of the common units; invalid units are left out (config/ reports them). */
export function unitTable(units: Iterable<string>): UnitTable {
  const table: UnitTable = {};
  for (const unit of [...COMMON_UNITS, ...units]) {
    const found = lookup(unit);
    if (typeof found !== 'string') table[unit] = found;
  }
  return table;
}
