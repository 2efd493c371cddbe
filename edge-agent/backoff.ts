// The one retry schedule of the agent: a delay that doubles from `first` on each attempt, capped at
// `max`. Used by the scheduler (offline devices), the bus arbiter (reopening a lost bus) and the
// uplink (reconnecting and probing its first broker, with `jittered` on top). Pure.

/** Delay before retry number `attempt` (0 for the first), ms. */
export function backoffMs(first: number, max: number, attempt: number): number {
  // The exponent is bounded so that a long outage never makes 0 * Infinity (NaN) of a zero `first`.
  return Math.min(max, first * 2 ** Math.min(attempt, 52));
}

/** `ms` ±50 %, so that poles that lost the same broker do not all come back at the same instant. */
export function jittered(ms: number): number {
  return Math.round(ms * (0.5 + Math.random()));
}
