// What GET /api/stream sends: every message the broker routes under the topic root once ingest
// committed it (a dead-lettered one is routed nowhere, so it is never seen here), as
// { kind, pole, data }, and every change of a command. In-process: each cloud node streams what
// its own broker routes, which in a cluster is every publish (aedes shares routing).
import { EventEmitter } from 'node:events';
import type { Aedes, AedesPublishPacket } from 'aedes';
import { parseTopic, type TopicKind } from '../contract/topics.js';
import type { Commands } from './commands.js';
import type { CommandRecord } from './store/commands.js';

export type LiveKind = 'telemetry' | 'alarm' | 'event' | 'presence' | 'birth' | 'command';

export interface LiveMessage {
  kind: LiveKind;
  pole: string;
  /** The contract payload as ingested plus `pole`; for `command`, the command record. */
  data: unknown;
}

const KINDS: Partial<Record<TopicKind, LiveKind>> = { telemetry: 'telemetry', alarm: 'alarm', event: 'event', state: 'presence', birth: 'birth' };

/** Emits 'message' (LiveMessage). */
export class LiveFeed extends EventEmitter {
  private constructor() {
    super();
    // One listener per open stream: many dashboards may be open.
    this.setMaxListeners(0);
  }

  static async start(broker: Aedes, topicRoot: string, commands: Commands): Promise<LiveFeed> {
    const feed = new LiveFeed();
    const deliver = (packet: AedesPublishPacket, done: () => void) => {
      done();
      const parsed = parseTopic(topicRoot, packet.topic);
      const kind = parsed && KINDS[parsed.kind];
      if (!parsed || !kind) return;
      try {
        const payload = JSON.parse(Buffer.from(packet.payload).toString('utf8')) as Record<string, unknown>;
        feed.emit('message', { kind, pole: parsed.pole, data: { ...payload, pole: parsed.pole } } satisfies LiveMessage);
      } catch {
        // Ingest decoded it before routing; an unparsable one cannot get here.
      }
    };
    await new Promise<void>((resolve) => broker.subscribe(`${topicRoot}/#`, deliver, resolve));
    commands.on('command', (record: CommandRecord) => feed.emit('message', { kind: 'command', pole: record.pole, data: record } satisfies LiveMessage));
    return feed;
  }
}
