// Store-and-forward under faults (issue 4), with real processes: `polegate cloud` and `polegate edge`
// as children, Modbus simulators polled every 20 ms, the edge reaching the cloud through a TCP relay
// that can cut its links. While data flows: the broker is stopped for 30 s, the link flaps 50 times,
// the edge is SIGKILLed 20 times during drains, the cloud 5 times. Then the simulators stop, the
// outbox drains, and the cloud store must hold every seq the outbox ever gave, exactly once.
import t from 'tap';
import path from 'node:path';
import { startTcpProxy, type TcpProxy } from '../../fixtures/tcp-proxy.js';
import { freePort } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/wait.js';
import { cloudProc, edgeProc, readOutbox, storedSeqs } from './fault-procs.js';
import { registerPole, sims, writeManifest } from './helpers.js';

t.setTimeout(360_000);

const random = (min: number, max: number) => min + Math.random() * (max - min);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms)); // pacing of the faults, not synchronization

/** The link drops for a random while within [minMs, maxMs], then comes back. */
async function outage(link: TcpProxy, minMs: number, maxMs: number): Promise<void> {
  link.cut();
  await pause(random(minMs, maxMs));
  link.restore();
}

t.test('nothing lost, nothing doubled: broker stop, link flaps, edge and cloud SIGKILLs', async (t) => {
  const dir = t.testdir();
  const { registry, secret } = await registerPole(dir);
  const mqttPort = await freePort();
  const cloud = cloudProc(dir, registry, mqttPort);
  await cloud.start();
  t.teardown(() => cloud.stop('SIGKILL'));
  const link = await startTcpProxy({ target: { host: '127.0.0.1', port: mqttPort } });
  t.teardown(() => link.close());
  const devices = await sims(t);
  const manifest = writeManifest(dir, { mqttPort: link.port, gasPort: devices.gas.port, pressurePort: devices.pressure.port, pollMs: 20 });
  const outboxFile = path.join(dir, 'outbox.db');
  const edge = edgeProc(manifest, secret);
  await edge.start();
  t.teardown(() => edge.stop('SIGKILL'));
  const delivered = () => storedSeqs(path.join(dir, 'city.db'), readOutbox(outboxFile).stream).readings.length;
  await waitFor('readings in the store', () => delivered() > 100, 20_000);

  t.comment('broker stop for 30 s');
  // The broker goes away for 30 s (a clean stop), and comes back on the same store.
  await cloud.stop('SIGTERM');
  await pause(30_000);
  await cloud.start();

  t.comment('50 link flaps');
  // The 4G link drops 50 times, for 50–500 ms each time.
  for (let i = 0; i < 50; i++) {
    await outage(link, 50, 500);
    await pause(random(50, 300));
  }

  t.comment('20 edge SIGKILLs during drains');
  // The edge dies 20 times while a backlog drains: cut for a while, restore, kill soon after.
  for (let i = 0; i < 20; i++) {
    await outage(link, 300, 1000);
    await pause(random(0, 300));
    await edge.stop('SIGKILL');
    await edge.start();
  }

  t.comment('5 cloud SIGKILLs');
  // The cloud dies 5 times while data flows.
  for (let i = 0; i < 5; i++) {
    await pause(random(200, 1500));
    await cloud.stop('SIGKILL');
    await cloud.start();
  }

  t.comment('final drain');
  // Stop producing: the devices go silent (the agent reports them offline), the outbox drains.
  await Promise.all([devices.gas.close(), devices.pressure.close()]);
  await waitFor('the outbox to drain', () => {
    const { pending } = readOutbox(outboxFile);
    return pending.length === 0;
  }, 60_000, 200);
  await edge.stop('SIGTERM');

  const { stream, nextSeq, pending } = readOutbox(outboxFile);
  const stored = storedSeqs(path.join(dir, 'city.db'), stream);
  const all = [...stored.readings, ...stored.alarms, ...stored.events].sort((a, b) => a - b);
  const unique = new Set(all);
  t.equal(pending.length, 0, 'nothing left in the outbox');
  t.equal(all.length, unique.size, 'no seq twice in the store');
  const missing = Array.from({ length: nextSeq }, (_, i) => i).filter((s) => !unique.has(s));
  t.same(missing, [], `every seq below the outbox's next seq (${nextSeq}) is in the store`);
  t.ok(all.every((s) => s < nextSeq), 'nothing the outbox did not give');
  t.comment(`produced ${nextSeq} seqs: ${stored.readings.length} readings, ${stored.alarms.length} alarms, ${stored.events.length} events in the store; missing ${missing.length}, doubled ${all.length - unique.size}`);
});
