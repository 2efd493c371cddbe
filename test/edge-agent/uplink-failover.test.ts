// Failover across uplink.urls with real brokers: a dead first broker is skipped, and when the broker
// in use dies the uplink moves on to the next one that answers; nothing committed is lost meanwhile.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pino } from 'pino';
import { Outbox } from '../../edge-agent/outbox.js';
import { Uplink } from '../../edge-agent/uplink.js';
import { freePort, startMosquitto } from '../helpers/mosquitto.js';
import { record } from '../helpers/mqtt-recorder.js';
import { nextEvent, waitFor } from '../helpers/wait.js';
import { missingService } from '../helpers/services.js';

const skip = await missingService('mosquitto-binary');

const readings = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ device: 'd1', metric: 'level', value: from + i, unit: 'm', ts: 1_700_000_000_000 + from + i, quality: 'good' as const }));

t.test('a dead broker is skipped and a dying one is left for the next in the list', { skip }, async (t) => {
  const dir = t.testdir();
  const id = randomBytes(4).toString('hex');
  const root = `test-${id}/v1`;
  const portA = await freePort();
  const b = await startMosquitto(dir);
  const recB = await record(b.url, root);
  t.teardown(() => recB.close());
  const outbox = Outbox.open(join(dir, 'o.db'));
  t.teardown(() => outbox.close());
  outbox.appendReadings(readings(10, 0));
  const urlA = `mqtt://127.0.0.1:${portA}`;
  const uplink = new Uplink(outbox, {
    pole: `pole-${id}`, urls: [urlA, b.url], topicRoot: root, bootId: 'boot', birth: () => '{}',
    clock: { now: () => Date.now() }, log: pino({ level: 'silent' }), backoffMs: { min: 20, max: 100 }, lingerMs: 0,
  });
  t.teardown(() => uplink.close(100));
  const first = nextEvent<string>(uplink, 'connected', 10_000);
  uplink.start();
  t.equal(await first, b.url, 'the dead first broker is skipped');
  await waitFor('the backlog on broker B', () => new Set(recB.seqs()).size === 10);

  const a = await startMosquitto(dir, portA);
  t.teardown(() => a.stop());
  const recA = await record(a.url, root);
  t.teardown(() => recA.close());
  const moved = nextEvent<string>(uplink, 'connected', 10_000);
  await b.stop();
  outbox.appendReadings(readings(10, 10));
  uplink.kick();
  t.equal(await moved, urlA, 'B died: the uplink fails over to A');
  await waitFor('the readings committed meanwhile on broker A', () => new Set(recA.seqs()).size === 10);
  t.same([...new Set(recA.seqs())].sort((x, y) => x - y), Array.from({ length: 10 }, (_, i) => 10 + i), 'nothing lost in the move');
});
