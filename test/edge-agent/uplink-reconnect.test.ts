// Reconnecting: back within about a second of the broker's return however long it was gone, and a
// broker that accepts TCP but refuses the pole sees its logins back off, not one per probe.
import t from 'tap';
import net from 'node:net';
import { join } from 'node:path';
import { startEdgeAgent } from '../../edge-agent/agent.js';
import { testManifest } from '../helpers/edge-manifest.js';
import { freePort, startMosquitto } from '../helpers/mosquitto.js';
import { missingService } from '../helpers/services.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

const skip = await missingService('mosquitto-binary');
const device = { id: 'gauge', pollMs: 200, metrics: [{ name: 'level', unit: 'm', value: 1, step: 0.01 }] };

t.test('after a 12 s outage the pole is back within 2 s of the broker, with the default backoff', { skip }, async (t) => {
  const dir = t.testdir();
  const broker = await startMosquitto(dir);
  const agent = await startEdgeAgent(testManifest({ pole: 'reconnect-pole-1', topicRoot: 'test-reconnect/v1', url: broker.url, bufferPath: join(dir, 'outbox.db'), devices: [device] }));
  t.teardown(() => agent.close());
  await nextEvent(agent, 'connected', 10_000);

  const down = nextEvent(agent, 'disconnected', 10_000);
  await broker.stop();
  await down;
  // The outage itself: with backoff alone the next attempt would by now be up to 12 s away.
  await new Promise((resolve) => setTimeout(resolve, 12_000));
  const back = nextEvent(agent, 'connected', 10_000);
  const again = await startMosquitto(dir, broker.port);
  const up = Date.now();
  t.teardown(() => again.stop());
  await back;
  const took = Date.now() - up;
  t.ok(took < 2000, `reconnected ${took} ms after the broker accepted again`);
});

t.test('a broker that takes TCP but drops every login gets logins at a backing-off pace', async (t) => {
  const port = await freePort();
  const logins: number[] = [];
  let probes = 0;
  // Connections that send nothing are the agent's probes; one that sends bytes is an MQTT CONNECT.
  const server = net.createServer((socket) => {
    let spoke = false;
    socket.once('data', () => {
      spoke = true;
      logins.push(Date.now());
      socket.destroy();
    });
    socket.on('close', () => (spoke ? undefined : probes++));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const dir = t.testdir();
  const agent = await startEdgeAgent(
    testManifest({ pole: 'reconnect-pole-2', topicRoot: 'test-reconnect/v1', url: `mqtt://127.0.0.1:${port}`, bufferPath: join(dir, 'outbox.db'), devices: [device] }),
    { uplink: { backoffMs: { min: 200, max: 2000 } } },
  );
  t.teardown(() => agent.close());
  await waitFor('six logins', () => logins.length >= 6, 30_000);
  // Backoff from 200 ms doubling, each ×0.5–1.5: the five waits add up to at least 1.55 s.
  const spread = logins[5]! - logins[0]!;
  t.ok(spread >= 1500, `six logins spread over ${spread} ms, not one per probe`);
  t.ok(probes >= 5, `each login after the first follows a TCP probe (${probes} probes)`);
});
