// The ingest pipeline: every publish a pole makes (and the will the broker publishes for it) is
// decoded against the contract, queued, and written to the store in batches. A bad payload goes
// to dead letters and never stops ingest; a publish is acknowledged only once it is committed.
//
// Group commit: what arrives in one turn of the event loop is written in one transaction at the end
// of that turn (writes run one at a time, in order). No timer: a pole's publishes reach us one socket
// read at a time (aedes reads on only after every publish of the last read is acknowledged), so a
// flush timer added its delay to every round trip of a draining pole. The SQLite store writes
// synchronously, so what arrives during its write is simply the next turn's group. An asynchronous
// store (PostgreSQL) gets a write per turn queued behind the one under way: holding arrivals until
// that write finished was measured slower, as every pole then waited on the same commit and the
// cloud sat idle while the database worked.
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AlarmPayload, BirthPayload, CommandResultPayload, EventPayload, StatePayload, TelemetryPayload } from '../contract/schemas.js';
import { parseTopic, type JsonTopicKind } from '../contract/topics.js';
import { decodePayload } from '../contract/validate.js';
import { emptyBatch, type BatchResult, type IngestBatch, type Store } from './store/store.js';

/** How much of a bad payload is kept for a human to look at. */
export const MAX_DEAD_LETTER_BYTES = 4096;

export type IngestedKind = 'state' | 'birth' | 'telemetry' | 'alarm' | 'event' | 'blob';

export interface IngestedEvent {
  pole: string;
  kind: IngestedKind;
  /** Messages (readings, for telemetry) newly stored. */
  count: number;
  /** Messages (readings) already in the store, dropped. */
  duplicates: number;
}

export interface PresenceEvent {
  pole: string;
  state: StatePayload['state'];
}

export interface DeadLetterEvent {
  pole: string | null;
  topic: string;
  reason: string;
}

export interface IngestOptions {
  store: Store;
  topicRoot: string;
  log: Logger;
  /** Flush as soon as this many readings are queued, before the end of the turn. */
  maxBatchReadings?: number;
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Emits 'ingested' (IngestedEvent), 'presence' (PresenceEvent), 'dead-letter' (DeadLetterEvent)
 * and 'command-result' ({ pole, result }) after each commit.
 */
export class Ingest extends EventEmitter {
  private batch: IngestBatch = emptyBatch(0);
  private queuedReadings = 0;
  private waiters: Waiter[] = [];
  private results: { pole: string; result: CommandResultPayload }[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly maxBatchReadings: number;

  constructor(private readonly options: IngestOptions) {
    super();
    this.maxBatchReadings = options.maxBatchReadings ?? 20_000;
  }

  /**
   * Takes one publish from `from` (the pole the client authenticated as, or null). Resolves when it
   * is committed, as a message or as a dead letter; rejects only when the store fails.
   */
  accept(topic: string, payload: Buffer, from: string | null): Promise<void> {
    this.route(topic, payload, from);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.queuedReadings >= this.maxBatchReadings) void this.flush();
    else this.scheduled ??= setImmediate(() => void this.flush());
    return done;
  }

  private route(topic: string, payload: Buffer, from: string | null): void {
    const parsed = parseTopic(this.options.topicRoot, topic);
    if (!parsed) return this.deadLetter(from, topic, payload, `not a topic of ${this.options.topicRoot}/{pole}/…`);
    const pole = parsed.pole;
    if (parsed.kind === 'blob') {
      const actual = createHash('sha256').update(payload).digest('hex');
      if (actual !== parsed.sha256) return this.deadLetter(pole, topic, payload, `blob sha256 is ${actual}, not the ${parsed.sha256} of its topic`);
      this.batch.blobs.push({ pole, sha256: actual, bytes: payload });
      return;
    }
    if (parsed.kind === 'cmd') return this.deadLetter(pole, topic, payload, 'cmd is sent to poles, not ingested');
    const decoded = decodePayload<{ pole?: string }>(parsed.kind as JsonTopicKind, payload);
    if (!decoded.ok) return this.deadLetter(pole, topic, payload, `${parsed.kind}: ${decoded.reason}`);
    const message = decoded.value;
    if (parsed.kind !== 'cmd/result' && message.pole !== pole) {
      return this.deadLetter(pole, topic, payload, `payload pole "${message.pole}" differs from the topic's pole "${pole}"`);
    }
    const b = this.batch;
    switch (parsed.kind) {
      case 'telemetry': {
        const t = message as TelemetryPayload;
        b.telemetry.push(t);
        this.queuedReadings += t.readings.length;
        break;
      }
      case 'alarm': b.alarms.push(message as AlarmPayload); break;
      case 'event': b.events.push(message as EventPayload); break;
      case 'state': b.states.push(message as StatePayload); break;
      case 'birth': b.births.push(message as BirthPayload); break;
      case 'cmd/result': this.results.push({ pole, result: message as CommandResultPayload }); break;
    }
  }

