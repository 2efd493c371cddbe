// Node loss: three `polegate cloud` nodes on one Redis and one PostgreSQL, a real pole agent
// (`polegate edge`, Modbus simulators polled every 50 ms) with all three in its uplink.urls. The node
// the pole is on is SIGKILLed three times (and started again each time): the pole fails over, its
// presence is right within the bound, a pole that does not come back is marked offline within the
// bound, and the store ends with every seq the outbox gave exactly once.
import t from 'tap';
import path from 'node:path';
import { readOutbox, edgeProc } from '../e2e/fault-procs.js';
import { POLE, sims, writeManifest } from '../e2e/helpers.js';
import { connect, statePayload } from '../cloud-ingest/fixture.js';
import { freePort } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/wait.js';
import type { CloudProcess } from '../security/cloud-process.js';
import { expectEveryReadingOnce } from './every-reading-once.js';
import { clusterServicesMissing, startClusterFixture } from './cluster-fixture.js';

t.setTimeout(89_000);

// Longer than the pole takes to fail over (its reconnect backoff), so that a pole that has moved is
// found elsewhere, and short enough for a quick test.
const HEARTBEAT_MS = 500;
const NODE_TIMEOUT_MS = 4000;
/** The documented bound: a dead node's poles are offline this long after its last heartbeat. */
const BOUND_MS = NODE_TIMEOUT_MS + HEARTBEAT_MS;
/** What a loaded test machine adds: process scheduling, the reap's round trips. */
const SLACK_MS = 2000;
const IDLE = 'cl-idle-001';

const skip = await clusterServicesMissing();

t.test('three SIGKILLs of the pole\'s node: failover, presence within the bound, every reading once', { skip }, async (t) => {
  const c = await startClusterFixture(t, { poles: [POLE, IDLE], heartbeatMs: HEARTBEAT_MS, nodeTimeoutMs: NODE_TIMEOUT_MS });
  const ids = ['node-1', 'node-2', 'node-3'];
  const ports = [await freePort(), await freePort(), await freePort()];
  const nodes = new Map<string, CloudProcess>();
  await Promise.all(ids.map(async (id, i) => nodes.set(id, await c.start(id, { mqttPort: ports[i] }))));

  const devices = await sims(t);
  const dir = c.dir;
  const manifest = writeManifest(dir, { mqttPort: ports, gasPort: devices.gas.port, pressurePort: devices.pressure.port, pollMs: 50 });
  const edge = edgeProc(manifest, c.secrets[POLE]!);
  await edge.start();
  t.teardown(() => edge.stop('SIGKILL'));
  const outbox = path.join(dir, 'outbox.db');
  await waitFor('the pole on node-1', async () => (await c.holder(POLE)) === 'node-1', 20_000).catch((err: Error) => {
    throw new Error(`${err.message}; the edge logged:\n${edge.output.slice(-3000)}`);
  });
  await waitFor('readings in the store', async () => (await c.storedSeqs(POLE, readOutbox(outbox).stream)).length > 50, 20_000);

  // A pole that will not come back when its node dies: only the survivors can mark it offline.
  const idle = await connect(t, `mqtt://127.0.0.1:${ports[0]}`, {
    clientId: IDLE, username: IDLE, password: c.secrets[IDLE],
    will: { topic: `city/v1/${IDLE}/state`, payload: Buffer.from(JSON.stringify(statePayload(IDLE, 'offline'))), qos: 1, retain: true },
  });
  idle.publish(`city/v1/${IDLE}/state`, JSON.stringify(statePayload(IDLE, 'online')), { qos: 1, retain: true });
  await waitFor('the idle pole online', async () => (await c.storedState(IDLE)) === 'online');
  idle.on('close', () => idle.end(true)); // no reconnect

  for (let round = 1; round <= 3; round++) {
    const victim = (await c.holder(POLE))!;
    const node = nodes.get(victim)!;
    t.comment(`round ${round}: SIGKILL ${victim}, which holds the pole`);
    const killedAt = Date.now();
    node.child.kill('SIGKILL');
    await new Promise((r) => node.child.once('close', r));

    const moved = await waitFor('the pole on another node', async () => {
      const now = await c.holder(POLE);
      return now !== undefined && now !== victim && now;
    }, 15_000);
    t.comment(`the pole is on ${moved} ${Date.now() - killedAt} ms after the kill`);
    const survivors = [...nodes.entries()].filter(([id]) => id !== victim).map(([, n]) => n);
    const reaped = await waitFor(`a survivor to find ${victim} dead`, () => survivors.flatMap((n) => n.logged('node presumed dead: its poles\' wills published')).find((l) => l.node === victim), BOUND_MS + SLACK_MS + 2000);
    const reapMs = Date.now() - killedAt;
    t.comment(`${victim} found dead ${reapMs} ms after the kill: ${JSON.stringify({ offline: reaped.offline, elsewhere: reaped.elsewhere })}`);
    t.ok(reapMs <= BOUND_MS + SLACK_MS, `found dead within the bound (${BOUND_MS} ms + ${SLACK_MS} ms slack)`);
    t.equal(await c.storedState(POLE), 'online', 'the pole that failed over is online');
    t.equal(reaped.elsewhere, 1, 'its will not published: it was elsewhere already');
    t.equal(reaped.offline, round === 1 ? 1 : 0, 'the wills published: the idle pole\'s, in the first round');
    if (round === 1) t.equal(await c.storedState(IDLE), 'offline', 'the pole that did not come back is offline');
    nodes.set(victim, await c.start(victim, { restartOf: node }));
  }

  t.comment('final drain');
  await expectEveryReadingOnce(t, c, { devices, edge, outbox });
});
