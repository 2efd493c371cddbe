// Checks of a serial-line profile beyond its schema: the line pattern compiles, every metric names
// one of its named groups, names are unique, scale and offset only on numbers, units are known.
import type { ConfigIssue } from './errors.js';
import type { LineMetric } from './profile-schema.js';
import { checkUnit } from './units.js';
import { didYouMean } from './suggest.js';
import type { YamlSource } from './yaml-source.js';

/** The named groups of a regex source, in order (lookbehinds `(?<=` `(?<!` are not groups). */
export function groupNames(pattern: string): string[] {
  return [...pattern.matchAll(/\(\?<([A-Za-z_$][\w$]*)>/g)].map((m) => m[1]!);
}

export function lineProfileIssues(source: YamlSource): ConfigIssue[] {
  const value = source.value as { line?: unknown; metrics?: unknown } | null;
  const issues: ConfigIssue[] = [];
  let groups: string[] | undefined;
  if (typeof value?.line === 'string') {
    try {
      new RegExp(value.line);
      groups = groupNames(value.line);
      if (groups.length === 0) issues.push(source.issueAt(['line'], 'has no named group: name the value of each metric, e.g. (?<level>-?[0-9.]+)'));
    } catch (err) {
      issues.push(source.issueAt(['line'], `is not a valid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`));
    }
  }
  if (!Array.isArray(value?.metrics)) return issues;
  const names = new Map<string, number>();
  value.metrics.forEach((entry, i) => {
    const m = entry as Partial<LineMetric> | null;
    if (!m || typeof m.name !== 'string') return;
    const at = (key: string, message: string) => issues.push(source.issueAt(['metrics', i, key], message));
    const first = names.get(m.name);
    if (first !== undefined) at('name', `metric name '${m.name}' is already used by metrics[${first}]; names must be unique`);
    else names.set(m.name, i);
    if (groups && groups.length > 0 && !groups.includes(m.name)) {
      at('name', `line: has no group (?<${m.name}>…) (its groups: ${groups.join(', ')})${didYouMean(m.name, groups)}`);
    }
    if ((m.scale !== undefined || m.offset !== undefined) && (m.type === 'bool' || m.type === 'string')) {
      at(m.scale !== undefined ? 'scale' : 'offset', `scale and offset apply to float and int only, not to ${m.type}`);
    }
    if (typeof m.unit === 'string') {
      const problem = checkUnit(m.unit);
      if (problem) at('unit', problem);
    }
  });
  return issues;
}
