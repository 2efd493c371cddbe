// Driver samples become readings in the canonical unit of their quantity (DESIGN.md, "Normalizer").
// Pure: no I/O, no state beyond the unit cache in config/units.ts.
//
// A bad sample (value null, NaN or ±Infinity) still has to cross the wire, where `value` is required
// and JSON has no NaN: it goes as quality `bad` with a string value that says why (the driver's reason,
// or `no value`, `NaN`, `Infinity`). A consumer must read `quality` before `value`; a string in a
// numeric series can never be mistaken for a measurement.
import { toCanonical } from '../config/units.js';
import type { BirthPayload } from '../contract/schemas.js';
import type { DeviceDescription, Sample } from '../drivers/sdk/types.js';
import type { NormalizedReading } from './reading.js';

export type BirthDevice = BirthPayload['devices'][number];

/** The canonical unit for a driver unit; an unknown unit stays as written (config/ refuses those earlier). */
function canonical(unit: string): { unit: string; convert: (v: number) => number } | undefined {
  try {
    return toCanonical(unit);
  } catch {
    return undefined;
  }
}

function badValue(sample: Sample): string {
  if (sample.reason) return sample.reason;
  if (sample.value === null) return 'no value';
  return String(sample.value);
}

export function normalizeSample(device: string, sample: Sample): NormalizedReading {
  const { metric, value, ts, quality } = sample;
  if (value === null || (typeof value === 'number' && !Number.isFinite(value))) {
    return { device, metric, value: badValue(sample), unit: canonical(sample.unit)?.unit ?? sample.unit, ts, quality: 'bad' };
  }
  const target = canonical(sample.unit);
  if (typeof value !== 'number') return { device, metric, value, unit: target?.unit ?? sample.unit, ts, quality };
  if (!target) return { device, metric, value, unit: sample.unit, ts, quality: quality === 'good' ? 'uncertain' : quality };
  return { device, metric, value: target.convert(value), unit: target.unit, ts, quality };
}

export function normalizeSamples(device: string, samples: Sample[]): NormalizedReading[] {
  return samples.map((sample) => normalizeSample(device, sample));
}

/** A device as birth announces it: the units it will be reported in after normalization. */
export function describeForBirth(device: string, driver: string, description: DeviceDescription): BirthDevice {
  const metrics = description.metrics.map((m) => ({ name: m.name, type: m.type, unit: canonical(m.unit)?.unit ?? m.unit }));
  return description.model === undefined ? { id: device, driver, metrics } : { id: device, driver, model: description.model, metrics };
}
