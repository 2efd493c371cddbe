// Units a device entry states in its own options (a vendor driver's `unit:` keys, OPC UA nodes'
// units, …): checked like a profile's, at their YAML path, so that the pole's unit table holds every
// unit the manifest names and none reaches the wire unconverted.
import type { ConfigIssue } from './errors.js';
import { checkUnit } from './units.js';
import type { YamlPath, YamlSource } from './yaml-source.js';

/** Every `unit:` string under `value`, with its path. */
function unitsUnder(value: unknown, path: YamlPath, found: Array<{ unit: string; path: YamlPath }>): void {
  if (Array.isArray(value)) value.forEach((item, i) => unitsUnder(item, [...path, i], found));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'unit' && typeof item === 'string') found.push({ unit: item, path: [...path, key] });
      else unitsUnder(item, [...path, key], found);
    }
  }
}

/** The units of one device entry's options, and an issue for each that is not usable. */
export function deviceUnits(device: Record<string, unknown>, index: number, source: YamlSource): { units: string[]; issues: ConfigIssue[] } {
  const found: Array<{ unit: string; path: YamlPath }> = [];
  unitsUnder(device, ['devices', index], found);
  const issues: ConfigIssue[] = [];
  for (const { unit, path } of found) {
    const problem = checkUnit(unit);
    if (problem) issues.push(source.issueAt(path, problem));
  }
  return { units: found.map((f) => f.unit), issues };
}
