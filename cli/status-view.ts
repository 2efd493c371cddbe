// `polegate status` as text: what a field engineer reads in a terminal at the pole, most important first.
import type { StatusReport } from '../edge-agent/status/facts.js';
import type { Health } from '../edge-agent/status/health.js';

/** 4 s, 3 min, 2 h. */
export function ago(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

const value = (v: unknown) => (typeof v === 'number' ? String(Number(v.toPrecision(6))) : String(v));

export function formatStatus(url: string, s: StatusReport, health: Health): string {
  const lines: string[] = [];
  const { uplink: u, outbox: o } = s;
  lines.push(`pole ${s.pole}: agent up ${ago(s.now - s.startedAt)}, status at ${url}`);
  lines.push(`health    ${health.ok ? 'ok' : `UNHEALTHY: ${health.problems.join('; ')}`}`);
  lines.push(`uplink    ${u.connected ? `connected to ${u.broker}` : `DOWN for ${ago(s.now - u.since)}${u.lastReason ? ` (${u.lastReason})` : ''}; brokers ${u.brokers.join(', ')}`}, reconnects ${u.reconnects}`);
  const oldest = o.oldestUnsentTs === undefined ? 'nothing waiting' : `oldest ${ago(s.now - o.oldestUnsentTs)} old`;
  lines.push(`outbox    ${o.messages} unsent (alarms ${o.pending.alarm}, events ${o.pending.event}, readings ${o.pending.telemetry}), ${oldest}, in flight ${o.inFlight}, ${Math.round(o.bytes / 1024)} KiB, evicted ${o.evicted.readings} readings ${o.evicted.events} events`);
  for (const b of s.buses) lines.push(`bus       ${b.id} ${b.port}: ${b.up ? 'up' : `DOWN since ${new Date(b.downSince!).toISOString()}: ${b.lastError ?? ''}`}`);
  for (const d of s.devices) {
    const error = d.health !== 'online' && d.lastError ? `: ${d.lastError.message}` : '';
    lines.push(`device    ${d.id} (${d.driver}${d.link ? `, ${d.link}` : ''}) ${d.health}${error}`);
    for (const r of d.values) lines.push(`            ${r.metric} = ${value(r.value)}${r.unit ? ` ${r.unit}` : ''}${r.quality === 'good' ? '' : ` [${r.quality}]`}`);
  }
  lines.push(`alarms    ${s.alarms.length === 0 ? 'none active' : ''}`);
  for (const a of s.alarms) lines.push(`            ${a.severity} ${a.rule} on ${a.device}.${a.metric} = ${value(a.value)} since ${new Date(a.ts).toISOString()} (${a.id})`);
  for (const c of s.cameras) lines.push(`camera    ${c.device}: last snapshot ${new Date(c.ts).toISOString()} sha256:${c.sha256}`);
  lines.push('events    latest first');
  for (const e of s.events.slice(0, 10)) lines.push(`            ${new Date(e.ts).toISOString()} ${e.type}${e.device ? ` ${e.device}` : ''}`);
  return `${lines.join('\n')}\n`;
}
