// Outbox batches and presence as the v1 payloads of the wire contract (contract/schemas.ts).
// Telemetry bodies are already JSON, so a payload is assembled as a string, never re-serialized.
import { CONTRACT_VERSION } from '../contract/constants.js';
import type { BirthPayload, StatePayload } from '../contract/schemas.js';
import type { OutboxBatch } from './outbox.js';

export function batchPayload(pole: string, stream: string, batch: OutboxBatch, historical: boolean): string {
  const head = `{"v":${CONTRACT_VERSION},"pole":${JSON.stringify(pole)},"stream":${JSON.stringify(stream)}`;
  if (batch.kind === 'telemetry') return `${head}${historical ? ',"historical":true' : ''},"readings":[${batch.body}]}`;
  return `${head},"seq":${batch.seqFirst},"${batch.kind}":${batch.body}}`;
}

export function statePayload(pole: string, state: StatePayload['state'], bootId: string, ts: number): string {
  const payload: StatePayload = { v: CONTRACT_VERSION, pole, state, ts, bootId };
  return JSON.stringify(payload);
}

export function birthPayload(birth: Omit<BirthPayload, 'v'>): string {
  return JSON.stringify({ v: CONTRACT_VERSION, ...birth });
}
