// The login throttle and the decoy hash, in process: failures slow down their address, unknown
// names cost what known ones cost, and the log names who was throttled but never a secret.
import t from 'tap';
import { join } from 'node:path';
import { Authenticator } from '../../cloud-ingest/auth.js';
import { addPole, PoleRegistryView } from '../../cloud-ingest/registry.js';
import { hashSecret } from '../../cloud-ingest/secrets.js';
import { memoryLog } from './fixture.js';

async function authenticator(t: { testdir(): string }) {
  const file = join(t.testdir(), 'poles.yaml');
  const secret = await addPole(file, 'pole-a');
  const registry = new PoleRegistryView(file, () => undefined);
  await registry.refresh();
  const { log, lines } = memoryLog();
  const users = [{ username: 'viewer', passwordHash: await hashSecret('viewer-password'), role: 'read' as const }];
  return { auth: new Authenticator({ registry, users, log }), lines, secret };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

t.test('an unknown name costs what a known one costs', async (t) => {
  const known: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < 5; i++) {
    // A fresh authenticator each round, so that no failure on record delays the next attempt.
    const { auth } = await authenticator(t);
    await auth.user('warm-up', 'x', '10.0.0.1'); // the decoy hash is made on first use
    known.push(await timed(() => auth.user('viewer', 'wrong', '10.0.1.1')));
    unknown.push(await timed(() => auth.user('nobody', 'wrong', '10.0.1.2')));
    known.push(await timed(() => auth.client('pole-a', 'pole-a', Buffer.from('wrong'), undefined, '10.0.1.3')));
    unknown.push(await timed(() => auth.client('pole-z', 'pole-z', Buffer.from('wrong'), undefined, '10.0.1.4')));
  }
  const ratio = median(unknown) / median(known);
  t.ok(ratio > 0.5 && ratio < 2, `unknown ${median(unknown).toFixed(1)} ms, known ${median(known).toFixed(1)} ms`);
});

t.test('failures from one address wait longer each time; a success clears them; the log keeps no secret', async (t) => {
  const { auth, lines, secret } = await authenticator(t);
  await auth.user('warm-up', 'x', '10.0.0.1'); // the decoy hash is made on first use
  const times: number[] = [];
  for (let i = 0; i < 4; i++) times.push(await timed(() => auth.user(`guess-${i}`, 'hunter2', '10.0.0.9')));
  t.ok(times[1]! >= 100, `2nd attempt waited (${times.map((x) => x.toFixed(0)).join(', ')} ms)`);
  t.ok(times[2]! >= 200 && times[3]! >= 400, 'the 3rd waited 200 ms, the 4th 400 ms');
  const throttled = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'login throttled' && l.address === '10.0.0.9');
  t.same(throttled.map((l) => l.failures), [1, 2, 4].slice(0, throttled.length));
  t.match(throttled[0], { address: '10.0.0.9', username: 'guess-0', delayMs: 100 });
  t.notOk(lines.some((l) => l.includes('hunter2')), 'no password in the log');

  // Another address is not slowed down by this one's failures.
  t.ok(await timed(() => auth.user('viewer', 'wrong', '10.0.0.10')) < 300, 'another address is not delayed');
  const ok = await auth.client('pole-a', 'pole-a', Buffer.from(secret), undefined, '10.0.0.9');
  t.ok(ok.ok, 'the right secret still logs in from the throttled address');
  t.ok(await timed(() => auth.user('guess-9', 'x', '10.0.0.9')) < 300, 'the success cleared the address');
});
