// The end of every node-loss test: the devices go silent, the pole's outbox drains, the pole stops,
// and the store must hold every seq the outbox ever gave, exactly once.
import { readOutbox, type Proc } from '../e2e/fault-procs.js';
import { POLE } from '../e2e/helpers.js';
import type { ModbusSim } from '../../fixtures/modbus-sim.js';
import { waitFor } from '../helpers/wait.js';
import type { ClusterFixture } from './cluster-fixture.js';

interface Asserts {
  equal(a: unknown, b: unknown, message: string): void;
  same(a: unknown, b: unknown, message: string): void;
  ok(value: unknown, message: string): void;
}

export async function expectEveryReadingOnce(t: Asserts, c: ClusterFixture, run: { devices: { gas: ModbusSim; pressure: ModbusSim }; edge: Proc; outbox: string }): Promise<void> {
  await Promise.all([run.devices.gas.close(), run.devices.pressure.close()]);
  await waitFor('the outbox to drain', () => readOutbox(run.outbox).pending.length === 0, 30_000, 200);
  await run.edge.stop('SIGTERM');
  const { stream, nextSeq } = readOutbox(run.outbox);
  const stored = await c.storedSeqs(POLE, stream);
  const unique = new Set(stored);
  t.equal(stored.length, unique.size, 'no seq twice in the store');
  t.same(Array.from({ length: nextSeq }, (_, i) => i).filter((s) => !unique.has(s)), [], `every seq below the outbox's next seq (${nextSeq}) is in the store`);
  t.ok(stored.every((s) => s < nextSeq), 'nothing the outbox did not give');
}
