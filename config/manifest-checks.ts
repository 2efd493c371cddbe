// Cross-field checks of a pole manifest that a schema cannot express: unique ids, references
// between sections (rules → devices and metrics), and keys that only make sense together.
import type { ConfigIssue } from './errors.js';
import { isEntry, type Entry, type YamlPath, type YamlSource } from './yaml-source.js';
import { didYouMean } from './suggest.js';

const entries = (v: unknown): Array<[number, Entry]> => (Array.isArray(v) ? v.map((e, i) => [i, e] as [number, Entry]).filter(([, e]) => isEntry(e)) : []);
const num = (v: unknown): v is number => typeof v === 'number';

/** Metric names of each device id; undefined when the device's metrics are not known before it runs. */
export type DeviceMetrics = Map<string, string[] | undefined>;

export function manifestIssues(manifest: unknown, metrics: DeviceMetrics, source: YamlSource): ConfigIssue[] {
  if (!isEntry(manifest)) return [];
  const issues: ConfigIssue[] = [];
  const at = (path: YamlPath, message: string) => issues.push(source.issueAt(path, message));

  uniqueIds(manifest.devices, 'devices', 'device', at);
  uniqueIds(manifest.buses, 'buses', 'bus', at);
  uniqueIds(manifest.rules, 'rules', 'rule', at);

  if (isEntry(manifest.uplink)) {
    const { url, urls } = manifest.uplink;
    if (url !== undefined && urls !== undefined) at(['uplink', 'urls'], 'give either url: (one broker) or urls: (brokers to fail over across), not both');
    if (url === undefined && urls === undefined) at(['uplink'], 'needs url: (one broker) or urls: (brokers to fail over across)');
  }

  const deviceIds = [...metrics.keys()];
  for (const [i, rule] of entries(manifest.rules)) ruleIssues(rule, ['rules', i], metrics, deviceIds, at);

  const deadband = isEntry(manifest.report) ? manifest.report.deadband : undefined;
  if (isEntry(deadband)) {
    for (const key of Object.keys(deadband)) {
      if (key === 'default') continue;
      const dot = key.indexOf('.');
      const problem = dot < 0 ? referenceProblem(key, undefined, metrics, deviceIds) : referenceProblem(key.slice(0, dot), key.slice(dot + 1), metrics, deviceIds);
      if (problem) at(['report', 'deadband', key], problem);
    }
  }
  return issues;
}

function uniqueIds(list: unknown, section: string, what: string, at: (path: YamlPath, message: string) => void): void {
  const seen = new Map<string, number>();
  for (const [i, entry] of entries(list)) {
    if (typeof entry.id !== 'string') continue;
    const first = seen.get(entry.id);
    if (first !== undefined) at([section, i, 'id'], `${what} id '${entry.id}' is already used by ${section}[${first}]; ids must be unique`);
    else seen.set(entry.id, i);
  }
}

/** Why `device[.metric]` does not name something on this pole, or undefined when it does. */
function referenceProblem(device: string, metric: string | undefined, metrics: DeviceMetrics, deviceIds: string[]): string | undefined {
  if (!metrics.has(device)) return `no device '${device}' on this pole${didYouMean(device, deviceIds)}`;
  const known = metrics.get(device);
  if (metric !== undefined && known && !known.includes(metric)) {
    return `device '${device}' has no metric '${metric}' (its metrics: ${known.join(', ')})${didYouMean(metric, known)}`;
  }
  return undefined;
}

function ruleIssues(rule: Entry, path: YamlPath, metrics: DeviceMetrics, deviceIds: string[], at: (path: YamlPath, message: string) => void): void {
  if (typeof rule.metric === 'string' && rule.metric.includes('.')) {
    const dot = rule.metric.indexOf('.');
    const problem = referenceProblem(rule.metric.slice(0, dot), rule.metric.slice(dot + 1), metrics, deviceIds);
    if (problem) at([...path, 'metric'], problem);
  }
  if (typeof rule.snapshot === 'string' && !metrics.has(rule.snapshot)) {
    at([...path, 'snapshot'], `no device '${rule.snapshot}' on this pole to take a snapshot${didYouMean(rule.snapshot, deviceIds)}`);
  }
  if (rule.snapshotWaitMs !== undefined && rule.snapshot === undefined) at([...path, 'snapshotWaitMs'], 'snapshotWaitMs applies to a rule with snapshot: only; add snapshot: <camera> or remove snapshotWaitMs');
  const { above, below, clearBelow, clearAbove, dropBy, riseBy, withinMs, staleMs } = rule;
  if (staleMs !== undefined) {
    // A stale rule watches for silence, not values: a condition beside it would be a second alarm under one id.
    const others = ['above', 'below', 'dropBy', 'riseBy', 'forMs', 'clearBelow', 'clearAbove'].filter((key) => rule[key] !== undefined);
    if (others.length > 0) at([...path, 'staleMs'], `a stale rule watches for silence and takes no ${others.join(', ')}; put that condition in a rule of its own`);
    return;
  }
  if (above === undefined && below === undefined && dropBy === undefined && riseBy === undefined) {
    at(path, 'a rule needs a condition: above:, below:, dropBy:, riseBy: or staleMs:');
  }
  if (clearBelow !== undefined && above === undefined) at([...path, 'clearBelow'], 'clearBelow applies to an above: threshold; add above: or remove clearBelow');
  if (num(clearBelow) && num(above) && clearBelow >= above) at([...path, 'clearBelow'], `must be below above (${above}), so the alarm clears only once the value has fallen back; it is ${clearBelow}`);
  if (clearAbove !== undefined && below === undefined) at([...path, 'clearAbove'], 'clearAbove applies to a below: threshold; add below: or remove clearAbove');
  if (num(clearAbove) && num(below) && clearAbove <= below) at([...path, 'clearAbove'], `must be above below (${below}), so the alarm clears only once the value has risen back; it is ${clearAbove}`);
  const rate = dropBy !== undefined || riseBy !== undefined;
  if (rate && withinMs === undefined) at(path, `${dropBy !== undefined ? 'dropBy' : 'riseBy'} needs withinMs: the window the change happens in`);
  if (!rate && withinMs !== undefined) at([...path, 'withinMs'], 'withinMs applies to dropBy: or riseBy: only');
}