  private deadLetter(pole: string | null, topic: string, payload: Buffer, reason: string): void {
    this.batch.deadLetters.push({ pole, topic, reason, payload: Buffer.from(payload.subarray(0, MAX_DEAD_LETTER_BYTES)), size: payload.length });
  }

  /** Writes what is queued; resolves when it is committed. */
  flush(): Promise<void> {
    clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const batch = this.batch;
    const waiters = this.waiters;
    const results = this.results;
    this.batch = emptyBatch(0);
    this.waiters = [];
    this.results = [];
    this.queuedReadings = 0;
    if (waiters.length === 0) return this.writing;
    // One write at a time, in order: presence and latest values depend on arrival order.
    this.writing = this.writing.then(async () => {
      batch.receivedAt = Date.now();
      let result: BatchResult;
      try {
        result = await this.options.store.writeBatch(batch);
      } catch (err) {
        this.options.log.error({ err: (err as Error).message, messages: waiters.length }, 'store write failed; the publishes are not acknowledged and will be resent');
        for (const w of waiters) w.reject(err as Error);
        return;
      }
      for (const w of waiters) w.resolve();
      this.report(batch, result, results);
    }).catch((err) => this.options.log.error({ err: (err as Error).message }, 'an ingest listener failed'));
    return this.writing;
  }

  private report(batch: IngestBatch, result: BatchResult, results: { pole: string; result: CommandResultPayload }[]): void {
    const tally = new Map<string, IngestedEvent>();
    const add = (pole: string, kind: IngestedKind, count: number, duplicates: number) => {
      const key = `${pole}\u0000${kind}`;
      const entry = tally.get(key);
      if (entry) {
        entry.count += count;
        entry.duplicates += duplicates;
      } else tally.set(key, { pole, kind, count, duplicates });
    };
    batch.telemetry.forEach((t, i) => {
      const duplicates = result.telemetryDuplicates[i]!;
      add(t.pole, 'telemetry', t.readings.length - duplicates, duplicates);
    });
    batch.alarms.forEach((a, i) => add(a.pole, 'alarm', result.alarmDuplicates[i] ? 0 : 1, result.alarmDuplicates[i] ? 1 : 0));
    batch.events.forEach((e, i) => add(e.pole, 'event', result.eventDuplicates[i] ? 0 : 1, result.eventDuplicates[i] ? 1 : 0));
    for (const s of batch.states) add(s.pole, 'state', 1, 0);
    for (const b of batch.births) add(b.pole, 'birth', 1, 0);
    for (const b of batch.blobs) add(b.pole, 'blob', 1, 0);
    for (const d of batch.deadLetters) {
      this.options.log.warn({ pole: d.pole, topic: d.topic, reason: d.reason, size: d.size }, 'payload dead-lettered');
      this.emit('dead-letter', { pole: d.pole, topic: d.topic, reason: d.reason } satisfies DeadLetterEvent);
    }
    for (const event of tally.values()) this.emit('ingested', event);
    for (const s of batch.states) this.emit('presence', { pole: s.pole, state: s.state } satisfies PresenceEvent);
    for (const r of results) this.emit('command-result', r);
  }

  /** Flushes what is queued; the store stays open (its owner closes it). */
  async close(): Promise<void> {
    await this.flush();
  }
}
