// Loading the cloud ingest config (cloud.yaml) and the pole registry (poles.yaml), with the same
// error quality as the manifest.
import path from 'node:path';
import { existsSync } from 'node:fs';
import { isPoleId } from '../contract/topics.js';
import { POLE_ID_PATTERN } from '../contract/schemas.js';
import { patternWords } from './describe-schema.js';
import type { ConfigIssue } from './errors.js';
import { CloudConfig, PoleRegistry } from './cloud-schema.js';
import { loadYaml } from './load-yaml.js';
import { isEntry, type LoadOptions, type YamlSource } from './yaml-source.js';

export interface LoadedCloudConfig {
  /** Absolute path of the config file. */
  file: string;
  /** Its directory: relative paths in the config (poles, store path, TLS files) are relative to it. */
  dir: string;
  config: CloudConfig;
}

/** The cloud's listeners, each an optional `{ host, port }` key of the config. */
export const LISTENERS = ['mqtt', 'mqtts', 'ws', 'http'] as const;

export async function loadCloudConfig(file: string, opts: LoadOptions = {}): Promise<LoadedCloudConfig> {
  const config = (await loadYaml(file, 'cloud config', CloudConfig, opts.env, (source) => cloudIssues(source.value, source))).value as CloudConfig;
  const absolute = path.resolve(file);
  return { file: absolute, dir: path.dirname(absolute), config };
}

/** The largest pole registry read: about 150 bytes a pole, so room for some 200,000 poles. */
export const MAX_REGISTRY_BYTES = 32 * 1024 * 1024;

/** The registry written by `polegate cloud add-pole`; a file that does not exist yet is an empty registry. */
export async function loadPoleRegistry(file: string): Promise<PoleRegistry> {
  if (!existsSync(file)) return { poles: [] };
  return (await loadYaml(file, 'pole registry', PoleRegistry, undefined, (source) => registryIssues(source.value, source), MAX_REGISTRY_BYTES)).value as PoleRegistry;
}

function cloudIssues(config: unknown, source: YamlSource): ConfigIssue[] {
  if (!isEntry(config)) return [];
  const issues: ConfigIssue[] = [];
  if (config.mqtt === undefined && config.mqtts === undefined && config.ws === undefined) {
    issues.push(source.issueAt([], 'no MQTT listener: configure at least one of mqtt:, mqtts: or ws:'));
  }
  if (isEntry(config.mqtts) && config.mqtts.requireClientCert === true && config.mqtts.ca === undefined) {
    issues.push(source.issueAt(['mqtts', 'requireClientCert'], 'requireClientCert needs mqtts.ca, the CA that signs the poles\' certificates (tls/ca.pem from `polegate cloud issue-cert --ca`)'));
  }
  if (isEntry(config.logins) && typeof config.logins.baseDelayMs === 'number' && typeof config.logins.maxDelayMs === 'number' && config.logins.maxDelayMs < config.logins.baseDelayMs) {
    issues.push(source.issueAt(['logins', 'maxDelayMs'], `maxDelayMs ${config.logins.maxDelayMs} is below baseDelayMs ${config.logins.baseDelayMs}: the longest wait after failed logins cannot be shorter than the first`));
  }
  const ports = new Map<number, string>();
  for (const name of LISTENERS) {
    const listener = config[name];
    const port = isEntry(listener) ? listener.port : undefined;
    if (typeof port !== 'number' || port === 0) continue;
    const first = ports.get(port);
    if (first) issues.push(source.issueAt([name, 'port'], `port ${port} is already used by ${first}:; each listener needs its own port (0 picks a free one)`));
    else ports.set(port, name);
  }
  return issues;
}

function registryIssues(registry: unknown, source: YamlSource): ConfigIssue[] {
  const poles = isEntry(registry) && Array.isArray(registry.poles) ? registry.poles : [];
  const issues: ConfigIssue[] = [];
  const seen = new Map<string, number>();
  poles.forEach((pole: unknown, i) => {
    const id = isEntry(pole) ? pole.id : undefined;
    if (typeof id !== 'string') return;
    if (!isPoleId(id)) issues.push(source.issueAt(['poles', i, 'id'], `"${id}" is not ${patternWords(POLE_ID_PATTERN)}`));
    const first = seen.get(id);
    if (first !== undefined) issues.push(source.issueAt(['poles', i, 'id'], `pole '${id}' is already registered at poles[${first}]`));
    else seen.set(id, i);
  });
  return issues;
}
