// The ingest pipeline: every publish a pole makes (and the will the broker publishes for it) is
// decoded against the contract, queued, and written to the store in batches. A bad payload goes
// to dead letters and never stops ingest; a publish is acknowledged only once it is committed.
//
// Group commit: what arrives in one turn of the event loop is written in one transaction at the end
// of that turn (writes run one at a time, in order). No timer: a pole's publishes reach us one socket
// read at a time (aedes reads on only after every publish of the last read is acknowledged), so a
// flush timer added its delay to every round trip of a draining pole. The SQLite store writes
// synchronously, so what arrives during its write is simply the next turn's group. An asynchronous
// store (PostgreSQL): what arrives in the turns during its write joins one group, up to
// maxBatchReadings, written when that write is done. A write per turn queued behind it was measured
// slower once the store's per-transaction cost (its round trips and their CPU) was most of its
// work: 32,600–44,300 against 83,000 readings/s (docs/performance.md).
//
// One bad message cannot fail the others: when a group's write fails, its messages are written one
// by one; one that fails alone while the store still takes a dead letter is dead-lettered with the
// store's reason (and acknowledged, so the pole does not resend it forever). Only when the store
// takes nothing are the publishes left unacknowledged, to be resent.
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AlarmPayload, BirthPayload, CommandResultPayload, EventPayload, StatePayload, TelemetryPayload } from '../contract/schemas.js';
import { parseTopic, type JsonTopicKind } from '../contract/topics.js';
import { decodePayload } from '../contract/validate.js';
import { freeFormRefusal } from './free-form.js';
import { emptyBatch, type BatchResult, type DeadLetter, type IngestBatch, type Store } from './store/store.js';

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
  /** Readings dated further ahead of the cloud's clock are dead-lettered (ingest.maxFutureMs). */
  maxFutureMs?: number;
}

/** How far ahead of the cloud's clock a reading may be dated when ingest.maxFutureMs is not set. */
export const DEFAULT_MAX_FUTURE_MS = 5 * 60_000;

type BatchList = 'telemetry' | 'alarms' | 'events' | 'states' | 'births' | 'blobs' | 'deadLetters';
type CommandResult = { pole: string; result: CommandResultPayload };

/** One publish waiting for its commit, with what it added to the group, to write it alone if need be. */
interface Pending {
  topic: string;
  pole: string | null;
  payload: Buffer;
  parts: { list: BatchList; value: unknown }[];
  result: CommandResult | undefined;
  /** What subscribers receive: the payload, one with its refused readings removed, or nothing. */
  forward: Buffer | undefined;
  resolve: (forward: Buffer | undefined) => void;
  reject: (err: Error) => void;
}

function deadLetterOf(pole: string | null, topic: string, payload: Buffer, reason: string): DeadLetter {
  return { pole, topic, reason, payload: Buffer.from(payload.subarray(0, MAX_DEAD_LETTER_BYTES)), size: payload.length };
}

/**
 * Emits 'ingested' (IngestedEvent), 'presence' (PresenceEvent), 'dead-letter' (DeadLetterEvent)
 * and 'command-result' ({ pole, result }) after each commit.
 */
