// Compiled validators for the contract's payloads, with errors a platform engineer can read.
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import { PAYLOAD_SCHEMAS } from './schemas.js';
import type { JsonTopicKind } from './topics.js';

const ajv = new Ajv({ allErrors: true, strict: true });
const validators = new Map<JsonTopicKind, ValidateFunction>();
for (const [kind, schema] of Object.entries(PAYLOAD_SCHEMAS)) {
  validators.set(kind as JsonTopicKind, ajv.compile(schema));
}

export type Validation<T> = { ok: true; value: T } | { ok: false; reason: string };

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
    .join('; ');
}

/** Checks a decoded JSON value against the schema of a topic kind. */
export function validatePayload<T = unknown>(kind: JsonTopicKind, value: unknown): Validation<T> {
  const check = validators.get(kind)!;
  return check(value) ? { ok: true, value: value as T } : { ok: false, reason: describe(check.errors) };
}

/** Decodes UTF-8 JSON bytes and validates them; never throws. */
export function decodePayload<T = unknown>(kind: JsonTopicKind, bytes: Uint8Array): Validation<T> {
  let value: unknown;
  try {
    // A view of the bytes, not a copy: every publish of every pole comes through here.
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  return validatePayload<T>(kind, value);
}
