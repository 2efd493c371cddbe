// Failback with real brokers: on a secondary, the uplink probes the first URL and, once it is back,
// returns to it while readings keep being committed: every seq arrives, none twice (the switch
// waits for the in-flight PUBACKs), and the secondary never announces the pole offline. A first URL
// that accepts TCP but is no MQTT broker sends the uplink back to the secondary, losing nothing.
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { Outbox } from '../../edge-agent/outbox.js';
import { Uplink } from '../../edge-agent/uplink.js';
import { freePort, startMosquitto } from '../helpers/mosquitto.js';
import { record } from '../helpers/mqtt-recorder.js';
import { nextEvent, waitFor } from '../helpers/wait.js';
import { missingService } from '../helpers/services.js';

const skip = await missingService('mosquitto-binary');

/**
 * A second broker (a private Mosquitto) with a recorder, and an uplink over a fresh outbox to
 * [first, second], recording the URLs it connects to; `produce()` commits 20 readings every 5 ms.
 */
async function failbackRig(t: Test, first: (dir: string) => Promise<string>, failbackMs: { min: number; max: number }) {
  const dir = t.testdir();
  const id = randomBytes(4).toString('hex');
  const root = `test-${id}/v1`;
  const urlA = await first(dir);
  const b = await startMosquitto(dir);
  t.teardown(() => b.stop());
  const recB = await record(b.url, root);
  t.teardown(() => recB.close());
  const outbox = Outbox.open(join(dir, 'o.db'));
  t.teardown(() => outbox.close());
  const uplink = new Uplink(outbox, {
    pole: `pole-${id}`, urls: [urlA, b.url], topicRoot: root, bootId: 'boot', birth: () => '{}',
    clock: { now: () => Date.now() }, log: pino({ level: 'silent' }), backoffMs: { min: 20, max: 100 }, lingerMs: 0,
    failbackMs,
  });
  t.teardown(() => uplink.close(100));
  const urls: string[] = [];
  uplink.on('connected', (url: string) => urls.push(url));
  let produced = 0;
  let timer: NodeJS.Timeout | undefined;
  t.teardown(() => clearInterval(timer));
  return {
    dir, root, urlA, b, recB, uplink, urls,
    produced: () => produced,
    produce() {
      timer = setInterval(() => {
        outbox.appendReadings(readings(20, produced));
        produced += 20;
        uplink.kick();
      }, 5);
    },
    stopProducing: () => clearInterval(timer),
  };
}

const readings = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ device: 'd1', metric: 'level', value: from + i, unit: 'm', ts: 1_700_000_000_000 + from + i, quality: 'good' as const }));

t.test('back on the first broker once it returns, nothing lost or doubled', { skip }, async (t) => {
  let portA = 0;
  const rig = await failbackRig(t, async () => {
    portA = await freePort();
    return `mqtt://127.0.0.1:${portA}`;
  }, { min: 50, max: 200 });
  const { dir, root, urlA, b, recB, uplink, urls } = rig;
  let drops = 0;
  uplink.on('disconnected', () => drops++);
  const first = nextEvent<string>(uplink, 'connected', 10_000);
  uplink.start();
  t.equal(await first, b.url, 'the first broker is down: on the second');

  // Readings keep coming, a batch per timer tick, so that messages are in flight at the switch.
  rig.produce();
  await waitFor('probes of the dead first broker while readings flow', () => rig.produced() >= 2000 && new Set(recB.seqs()).size >= 1000);
  t.equal(drops, 0, 'failed probes leave the working connection alone');

  const a = await startMosquitto(dir, portA);
  t.teardown(() => a.stop());
  const recA = await record(a.url, root);
  t.teardown(() => recA.close());
  await waitFor('the uplink back on the first broker', () => urls.at(-1) === urlA && uplink.isConnected);
  await waitFor('readings on the first broker', () => recA.seqs().length >= 200);
  rig.stopProducing();
  const produced = rig.produced();

  await waitFor(`all ${produced} readings delivered`, () => new Set([...recA.seqs(), ...recB.seqs()]).size >= produced, 15_000);
  const all = [...recB.seqs(), ...recA.seqs()];
  t.same([...new Set(all)].sort((x, y) => x - y), Array.from({ length: produced }, (_, i) => i), 'every seq arrived');
  t.equal(all.length, produced, 'none arrived twice: the switch waited for the PUBACKs in flight');
  t.same(urls, [b.url, urlA], 'one move, to the first broker');
  t.equal(drops, 1, 'one clean disconnect, for the move');
  t.notOk(recB.of('state').some((m) => m.payload.state === 'offline'), 'the second broker published no last will: the uplink left it with DISCONNECT');
});

t.test('a first URL that accepts TCP but speaks no MQTT: back to the second, nothing lost', { skip }, async (t) => {
  const rig = await failbackRig(t, async () => {
    // Accepts every connection and hangs up at once: the probe succeeds, the MQTT connect fails.
    const hangUp = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => hangUp.listen(0, '127.0.0.1', resolve));
    t.teardown(() => new Promise((resolve) => hangUp.close(resolve)));
    return `mqtt://127.0.0.1:${(hangUp.address() as net.AddressInfo).port}`;
  }, { min: 50, max: 100 });
  const { b, recB, uplink, urls } = rig;
  uplink.start();
  rig.produce();
  await waitFor('two failed failbacks', () => urls.length >= 3);
  rig.stopProducing();
  const produced = rig.produced();

  await waitFor(`all ${produced} readings on the second broker`, () => new Set(recB.seqs()).size >= produced, 15_000);
  t.same([...new Set(recB.seqs())].sort((x, y) => x - y), Array.from({ length: produced }, (_, i) => i), 'every seq arrived');
  t.equal(recB.seqs().length, produced, 'none twice');
  t.ok(urls.every((url) => url === b.url), 'connected only ever to the second broker');
});
