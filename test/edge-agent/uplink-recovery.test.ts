// The uplink when the broker is not there: buffering at start, a cut link, and the last will.
import t from 'tap';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startEdgeAgent } from '../../edge-agent/agent.js';
import { startTcpProxy } from '../../fixtures/tcp-proxy.js';
import { testManifest, type TestPole } from '../helpers/edge-manifest.js';
import { freePort, startMosquitto } from '../helpers/mosquitto.js';
import { record } from '../helpers/mqtt-recorder.js';
import { nextEvent, waitFor } from '../helpers/wait.js';
import { missingService } from '../helpers/services.js';

const skip = await missingService('mosquitto-binary');

function names(): { root: string; pole: string } {
  const id = randomBytes(4).toString('hex');
  return { root: `test-${id}/v1`, pole: `pole-${id}` };
}

t.test('readings buffered while the broker is down, and across a cut link, all arrive', { skip }, async (t) => {
  const dir = t.testdir();
  const { root, pole } = names();
  const brokerPort = await freePort();
  // The agent reaches the broker through a relay that refuses every link until the subscriber is
  // ready, so the subscriber cannot miss what the agent sends first.
  const link = await startTcpProxy({ target: { host: '127.0.0.1', port: brokerPort } });
  t.teardown(() => link.close());
  link.cut();
  const agent = await startEdgeAgent(
    testManifest({ pole, topicRoot: root, url: `mqtt://127.0.0.1:${link.port}`, bufferPath: join(dir, 'outbox.db'), devices: [{ id: 'gauge', pollMs: 10, metrics: [{ name: 'level', unit: 'm', value: 0, step: 0.01 }, { name: 'temp', unit: 'Cel', value: 20 }] }] }),
    { uplink: { backoffMs: { min: 50, max: 200 }, maxReadings: 50 } },
  );
  t.teardown(() => agent.close());
  let produced = 0;
  agent.on('reading', () => produced++);
  await waitFor('200 readings buffered', () => produced >= 200, 10_000);
  t.ok(agent.outboxStats().pending.telemetry >= 200, 'they wait in the outbox');

  const broker = await startMosquitto(dir, brokerPort);
  t.teardown(() => broker.stop());
  const rec = await record(broker.url, root);
  t.teardown(() => rec.close());
  link.restore();
  await nextEvent(agent, 'connected', 10_000);
  await waitFor('the backlog to drain', () => agent.outboxStats().pending.telemetry < 10, 10_000);
  const firstBatch = rec.of('telemetry')[0]!;
  t.equal(firstBatch.payload.historical, true, 'the backlog is marked historical');

  const disconnected = nextEvent(agent, 'disconnected', 10_000);
  link.cut();
  await disconnected;
  const producedWhileCut = produced;
  await waitFor('more readings while cut', () => produced >= producedWhileCut + 100, 10_000);
  link.restore();
  await nextEvent(agent, 'connected', 10_000);

  const target = produced;
  await waitFor(`all ${target} seqs on the wire`, () => {
    const unique = new Set(rec.seqs().filter((s) => s < target));
    return unique.size >= target;
  }, 15_000);
  const seqs = new Set(rec.seqs());
  t.ok(seqs.size >= target, `${seqs.size} unique seqs for ${target} readings produced`);
  t.same([...seqs].sort((a, b) => a - b).slice(0, target), Array.from({ length: target }, (_, i) => i), 'no gap');
});

t.test('a killed agent is marked offline by its last will', { skip }, async (t) => {
  const dir = t.testdir();
  const { root, pole } = names();
  const broker = await startMosquitto(dir);
  t.teardown(() => broker.stop());
  const rec = await record(broker.url, root);
  t.teardown(() => rec.close());
  const config: TestPole = { pole, topicRoot: root, url: broker.url, bufferPath: join(dir, 'outbox.db'), devices: [{ id: 'd1', pollMs: 100, metrics: [{ name: 'level', unit: 'm' }] }] };
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../helpers/edge-child.ts'), JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
  t.teardown(() => (child.exitCode === null ? child.kill('SIGKILL') : undefined));
  await waitFor('state online', () => rec.of('state').some((m) => m.payload.state === 'online'), 20_000);
  const bootId = rec.of('state')[0]!.payload.bootId;
  child.kill('SIGKILL');
  await exited;
  await waitFor('state offline from the broker', () => rec.of('state').some((m) => m.payload.state === 'offline'), 10_000);
  t.match(rec.of('state').at(-1), { payload: { v: 1, pole, state: 'offline', bootId } }, 'the will names the same boot');
  const late = await record(broker.url, root);
  t.teardown(() => late.close());
  await waitFor('retained state', () => late.of('state').length > 0, 5000);
  t.match(late.of('state')[0], { retain: true, payload: { state: 'offline' } }, 'the will is retained');
});
