// Topic builders and the one parser of the topic tree `{root}/{pole}/{kind}`.
import { POLE_ID_PATTERN } from './constants.js';

export const DEFAULT_TOPIC_ROOT = 'city/v1';

export type JsonTopicKind = 'state' | 'birth' | 'telemetry' | 'alarm' | 'event' | 'cmd' | 'cmd/result';
export type TopicKind = JsonTopicKind | 'blob';

export interface ParsedTopic {
  pole: string;
  kind: TopicKind;
  /** Only for `blob`: the hex sha256 of the payload. */
  sha256?: string;
}

const POLE_ID = new RegExp(POLE_ID_PATTERN);
const SHA256_HEX = /^[0-9a-f]{64}$/;
const JSON_KINDS = new Set<string>(['state', 'birth', 'telemetry', 'alarm', 'event', 'cmd', 'cmd/result']);

export function isPoleId(id: string): boolean {
  return POLE_ID.test(id);
}

export function topicFor(root: string, pole: string, kind: JsonTopicKind): string {
  return `${root}/${pole}/${kind}`;
}

export function blobTopic(root: string, pole: string, sha256: string): string {
  return `${root}/${pole}/blob/${sha256}`;
}

/** Parses a topic of the tree; undefined when it is not one. */
export function parseTopic(root: string, topic: string): ParsedTopic | undefined {
  if (!topic.startsWith(root + '/')) return undefined;
  const rest = topic.slice(root.length + 1);
  const slash = rest.indexOf('/');
  if (slash < 0) return undefined;
  const pole = rest.slice(0, slash);
  const kind = rest.slice(slash + 1);
  if (!POLE_ID.test(pole)) return undefined;
  if (JSON_KINDS.has(kind)) return { pole, kind: kind as JsonTopicKind };
  if (kind.startsWith('blob/')) {
    const sha256 = kind.slice(5);
    return SHA256_HEX.test(sha256) ? { pole, kind: 'blob', sha256 } : undefined;
  }
  return undefined;
}
