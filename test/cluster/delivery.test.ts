// Three `polegate cloud` nodes on one Redis and one PostgreSQL: what a pole publishes on one node
// reaches platform subscribers on the others, retained state and birth are there on every node,
// each publish is ingested once (by the pole's node), and a persistent session's QoS 1 commands
// follow its pole to another node.
import t from 'tap';
import type { MqttClient } from 'mqtt';
import { birthPayload, connect, getJson, publish, reading, statePayload, telemetryPayload } from '../cloud-ingest/fixture.js';
import { waitFor } from '../helpers/wait.js';
import type { CloudProcess } from '../security/cloud-process.js';
import { clusterServicesMissing, startClusterFixture, type ClusterFixture } from './cluster-fixture.js';

t.setTimeout(80_000);

const skip = await clusterServicesMissing();
const url = (node: CloudProcess) => `mqtt://127.0.0.1:${node.mqttPort}`;

function asPole(t: Tap, c: ClusterFixture, node: CloudProcess, pole: string, extra: Record<string, unknown> = {}): Promise<MqttClient> {
  return connect(t, url(node), { clientId: pole, username: pole, password: c.secrets[pole], ...extra });
}

function asPlatform(t: Tap, c: ClusterFixture, node: CloudProcess, name: string): Promise<MqttClient> {
  return connect(t, url(node), { clientId: `platform:${name}`, username: c.platform.username, password: c.platform.password });
}

type Tap = Parameters<typeof connect>[0];

/** Messages the client receives, by topic, payloads parsed. */
function inbox(client: MqttClient): { topic: string; retain: boolean; body: any }[] {
  const got: { topic: string; retain: boolean; body: any }[] = [];
  client.on('message', (topic, payload, packet) => got.push({ topic, retain: packet.retain, body: payload.length ? JSON.parse(payload.toString()) : null }));
  return got;
}

t.test('a cluster of three nodes delivers across nodes and ingests once', { skip }, async (t) => {
  const c = await startClusterFixture(t, { poles: ['pole-b', 'pole-p'] });
  const [a, b, cNode] = await Promise.all(['node-a', 'node-b', 'node-c'].map((id) => c.start(id)));
  const api = (node: CloudProcess, path: string) => getJson(`http://127.0.0.1:${node.httpPort}${path}`, `${c.platform.username}:${c.platform.password}`);

  t.test('a subscriber on node A receives what a pole on node B publishes', async (t) => {
    const subscriber = await asPlatform(t, c, a!, 'sub-a');
    const seen = inbox(subscriber);
    await subscriber.subscribeAsync('city/v1/+/telemetry', { qos: 1 });
    const pole = await asPole(t, c, b!, 'pole-b');
    await publish(pole, 'city/v1/pole-b/state', statePayload('pole-b', 'online'), { retain: true });
    await publish(pole, 'city/v1/pole-b/birth', birthPayload('pole-b'), { retain: true });
    await publish(pole, 'city/v1/pole-b/telemetry', telemetryPayload('pole-b', 's-1', [reading(0), reading(1)]));
    const got = await waitFor('the telemetry on node A', () => seen.find((m) => m.topic === 'city/v1/pole-b/telemetry'));
    t.same(got.body.readings.map((r: { seq: number }) => r.seq), [0, 1]);
    t.equal(await c.holder('pole-b'), 'node-b', 'node B holds the pole');
  });

  t.test('retained state and birth are seen from every node', async (t) => {
    for (const node of [a!, b!, cNode!]) {
      const late = await asPlatform(t, c, node, `late-${node.mqttPort}`);
      const seen = inbox(late);
      await late.subscribeAsync('city/v1/pole-b/+', { qos: 1 });
      await waitFor(`retained state and birth on port ${node.mqttPort}`, () => seen.filter((m) => m.retain).length >= 2);
      t.same(seen.filter((m) => m.retain).map((m) => m.topic).sort(), ['city/v1/pole-b/birth', 'city/v1/pole-b/state']);
      t.equal(seen.find((m) => m.topic.endsWith('/state'))!.body.state, 'online');
      late.end(true);
    }
  });

  t.test('each publish is ingested once, by the pole\'s node', async (t) => {
    // Dead letters are not deduplicated: three nodes ingesting one publish would store three.
    const pole = await asPole(t, c, b!, 'pole-b');
    await publish(pole, 'city/v1/pole-b/telemetry', Buffer.from('not json'));
    await publish(pole, 'city/v1/pole-b/telemetry', telemetryPayload('pole-b', 's-1', [reading(1), reading(2)]));
    const letters = await waitFor('the dead letter', async () => {
      const found = (await api(cNode!, '/api/dead-letters')).body.deadLetters;
      return found.length > 0 && found;
    });
    t.equal(letters.length, 1, 'one dead letter for one bad publish');
    t.same(await c.storedSeqs('pole-b', 's-1'), [0, 1, 2], 'readings once each, the resent seq 1 dropped');
    const poles = (await api(a!, '/api/poles')).body.poles;
    t.equal(poles.find((p: { id: string }) => p.id === 'pole-b').state, 'online', 'presence from node B, read on node A');
  });

  t.test('a persistent session keeps QoS 1 commands across nodes', async (t) => {
    const first = await asPole(t, c, a!, 'pole-p', { clean: false });
    await first.subscribeAsync('city/v1/pole-p/cmd', { qos: 1 });
    await first.endAsync();
    const operator = await asPlatform(t, c, b!, 'operator');
    const command = { v: 1, id: 'cmd-1', name: 'poll', args: {} };
    await publish(operator, 'city/v1/pole-p/cmd', command, { qos: 1 });
    const again = await connect(t, url(cNode!), { clientId: 'pole-p', username: 'pole-p', password: c.secrets['pole-p'], clean: false });
    t.ok(again, 'reconnected to node C');
    const seen = inbox(again);
    const got = await waitFor('the command queued while the pole was away', () => seen.find((m) => m.topic === 'city/v1/pole-p/cmd'));
    t.same(got.body, command);
    // And while it is connected to C, a command published on A.
    const live = { ...command, id: 'cmd-2' };
    await publish(await asPlatform(t, c, a!, 'operator-a'), 'city/v1/pole-p/cmd', live, { qos: 1 });
    t.same((await waitFor('the live command', () => seen.find((m) => m.body?.id === 'cmd-2'))).body, live);
    again.end(true);
  });
});
