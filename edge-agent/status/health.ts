// /health: one verdict for a supervisor or a load check. Unhealthy (503) when the uplink, or a bus,
// has been down longer than `status.unhealthyAfterMs`; a short outage (a broker restart, a reopened
// serial port) is normal on a pole and is not worth a page. A dead device is shown, not judged: one
// sensor's failure is the status page's and the platform's business, not the pole's health.
import type { StatusFacts } from './facts.js';

/** How long the uplink or a bus may be down before /health says so: 5 minutes. */
export const DEFAULT_UNHEALTHY_AFTER_MS = 300_000;

export interface Health {
  ok: boolean;
  unhealthyAfterMs: number;
  uplink: { connected: boolean; downMs: number };
  buses: Array<{ id: string; up: boolean; downMs: number }>;
  /** Why it is unhealthy, one line each. */
  problems: string[];
}

export function health(facts: StatusFacts, unhealthyAfterMs: number, now: number): Health {
  const problems: string[] = [];
  const downMs = facts.uplinkDownMs();
  if (downMs > unhealthyAfterMs) problems.push(`the uplink has been down for ${Math.round(downMs / 1000)} s`);
  const buses = facts.busFacts().map((bus) => {
    const busDownMs = bus.downSince === undefined ? 0 : now - bus.downSince;
    if (busDownMs > unhealthyAfterMs) problems.push(`bus ${bus.id} (${bus.port}) has been down for ${Math.round(busDownMs / 1000)} s: ${bus.lastError ?? 'no reason given'}`);
    return { id: bus.id, up: bus.up, downMs: busDownMs };
  });
  return { ok: problems.length === 0, unhealthyAfterMs, uplink: { connected: facts.uplinkConnected, downMs }, buses, problems };
}
