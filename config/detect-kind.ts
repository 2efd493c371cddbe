// Which kind of config file this is, from its top-level keys, for `polegate validate FILE`.
import { isMap, isScalar, parseDocument } from 'yaml';
import { CONFIG_KINDS, type ConfigKind } from './config-kinds.js';
import { maskReferences } from './interpolate.js';

export { CONFIG_KINDS, type ConfigKind } from './config-kinds.js';

const MARKERS: Record<ConfigKind, string[]> = {
  manifest: ['pole', 'devices', 'uplink', 'buses', 'rules'],
  profile: ['metrics', 'maxRegistersPerRead', 'terminator', 'line'],
  cloud: ['store', 'poles', 'mqtt', 'mqtts', 'ws', 'http', 'users', 'cluster', 'topicRoot'],
};

/** The kind whose keys the document has most of; undefined when it has none of them. */
export function detectKind(text: string): ConfigKind | undefined {
  // Only the top-level keys, read from the syntax tree: no alias is expanded here.
  const contents = parseDocument(maskReferences(text)).contents;
  if (!isMap(contents)) return undefined;
  const keys = new Set(contents.items.map((pair) => (isScalar(pair.key) ? String(pair.key.value) : '')));
  let best: ConfigKind | undefined;
  let bestCount = 0;
  for (const kind of CONFIG_KINDS) {
    const count = MARKERS[kind].filter((k) => keys.has(k)).length;
    if (count > bestCount) {
      best = kind;
      bestCount = count;
    }
  }
  return best;
}
