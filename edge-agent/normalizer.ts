// Driver samples become readings in the canonical unit of their quantity (DESIGN.md, "Normalizer").
// Pure: no I/O, no state. Conversions come from the pole's unit table, plain data computed by config/
// when the manifest was loaded, so the unit library never sits in the agent's memory.
//
// A bad sample (value null, NaN or ±Infinity) still has to cross the wire, where `value` is required
// and JSON has no NaN: it goes as quality `bad` with a string value that says why (the driver's reason,
// or `no value`, `NaN`, `Infinity`). A consumer must read `quality` before `value`; a string in a
// numeric series can never be mistaken for a measurement.
import type { UnitTable } from '../config/units.js';
import type { BirthPayload } from '../contract/schemas.js';
import type { DeviceDescription, Sample } from '../drivers/sdk/types.js';
import type { NormalizedReading } from './reading.js';

export type BirthDevice = BirthPayload['devices'][number];

/** The unit's conversion; undefined for a unit the table lacks, which stays as written. */
function conversion(units: UnitTable, unit: string) {
  return Object.hasOwn(units, unit) ? units[unit] : undefined;
}

function badValue(sample: Sample): string {
  if (sample.reason) return sample.reason;
  if (sample.value === null) return 'no value';
  return String(sample.value);
}

export function normalizeSample(device: string, sample: Sample, units: UnitTable): NormalizedReading {
  const { metric, value, ts, quality } = sample;
  const target = conversion(units, sample.unit);
  if (value === null || (typeof value === 'number' && !Number.isFinite(value))) {
    return { device, metric, value: badValue(sample), unit: target?.canonical ?? sample.unit, ts, quality: 'bad' };
  }
  if (typeof value !== 'number') return { device, metric, value, unit: target?.canonical ?? sample.unit, ts, quality };
  if (!target) return { device, metric, value, unit: sample.unit, ts, quality: quality === 'good' ? 'uncertain' : quality };
  return { device, metric, value: value * target.factor + target.offset, unit: target.canonical, ts, quality };
}

export function normalizeSamples(device: string, samples: Sample[], units: UnitTable): NormalizedReading[] {
  return samples.map((sample) => normalizeSample(device, sample, units));
}

/** A device as birth announces it: the units it will be reported in after normalization. */
export function describeForBirth(device: string, driver: string, description: DeviceDescription, units: UnitTable): BirthDevice {
  const metrics = description.metrics.map((m) => ({ name: m.name, type: m.type, unit: conversion(units, m.unit)?.canonical ?? m.unit }));
  return description.model === undefined ? { id: device, driver, metrics } : { id: device, driver, model: description.model, metrics };
}
