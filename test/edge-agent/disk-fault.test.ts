// The disk under the outbox fills up (ENOSPC on a small tmpfs): the agent keeps polling,
// holds what it cannot commit in memory, reports the fault, and on recovery commits and delivers it
// all — every reading exactly once, checked by value. Needs root for tmpfs mounts.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEdgeAgent, type EdgeAgent } from '../../edge-agent/agent.js';
import { startTcpProxy } from '../../fixtures/tcp-proxy.js';
import { testManifest } from '../helpers/edge-manifest.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { record } from '../helpers/mqtt-recorder.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

function canMount(): boolean {
  if (process.getuid?.() !== 0 || !existsSync('/usr/sbin/mosquitto')) return false;
  const probe = join('/tmp', `polegate-mount-probe-${process.pid}`);
  mkdirSync(probe, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe]);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}
const skip = canMount() ? false : 'skipped: needs root, tmpfs mounts and /usr/sbin/mosquitto';

/** Fills the file system at `dir` with one file until it reports ENOSPC. */
function fill(dir: string): string {
  const file = join(dir, 'filler');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return file;
}

// A read-only remount cannot be forced while the agent has the file open for writing (the kernel
// answers EBUSY), so only the full disk is injected here; a read-only file system fails writes on
// the same path (any failed commit holds messages in memory).
const faults = {
  'a full disk': { size: '2m', inject: (mnt: string) => fill(mnt), clear: (mnt: string) => rmSync(join(mnt, 'filler')) },
};

for (const [name, fault] of Object.entries(faults)) {
  t.test(`${name}: polling goes on, the fault is reported, nothing is lost`, { skip }, async (t) => {
    const dir = t.testdir();
    const mnt = mkdtempSync(join(tmpdir(), 'polegate-disk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${fault.size}`, 'tmpfs', mnt]);
    t.teardown(() => {
      execFileSync('umount', ['-l', mnt]);
      rmSync(mnt, { recursive: true, force: true });
    });
    const id = randomBytes(4).toString('hex');
    const root = `test-${id}/v1`;
    const broker = await startMosquitto(dir);
    t.teardown(() => broker.stop());
    const rec = await record(broker.url, root);
    t.teardown(() => rec.close());
    // The link stays cut until the end, so the backlog grows on the failing disk.
    const link = await startTcpProxy({ target: { host: '127.0.0.1', port: broker.port } });
    t.teardown(() => link.close());
    link.cut();
    const metrics = Array.from({ length: 20 }, (_, i) => ({ name: `m${i}`, unit: 'm', value: i * 1_000_000, step: 1 }));
    const agent: EdgeAgent = await startEdgeAgent(
      testManifest({ pole: `pole-${id}`, topicRoot: root, url: `mqtt://127.0.0.1:${link.port}`, bufferPath: join(mnt, 'outbox.db'), devices: [{ id: 'gauge', pollMs: 10, metrics }] }),
      { uplink: { backoffMs: { min: 50, max: 200 } }, checkpointMs: 200 },
    );
    t.teardown(() => agent.close());
    let produced = 0;
    agent.on('reading', () => produced++);
    const events: Array<{ type: string }> = [];
    agent.on('event', (e) => events.push(e));
    await waitFor('readings committed', () => produced >= 200, 10_000);

    fault.inject(mnt);
    await waitFor('the fault reported', () => events.some((e) => e.type === 'buffer-fault'), 20_000);
    const atFault = produced;
    await waitFor('polling to go on', () => produced >= atFault + 400, 10_000);
    const recovered = nextEvent(agent, 'outbox-recovered', 10_000);
    fault.clear(mnt);
    await recovered;
    link.restore();

    const target = produced;
    const values = () => new Set(rec.of('telemetry').flatMap((m) => m.payload.readings.map((r: { value: number }) => r.value)));
    await waitFor(`all ${target} readings delivered`, () => values().size >= target, 20_000);
    const faultEvents = rec.of('event').filter((m) => m.payload.event.type === 'buffer-fault');
    t.equal(faultEvents.length, 1, 'the fault is delivered as an event');
    t.match(faultEvents[0]!.payload.event.error, /\S/, 'saying what went wrong');
    t.equal(rec.of('event').filter((m) => m.payload.event.type === 'gap').length, 0, 'within the memory bound nothing was dropped');
    t.ok(values().size >= target, `${values().size} distinct readings delivered of ${target} produced (${target - atFault} after the fault)`);
    const bySeq = new Map<number, number>();
    let reused = 0;
    for (const r of rec.of('telemetry').flatMap((m) => m.payload.readings as Array<{ seq: number; value: number }>)) {
      const seen = bySeq.get(r.seq);
      if (seen === undefined) bySeq.set(r.seq, r.value);
      else if (seen !== r.value) reused++;
    }
    t.equal(reused, 0, 'a seq always names the same reading (resends are duplicates, never new data)');
  });
}
