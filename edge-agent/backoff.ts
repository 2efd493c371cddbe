// The one retry schedule of the agent: a delay that doubles from `first` on each attempt, capped at
// `max`. Used by the scheduler (offline devices), the bus arbiter (reopening a lost bus) and the
// uplink (reconnecting, with jitter on top). Pure.

/** Delay before retry number `attempt` (0 for the first), ms. */
export function backoffMs(first: number, max: number, attempt: number): number {
  // The exponent is bounded so that a long outage never makes 0 * Infinity (NaN) of a zero `first`.
  return Math.min(max, first * 2 ** Math.min(attempt, 52));
}
