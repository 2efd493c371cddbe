// Bounds on the parts of a payload the contract leaves open (an event's own fields, extra keys of
// a birth, a command's result). The store keeps them as JSON text: a value nested 100,000 deep
// parses, but writing it back overflows the stack, so such a payload is refused at ingest.

/** Deepest nesting of objects and arrays in a free-form payload (the payload itself is depth 1). */
export const MAX_FREE_FORM_DEPTH = 32;
/** Largest event payload in bytes: events are small facts, not data dumps. */
export const MAX_EVENT_BYTES = 64 * 1024;

/** Whether `value` nests objects or arrays deeper than `max`; stops at the first level past it. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (max === 0) return true;
  for (const child of Array.isArray(value) ? value : Object.values(value)) {
    if (nestsDeeperThan(child, max - 1)) return true;
  }
  return false;
}

/** A reason to refuse a decoded payload of a kind with free-form parts, or undefined. */
export function freeFormRefusal(kind: string, value: unknown, bytes: number): string | undefined {
  if (kind === 'event' && bytes > MAX_EVENT_BYTES) return `event of ${bytes} bytes is over the limit of ${MAX_EVENT_BYTES}`;
  if ((kind === 'event' || kind === 'birth' || kind === 'cmd/result') && nestsDeeperThan(value, MAX_FREE_FORM_DEPTH)) {
    return `${kind} nests objects or arrays more than ${MAX_FREE_FORM_DEPTH} levels deep`;
  }
  return undefined;
}
