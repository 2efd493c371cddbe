// Driver samples become readings in the canonical unit of their quantity (docs/manifest.md, "Units").
// Pure: no I/O, no state. Conversions come from the pole's unit table, plain data computed by config/
// when the manifest was loaded, so the unit library never sits in the agent's memory.
//
// A bad sample (value null, NaN or ±Infinity) still has to cross the wire, where `value` is required
// and JSON has no NaN: it goes as quality `bad` with a string value that says why (the driver's reason,
// or `no value`, `NaN`, `Infinity`). A consumer must read `quality` before `value`; a string in a
// numeric series can never be mistaken for a measurement.
//
// A converted value keeps the resolution of the value the driver gave, not the binary noise of the
// multiplication: 0.35031587 MPa is 350.31587 kPa (not 350.31586999999996), 1013.2 hPa is 101.32 kPa.
import type { UnitTable } from '../config/units.js';
import type { BirthPayload } from '../contract/schemas.js';
import type { DeviceDescription, Sample } from '../drivers/sdk/types.js';
import type { NormalizedReading } from './reading.js';

export type BirthDevice = BirthPayload['devices'][number];

/** The unit's conversion; undefined for a unit the table lacks, which stays as written. */
function conversion(units: UnitTable, unit: string) {
  return Object.hasOwn(units, unit) ? units[unit] : undefined;
}

/** Decimal places of a number in its shortest form (`0.35031587` → 8, `1.5e-7` → 8, `1200` → 0). */
function decimalsOf(value: number): number {
  const text = String(Math.abs(value));
  const e = text.indexOf('e');
  const mantissa = e < 0 ? text : text.slice(0, e);
  const dot = mantissa.indexOf('.');
  const places = dot < 0 ? 0 : mantissa.length - dot - 1;
  return Math.max(0, places - (e < 0 ? 0 : Number(text.slice(e + 1))));
}

/**
 * `value` in the canonical unit, rounded to the source's resolution: its decimals, shifted by the
 * order of magnitude of the factor (mm → m adds 3, MPa → kPa takes 3), never to coarser than a whole
 * canonical unit, and never to more than 15 significant digits (past them a double holds noise).
 */
export function convertValue(value: number, factor: number, offset: number): number {
  if (factor === 1 && offset === 0) return value;
  const converted = value * factor + offset;
  if (converted === 0 || !Number.isFinite(converted)) return converted;
  const resolution = decimalsOf(value) - Math.floor(Math.log10(Math.abs(factor)));
  const significant = 14 - Math.floor(Math.log10(Math.abs(converted)));
  const places = Math.max(0, Math.min(resolution, significant, 100));
  return Number(converted.toFixed(places));
}

function badValue(sample: Sample): string {
  if (sample.reason) return sample.reason;
  if (sample.value === null) return 'no value';
  return String(sample.value);
}

/**
 * A reading of a value that is there: `reason` is set only when the sample is not good, so a good
 * sample (nearly all of them) costs one object literal, with no spread of an empty one.
 */
function reading(device: string, sample: Sample, value: NonNullable<Sample['value']>, unit: string): NormalizedReading {
  const { metric, ts, quality, reason } = sample;
  if (quality === 'good' || !reason) return { device, metric, value, unit, ts, quality };
  return { device, metric, value, unit, ts, quality, reason };
}

export function normalizeSample(device: string, sample: Sample, units: UnitTable): NormalizedReading {
  const { metric, value, ts } = sample;
  const target = conversion(units, sample.unit);
  if (value === null || (typeof value === 'number' && !Number.isFinite(value))) {
    const why = badValue(sample);
    return { device, metric, value: why, unit: target?.canonical ?? sample.unit, ts, quality: 'bad', reason: why };
  }
  if (typeof value !== 'number') return reading(device, sample, value, target?.canonical ?? sample.unit);
  if (!target) {
    if (sample.quality !== 'good') return reading(device, sample, value, sample.unit);
    return { device, metric, value, unit: sample.unit, ts, quality: 'uncertain', reason: `unit ${sample.unit} is not in the pole's unit table: sent as written, not converted` };
  }
  return reading(device, sample, convertValue(value, target.factor, target.offset), target.canonical);
}

export function normalizeSamples(device: string, samples: Sample[], units: UnitTable): NormalizedReading[] {
  return samples.map((sample) => normalizeSample(device, sample, units));
}

const FACTS = ['model', 'manufacturer', 'firmware', 'serial'] as const;

/** A device as birth announces it: the units it will be reported in after normalization. */
export function describeForBirth(device: string, driver: string, description: DeviceDescription, units: UnitTable): BirthDevice {
  const metrics = description.metrics.map((m) => ({ name: m.name, type: m.type, unit: conversion(units, m.unit)?.canonical ?? m.unit }));
  const facts = Object.fromEntries(FACTS.flatMap((key) => (description[key] === undefined ? [] : [[key, description[key]]])));
  return { id: device, driver, ...facts, metrics };
}

/** Units of a description the pole's table lacks: their readings go as written, at best uncertain. */
export function unknownUnits(description: DeviceDescription, units: UnitTable): string[] {
  return [...new Set(description.metrics.map((m) => m.unit).filter((unit) => conversion(units, unit) === undefined))];
}
