// When live telemetry leaves: at once after a quiet spell (a pole polling every second publishes each
// round as it is committed, no timer of its own), at most once per lingerMs when rounds come faster.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pino } from 'pino';
import { Outbox } from '../../edge-agent/outbox.js';
import { Uplink, type SentInfo } from '../../edge-agent/uplink.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { nextEvent } from '../helpers/wait.js';
import { missingService } from '../helpers/services.js';

const skip = await missingService('mosquitto-binary');

const readings = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ device: 'd1', metric: 'level', value: from + i, unit: 'm', ts: 1_700_000_000_000 + from + i, quality: 'good' as const }));

t.test('live telemetry leaves at once after a quiet spell, and at most once per lingerMs', { skip }, async (t) => {
  const dir = t.testdir();
  const id = randomBytes(4).toString('hex');
  const broker = await startMosquitto(dir);
  t.teardown(() => broker.stop());
  const outbox = Outbox.open(join(dir, 'o.db'));
  t.teardown(() => outbox.close());
  const lingerMs = 1500;
  const uplink = new Uplink(outbox, {
    pole: `pole-${id}`, urls: [broker.url], topicRoot: `test-${id}/v1`, bootId: 'boot', birth: () => '{}',
    clock: { now: () => Date.now() }, log: pino({ level: 'silent' }), lingerMs,
  });
  t.teardown(() => uplink.close(100));
  const connected = nextEvent(uplink, 'connected');
  uplink.start();
  await connected;

  let sent = nextEvent<SentInfo>(uplink, 'sent');
  const kicked = Date.now();
  outbox.appendReadings(readings(3, 0));
  uplink.kick(false);
  t.match(await sent, { kind: 'telemetry', count: 3 }, 'the first round leaves alone');
  const first = Date.now();
  t.ok(first - kicked < lingerMs / 2, `without waiting for the linger (${first - kicked} ms)`);

  sent = nextEvent<SentInfo>(uplink, 'sent');
  outbox.appendReadings(readings(2, 3));
  uplink.kick(false);
  outbox.appendReadings(readings(2, 5));
  uplink.kick(false);
  t.match(await sent, { kind: 'telemetry', count: 4, seqFirst: 3, seqLast: 6 }, 'two rounds soon after it share one publish');
  // The first publish left after `kicked`, and the second no sooner than lingerMs after it.
  t.ok(Date.now() - kicked >= lingerMs, `which waited for the linger (${Date.now() - kicked} ms after the first kick)`);
});
