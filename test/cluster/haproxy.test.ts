// Node loss behind a TCP load balancer: HAProxy (as docs/cloud.md shows it) in front of three
// `polegate cloud` nodes, a `polegate edge` pole with the balancer as its one uplink.url. The node
// the pole is on is SIGKILLed twice: HAProxy sends the pole to a live node, and the store ends with
// every seq the outbox gave exactly once.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { edgeProc, readOutbox } from '../e2e/fault-procs.js';
import { POLE, sims, writeManifest } from '../e2e/helpers.js';
import { freePort } from '../helpers/mosquitto.js';
import { missingService } from '../helpers/services.js';
import { waitFor } from '../helpers/wait.js';
import type { CloudProcess } from '../security/cloud-process.js';
import { expectEveryReadingOnce } from './every-reading-once.js';
import { clusterServicesMissing, startClusterFixture } from './cluster-fixture.js';

t.setTimeout(85_000);

const skip = (await missingService('haproxy')) ?? (await clusterServicesMissing());

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

t.test('behind HAProxy, two SIGKILLs of the pole\'s node: the pole moves on, every reading once', { skip }, async (t) => {
  const c = await startClusterFixture(t, { poles: [POLE] });
  const ids = ['node-1', 'node-2', 'node-3'];
  const nodes = new Map<string, CloudProcess>();
  await Promise.all(ids.map(async (id) => nodes.set(id, await c.start(id))));

  const front = await freePort();
  const config = path.join(c.dir, 'haproxy.cfg');
  writeFileSync(config, `defaults
  mode tcp
  timeout connect 2s
  timeout client 10m
  timeout server 10m
  retries 2
  option redispatch
frontend mqtt
  bind 127.0.0.1:${front}
  default_backend nodes
backend nodes
  balance leastconn
${ids.map((id) => `  server ${id} 127.0.0.1:${nodes.get(id)!.mqttPort} check inter 200ms fall 1 rise 2`).join('\n')}
`);
  const haproxy = spawn('/usr/sbin/haproxy', ['-db', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let haproxyErr = '';
  haproxy.stderr!.on('data', (d: Buffer) => (haproxyErr += d));
  t.teardown(async () => {
    if (haproxy.exitCode !== null) return;
    haproxy.kill('SIGKILL');
    await once(haproxy, 'close');
  });
  await waitFor(`HAProxy listening (stderr: ${haproxyErr})`, () => accepts(front));

  const devices = await sims(t);
  const manifest = writeManifest(c.dir, { mqttPort: front, gasPort: devices.gas.port, pressurePort: devices.pressure.port, pollMs: 50 });
  const edge = edgeProc(manifest, c.secrets[POLE]!);
  await edge.start();
  t.teardown(() => edge.stop('SIGKILL'));
  const outbox = path.join(c.dir, 'outbox.db');
  await waitFor('readings in the store', async () => (await c.storedSeqs(POLE, readOutbox(outbox).stream)).length > 50, 20_000);

  for (let round = 1; round <= 2; round++) {
    const victim = await waitFor('the pole on a node', () => c.holder(POLE));
    const node = nodes.get(victim)!;
    const killedAt = Date.now();
    node.child.kill('SIGKILL');
    await once(node.child, 'close');
    nodes.delete(victim);
    const moved = await waitFor('the pole on a live node', async () => {
      const now = await c.holder(POLE);
      return now !== undefined && nodes.has(now) && now;
    }, 20_000);
    t.comment(`round ${round}: ${victim} killed, the pole is on ${moved} ${Date.now() - killedAt} ms later`);
    t.ok(nodes.has(moved), 'through the balancer to a live node');
  }

  await expectEveryReadingOnce(t, c, { devices, edge, outbox });
});
