// The onvif driver inside the real edge agent, from a manifest, against the simulated camera over
// HTTP: readings of health and clock, camera motion as agent events, a camera that goes away
// offline with its reason and picked up again when it returns (events resume), refused
// credentials as the offline reason.
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadManifest } from '../../../config/load-manifest.js';
import { startEdgeAgent } from '../../../edge-agent/agent.js';
import type { NormalizedReading } from '../../../edge-agent/reading.js';
import { startOnvifSim } from '../../../fixtures/onvif-sim.js';
import { waitFor } from '../../helpers/wait.js';

type AgentEvent = { type: string; device?: string; error?: string; state?: boolean; ts: number };

async function agentFor(t: Test, port: number, password: string) {
  const dir = t.testdir();
  const file = join(dir, 'pole.yaml');
  writeFileSync(file, [
    'pole: { id: test-cam-pole }',
    'uplink: { url: "mqtt://127.0.0.1:9" }   # nothing listens: this test watches the agent itself',
    'buffer: { path: ./outbox.db }',
    'devices:',
    `  - { id: cam-1, driver: onvif, host: 127.0.0.1, port: ${port}, username: admin, password: "\${CAM_PASSWORD}", pollMs: 300, timeoutMs: 800, events: [motion, tamper] }`,
  ].join('\n'));
  const agent = await startEdgeAgent(await loadManifest(file, { env: { CAM_PASSWORD: password } }), { flushMs: 0, scheduler: { maxBackoffMs: 500, offlineAfter: 1 } });
  t.teardown(() => agent.close());
  const readings: NormalizedReading[] = [];
  const events: AgentEvent[] = [];
  agent.on('reading', (r: NormalizedReading) => readings.push(r));
  agent.on('event', (e: AgentEvent) => events.push(e));
  return { readings, events };
}

t.test('health, motion, a camera that goes and comes back', async (t) => {
  let sim = await startOnvifSim({ password: 'agent-pw', pullHoldMs: 300 });
  const port = sim.port;
  t.teardown(() => sim.close());
  const { readings, events } = await agentFor(t, port, 'agent-pw');
  await waitFor('online reading', () => readings.find((r) => r.device === 'cam-1' && r.metric === 'online' && r.value === true));
  await waitFor('subscribed', () => sim.subscriptions() === 1);
  sim.setState('motion', true);
  const motion = await waitFor('motion event', () => events.find((e) => e.type === 'motion' && e.device === 'cam-1'));
  t.equal(motion.state, true);

  await sim.close();
  const offline = await waitFor('offline', () => events.find((e) => e.type === 'device-offline' && e.device === 'cam-1'));
  t.match(offline.error, /unreachable.*check that the camera is powered/);

  sim = await startOnvifSim({ port, password: 'agent-pw', pullHoldMs: 300 });
  await waitFor('online again', () => events.find((e) => e.type === 'device-online' && e.device === 'cam-1'), 15_000);
  await waitFor('subscribed again', () => sim.subscriptions() === 1, 15_000);
  sim.setState('tamper', true);
  await waitFor('tamper after the return', () => events.find((e) => e.type === 'tamper' && e.state === true));
  t.pass('events resume');
});

t.test('refused credentials are the offline reason', async (t) => {
  const sim = await startOnvifSim({ password: 'right' });
  t.teardown(() => sim.close());
  const { events } = await agentFor(t, sim.port, 'wrong');
  const offline = await waitFor('offline', () => events.find((e) => e.type === 'device-offline'));
  t.match(offline.error, /credentials refused.*check username and password/);
  t.notMatch(offline.error, /wrong|right/, 'no password in the reason');
});
