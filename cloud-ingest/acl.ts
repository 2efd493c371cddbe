// Who may publish and subscribe where (docs/cloud.md). Pure functions of an
// identity and a topic, so the rules can be read and tested in one place.
import { parseTopic, type TopicKind } from '../contract/topics.js';

export type Role = 'read' | 'operate';

export type Identity =
  | { kind: 'pole'; id: string }
  | { kind: 'user'; name: string; role: Role };

/** What a pole sends to the cloud; `cmd` flows the other way. */
const POLE_TO_CLOUD = new Set<TopicKind>(['state', 'birth', 'telemetry', 'alarm', 'event', 'blob', 'cmd/result']);

/** A reason for refusing, or undefined when the publish is allowed. */
export function publishRefusal(who: Identity, root: string, topic: string): string | undefined {
  const parsed = parseTopic(root, topic);
  if (!parsed) return `not a topic of ${root}/{pole}/…`;
  if (who.kind === 'pole') {
    if (parsed.pole !== who.id) return `a pole may publish only under ${root}/${who.id}/`;
    if (!POLE_TO_CLOUD.has(parsed.kind)) return `a pole may not publish ${parsed.kind}`;
    return undefined;
  }
  if (who.role === 'operate' && parsed.kind === 'cmd') return undefined;
  return who.role === 'operate' ? 'platform users may publish only cmd' : 'role read may not publish';
}

/** A reason for refusing, or undefined when the subscription is allowed. */
export function subscribeRefusal(who: Identity, root: string, filter: string): string | undefined {
  if (who.kind === 'pole') {
    return filter === `${root}/${who.id}/cmd` ? undefined : `a pole may subscribe only to ${root}/${who.id}/cmd`;
  }
  if (filter === root || filter.startsWith(`${root}/`)) return undefined;
  return `platform users may subscribe only under ${root}/ (e.g. ${root}/#)`;
}
