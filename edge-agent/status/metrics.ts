// /metrics in Prometheus text format (prom-client), one registry per agent. The agent counts in plain
// fields and events (facts.ts, the uplink's counts); these metrics read them only when scraped, so a
// pole nobody scrapes pays nothing but the counting. The one exception is the round-trip histogram,
// observed once per poll.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EdgeAgent } from '../agent.js';
import type { StatusFacts } from './facts.js';

/** Round trips of a device's poll, seconds: a Modbus TCP answer takes milliseconds, a slow RS-485 bus a second. */
const ROUND_TRIP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

type Value = [labels: Record<string, string>, value: number];

export function statusMetrics(agent: EdgeAgent, facts: StatusFacts, now: () => number = Date.now): Registry {
  const registry = new Registry();
  // One scrape reads the agent's facts once, whatever the number of metrics that need them.
  let snapshot: { at: number; facts: ReturnType<EdgeAgent['facts']> } | undefined;
  const agentFacts = () => {
    if (snapshot?.at !== now()) snapshot = { at: now(), facts: agent.facts() };
    return snapshot.facts;
  };
  const counter = (name: string, help: string, values: () => Value[], labelNames: string[] = []) =>
    new Counter({ name, help, labelNames, registers: [registry], collect() {
      this.reset();
      for (const [labels, value] of values()) this.inc(labels, value);
    } });
  const gauge = (name: string, help: string, values: () => Value[], labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry], collect() {
      this.reset();
      for (const [labels, value] of values()) this.set(labels, value);
    } });
  const one = (value: () => number) => (): Value[] => [[{}, value()]];

  counter('polegate_readings_polled_total', 'Readings read from devices (after normalizing, before the report filter).', one(() => facts.readingsPolled));
  counter('polegate_readings_published_total', 'Readings handed to the broker (QoS 1), counting each send again after a reconnect.', one(() => agentFacts().uplink.publishedReadings));
  counter('polegate_readings_acked_total', 'Readings the broker acknowledged (PUBACK) and the outbox deleted.', one(() => agentFacts().uplink.ackedReadings));
  counter('polegate_readings_evicted_total', 'Readings the outbox evicted for its budget (each also reported in a gap event).', one(() => agentFacts().outbox.evicted.readings));
  counter('polegate_events_evicted_total', 'Events the outbox evicted for its budget.', one(() => agentFacts().outbox.evicted.events));
  counter('polegate_messages_published_total', 'MQTT messages published (telemetry batches, alarms, events).', one(() => agentFacts().uplink.publishedMessages));
  counter('polegate_messages_acked_total', 'MQTT messages acknowledged by the broker.', one(() => agentFacts().uplink.ackedMessages));
  counter('polegate_device_transactions_total', 'Polls of each device (open and read), answered or not.', () => facts.deviceFacts().map((d) => [{ device: d.id }, d.polls]), ['device']);
  counter('polegate_device_errors_total', 'Failed polls by device and kind (the error code, e.g. DEVICE_UNREACHABLE, BUS_TIMEOUT, BUS_BAD_FRAME).',
    () => facts.deviceFacts().flatMap((d) => Object.entries(d.errors).map(([kind, n]): Value => [{ device: d.id, kind }, n])), ['device', 'kind']);
  counter('polegate_uplink_reconnects_total', 'Connections to a broker after the first.', one(() => facts.reconnects));
  gauge('polegate_uplink_connected', '1 while connected to a broker.', one(() => (facts.uplinkConnected ? 1 : 0)));
  gauge('polegate_uplink_in_flight_messages', 'Messages published and not acknowledged yet.', one(() => agentFacts().uplink.inFlight));
  gauge('polegate_outbox_messages', 'Messages in the outbox, not acknowledged yet, by kind (telemetry counts readings).',
    () => Object.entries(agentFacts().outbox.pending).map(([kind, n]): Value => [{ kind }, n]), ['kind']);
  gauge('polegate_outbox_bytes', 'Size of the outbox database file.', one(() => agentFacts().outbox.fileBytes));
  gauge('polegate_outbox_oldest_unsent_age_seconds', 'Age of the oldest message not acknowledged yet (0 when the outbox is empty).', one(() => {
    const ts = agentFacts().oldestPendingTs;
    return ts === undefined ? 0 : Math.max(0, (now() - ts) / 1000);
  }));
  gauge('polegate_bus_up', '1 while a serial bus is open.', () => facts.busFacts().map((b) => [{ bus: b.id }, b.up ? 1 : 0]), ['bus']);
  gauge('polegate_device_online', '1 while a device answers (0 once it failed a poll or went offline).', () => facts.deviceFacts().map((d) => [{ device: d.id }, d.health === 'online' ? 1 : 0]), ['device']);
  gauge('polegate_snapshots_kept', 'Camera snapshots kept on the pole, waiting for the cloud.', one(() => agentFacts().snapshots.count));

  const roundTrips = new Histogram({ name: 'polegate_device_round_trip_seconds', help: 'How long each poll of a device took on its link (bus or TCP), answered or not.', labelNames: ['device'], buckets: ROUND_TRIP_BUCKETS, registers: [registry] });
  agent.on('polled', (device: string, ms: number) => roundTrips.observe({ device }, ms / 1000));
  return registry;
}
