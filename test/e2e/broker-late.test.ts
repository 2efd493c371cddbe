// A pole that boots while the cloud is down: it keeps polling and buffering, and once the cloud comes
// up every reading reaches the store exactly once (none lost, none doubled).
import t from 'tap';
import { loadManifest } from '../../config/load-manifest.js';
import { startEdgeAgent } from '../../edge-agent/agent.js';
import { freePort } from '../helpers/mosquitto.js';
import { waitFor, nextEvent } from '../helpers/wait.js';
import { POLE, registerPole, cloudOn, sims, writeManifest, getJson } from './helpers.js';

t.test('broker down at start: everything buffered is delivered once the broker is up', async (t) => {
  const dir = t.testdir();
  const { registry, secret } = await registerPole(dir);
  const mqttPort = await freePort();
  const { gas, pressure } = await sims(t);
  const manifest = writeManifest(dir, { mqttPort, gasPort: gas.port, pressurePort: pressure.port, pollMs: 100 });
  const agent = await startEdgeAgent(await loadManifest(manifest, { env: { POLE_SECRET: secret } }));
  t.teardown(() => agent.close());
  let produced = 0;
  agent.on('reading', () => produced++);

  // The agent polls with no broker at all for a while.
  await waitFor('at least 100 readings buffered while the cloud is down', () => produced >= 100, 20_000);
  t.ok(agent.outboxStats().pending.telemetry >= 100, 'the readings wait in the outbox');

  const connected = nextEvent(agent, 'connected', 20_000);
  const cloud = await cloudOn(t, dir, registry, mqttPort);
  await connected;
  const atConnect = produced;
  await waitFor('the backlog and some live readings in the store', async () => (await cloud.store.counts()).readings > atConnect + 20, 20_000);

  // Stop production (the devices go away), then let the outbox drain.
  await Promise.all([gas.close(), pressure.close()]);
  const final = await waitFor('the outbox drained', () => {
    const stats = agent.outboxStats();
    return stats.pending.telemetry === 0 && stats.inFlightRows === 0 ? produced : undefined;
  }, 20_000);
  const counts = await waitFor('the store to hold every reading', async () => {
    const c = await cloud.store.counts();
    return c.readings >= final ? c : undefined;
  }, 10_000);
  t.equal(counts.readings, final, `the store holds each of the ${final} produced readings exactly once`);

  // Historical (backlog) data is in the same series as live data, in order.
  const series = await getJson<{ points: Array<{ ts: number }> }>(`http://127.0.0.1:${cloud.ports.http}/api/series?pole=${POLE}&device=gas-1&metric=lel&from=0&to=${Date.now() + 1000}&limit=100000`);
  const gasLel = series.points.length;
  t.ok(gasLel > 10, `the gas series has ${gasLel} points`);
  t.ok(series.points.every((p, i) => i === 0 || p.ts >= series.points[i - 1]!.ts), 'in time order');
});