export class Ingest extends EventEmitter {
  private batch: IngestBatch = emptyBatch(0);
  private queuedReadings = 0;
  private pending: Pending[] = [];
  private results: CommandResult[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** The group waiting for the write under way; later turns join it, so it goes in one transaction. */
  private next: { batch: IngestBatch; pending: Pending[]; results: CommandResult[]; readings: number } | undefined;
  private readonly maxBatchReadings: number;
  private readonly maxFutureMs: number;

  constructor(private readonly options: IngestOptions) {
    super();
    this.maxBatchReadings = options.maxBatchReadings ?? 20_000;
    this.maxFutureMs = options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS;
  }

  /**
   * Takes one publish from `from` (the pole the client authenticated as, or null). Resolves when it
   * is committed, as a message or as a dead letter, with what may be forwarded to subscribers
   * (undefined: nothing, it was dead-lettered); rejects only when the store fails.
   */
  accept(topic: string, payload: Buffer, from: string | null): Promise<Buffer | undefined> {
    const done = new Promise<Buffer | undefined>((resolve, reject) => this.route(topic, payload, from, resolve, reject));
    if (this.queuedReadings >= this.maxBatchReadings) void this.flush();
    else this.scheduled ??= setImmediate(() => void this.flush());
    return done;
  }

  private route(topic: string, payload: Buffer, from: string | null, resolve: Pending['resolve'], reject: Pending['reject']): void {
    const entry: Pending = { topic, pole: from, payload, parts: [], result: undefined, forward: undefined, resolve, reject };
    this.pending.push(entry);
    const add = (list: BatchList, value: unknown) => {
      (this.batch[list] as unknown[]).push(value);
      entry.parts.push({ list, value });
    };
    const deadLetter = (pole: string | null, reason: string) => add('deadLetters', deadLetterOf(pole, topic, payload, reason));
    const parsed = parseTopic(this.options.topicRoot, topic);
    if (!parsed) return deadLetter(from, `not a topic of ${this.options.topicRoot}/{pole}/…`);
    const pole = parsed.pole;
    entry.pole = pole;
    if (parsed.kind === 'blob') {
      const actual = createHash('sha256').update(payload).digest('hex');
      if (actual !== parsed.sha256) return deadLetter(pole, `blob sha256 is ${actual}, not the ${parsed.sha256} of its topic`);
      add('blobs', { pole, sha256: actual, bytes: payload });
      entry.forward = payload;
      return;
    }
    if (parsed.kind === 'cmd') return deadLetter(pole, 'cmd is sent to poles, not ingested');
    const decoded = decodePayload<{ pole?: string }>(parsed.kind as JsonTopicKind, payload);
    if (!decoded.ok) return deadLetter(pole, `${parsed.kind}: ${decoded.reason}`);
    const message = decoded.value;
    if (parsed.kind !== 'cmd/result' && message.pole !== pole) {
      return deadLetter(pole, `payload pole "${message.pole}" differs from the topic's pole "${pole}"`);
    }
    const refusal = freeFormRefusal(parsed.kind, message, payload.length);
    if (refusal) return deadLetter(pole, refusal);
    entry.forward = payload;
    switch (parsed.kind) {
      case 'telemetry': {
        const t = message as TelemetryPayload;
        const latest = Date.now() + this.maxFutureMs;
        if (t.readings.some((r) => r.ts > latest)) {
          const future = t.readings.filter((r) => r.ts > latest);
          const first = future[0]!;
          deadLetter(pole, `${future.length} of ${t.readings.length} readings dated more than ingest.maxFutureMs (${this.maxFutureMs} ms) ahead of the cloud's clock (first: ${first.device}.${first.metric} at ${new Date(first.ts).toISOString()})`);
          t.readings = t.readings.filter((r) => r.ts <= latest);
          if (t.readings.length === 0) {
            entry.forward = undefined;
            break;
          }
          entry.forward = Buffer.from(JSON.stringify(t));
        }
        add('telemetry', t);
        this.queuedReadings += t.readings.length;
        break;
      }
      case 'alarm': add('alarms', message as AlarmPayload); break;
      case 'event': add('events', message as EventPayload); break;
      case 'state': add('states', message as StatePayload); break;
      case 'birth': add('births', message as BirthPayload); break;
      case 'cmd/result':
        entry.result = { pole, result: message as CommandResultPayload };
        this.results.push(entry.result);
        break;
    }
  }

  /** Writes what is queued; resolves when it is committed. */
  flush(): Promise<void> {
    clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const batch = this.batch;
    const pending = this.pending;
    const results = this.results;
    this.batch = emptyBatch(0);
    this.pending = [];
    this.results = [];
    const readings = this.queuedReadings;
    this.queuedReadings = 0;
    if (pending.length === 0) return this.writing;
    if (this.next && this.next.readings + readings <= this.maxBatchReadings) {
      const next = this.next;
      for (const list of Object.keys(batch) as (BatchList | 'receivedAt')[]) if (list !== 'receivedAt') (next.batch[list] as unknown[]).push(...(batch[list] as unknown[]));
      next.pending.push(...pending);
      next.results.push(...results);
      next.readings += readings;
      return this.writing;
    }
    const group = { batch, pending, results, readings };
    this.next = group;
    // One write at a time, in order: presence and latest values depend on arrival order.
    this.writing = this.writing.then(async () => {
      if (this.next === group) this.next = undefined;
      batch.receivedAt = Date.now();
      let result: BatchResult;
      try {
        result = await this.options.store.writeBatch(batch);
      } catch (err) {
        this.options.log.error({ err: (err as Error).message, messages: pending.length }, 'store write failed; writing its messages one by one');
        return this.isolate(pending);
      }
      for (const p of pending) p.resolve(p.forward);
      this.report(batch, result, results);
    }).catch((err) => this.options.log.error({ err: (err as Error).message }, 'an ingest listener failed'));
    return this.writing;
  }

  /** Writes each message of a failed group alone (see the top of this file). */
  private async isolate(pending: Pending[]): Promise<void> {
    let storeDown: Error | undefined;
    for (const p of pending) {
      if (storeDown) {
        p.reject(storeDown);
        continue;
      }
      const alone = emptyBatch(Date.now());
      for (const part of p.parts) (alone[part.list] as unknown[]).push(part.value);
      try {
        const result = await this.options.store.writeBatch(alone);
        p.resolve(p.forward);
        this.report(alone, result, p.result ? [p.result] : []);
        continue;
      } catch (err) {
        const letter = { ...emptyBatch(Date.now()), deadLetters: [deadLetterOf(p.pole, p.topic, p.payload, `the store refused it: ${(err as Error).message}`)] };
        try {
          const result = await this.options.store.writeBatch(letter);
          p.resolve(undefined);
          this.report(letter, result, []);
        } catch {
          this.options.log.error({ err: (err as Error).message }, 'the store takes nothing; the publishes are not acknowledged and will be resent');
          storeDown = err as Error;
          p.reject(storeDown);
        }
      }
    }
  }
  private report(batch: IngestBatch, result: BatchResult, results: CommandResult[]): void {
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
