// /health's verdict (edge-agent/status/health.ts) from the facts the agent's events give: a bus or
// the uplink down longer than the threshold is unhealthy, a shorter outage and a dead device are not.
// The agent is an event emitter here: the verdict reads only what its events said.
import t from 'tap';
import { EventEmitter } from 'node:events';
import type { LoadedManifest } from '../../config/loaded.js';
import type { EdgeAgent } from '../../edge-agent/agent.js';
import { StatusFacts } from '../../edge-agent/status/facts.js';
import { health } from '../../edge-agent/status/health.js';

const loaded = {
  file: '/etc/polegate/pole.yaml',
  manifest: { pole: { id: 'pole-1' }, uplink: { url: 'mqtt://broker' }, buses: [{ id: 'rs485-1', port: '/dev/ttyS1' }], devices: [] },
  devices: [{ config: { id: 'gas-1', driver: 'modbus', bus: 'rs485-1' } }],
} as unknown as LoadedManifest;

t.test('uplink and bus outages against the threshold', async (t) => {
  let now = 1_000_000;
  const agent = new EventEmitter() as unknown as EdgeAgent;
  const facts = new StatusFacts(agent, loaded, () => now);
  agent.emit('connected', 'mqtt://broker');
  t.equal(health(facts, 5000, now).ok, true, 'connected, bus up');

  agent.emit('event', { type: 'device-offline', device: 'gas-1', ts: now, error: 'no answer within 1000 ms' });
  t.equal(health(facts, 5000, now).ok, true, 'a dead device does not make the pole unhealthy');
  t.equal(facts.deviceFacts()[0]!.health, 'offline');

  agent.emit('event', { type: 'bus-down', bus: 'rs485-1', port: '/dev/ttyS1', ts: now, error: 'port removed' });
  now += 5000;
  t.equal(health(facts, 5000, now).ok, true, 'a bus down for exactly the threshold is still healthy');
  now += 1;
  const bus = health(facts, 5000, now);
  t.equal(bus.ok, false);
  t.same(bus.problems, ['bus rs485-1 (/dev/ttyS1) has been down for 5 s: port removed']);
  agent.emit('event', { type: 'bus-up', bus: 'rs485-1', port: '/dev/ttyS1', ts: now });
  t.equal(health(facts, 5000, now).ok, true, 'bus up again');

  agent.emit('disconnected', 'connection closed');
  t.same(health(facts, 5000, now).uplink, { connected: false, downMs: 0 }, 'just down: not yet unhealthy');
  now += 60_000;
  const uplink = health(facts, 5000, now);
  t.equal(uplink.ok, false);
  t.same(uplink.problems, ['the uplink has been down for 60 s']);
  agent.emit('connected', 'mqtt://broker');
  t.equal(health(facts, 5000, now).ok, true);
  t.equal(facts.reconnects, 1);
});
