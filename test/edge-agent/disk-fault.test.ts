// The disk under the outbox fails while the agent runs: the agent keeps polling, holds what it cannot
// commit in memory, reports the fault, and on recovery commits and delivers it all — every reading
// exactly once, checked by value. Two faults, both root only:
// - a full disk: ENOSPC on a small tmpfs, filled up;
// - writes refused as on a read-only file system. A read-only remount, even of a bind mount
//   (`mount -o remount,ro,bind`), is refused with EBUSY while a file on it is open for writing, and
//   the kernel's own switch (ext4 `errors=remount-ro` after an error) cannot be undone without
//   unmounting. So the outbox's folder and files are made immutable (`chattr +i`, on ext4, where it
//   applies to descriptors already open): SQLite then fails every write with the same
//   SQLITE_IOERR_WRITE ("disk I/O error") it reports on an ext4 that went read-only, and `chattr -i`
//   makes the disk writable again.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEdgeAgent, type EdgeAgent } from '../../edge-agent/agent.js';
import { startTcpProxy } from '../../fixtures/tcp-proxy.js';
import type { Tap } from '../e2e/helpers.js';
import { testManifest } from '../helpers/edge-manifest.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { record } from '../helpers/mqtt-recorder.js';
import { nextEvent, waitFor } from '../helpers/wait.js';
import { missingService } from '../helpers/services.js';

const needsRoot = (await missingService('mosquitto-binary')) ?? (process.getuid?.() === 0 ? undefined : 'skipped: needs root');

/** Where probes run: on the file system of the tests' own folders. */
const scratch = join(process.cwd(), '.tap');
mkdirSync(scratch, { recursive: true });

/** Whether `probe` succeeds in a scratch folder under `parent`. */
function works(parent: string, probe: (dir: string) => void): boolean {
  const dir = mkdtempSync(join(parent, 'polegate-probe-'));
  try {
    probe(dir);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const canMount = () => works('/tmp', (dir) => {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
  execFileSync('umount', [dir]);
});

/** chattr +i refuses writes through a descriptor opened before it (ext4 does; tmpfs does not). */
const canFreeze = (parent: string) => works(parent, (dir) => {
  const file = join(dir, 'f');
  const fd = openSync(file, 'w');
  try {
    execFileSync('chattr', ['+i', file], { stdio: 'ignore' });
    let refused = false;
    try {
      writeSync(fd, 'x');
    } catch {
      refused = true;
    }
    execFileSync('chattr', ['-i', file]);
    if (!refused) throw new Error('writes still accepted');
  } finally {
    closeSync(fd);
  }
});

/** Fills the file system at `dir` with one file until it reports ENOSPC. */
function fill(dir: string): void {
  const fd = openSync(join(dir, 'filler'), 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

/**
 * Sets or clears the immutable flag on a folder and its files, but not SQLite's -shm: it is mapped
 * in memory, and a write to an immutable mapping is a SIGBUS, not an error SQLite could report.
 */
function immutable(dir: string, on: boolean): void {
  execFileSync('chattr', [on ? '+i' : '-i', dir, ...readdirSync(dir).filter((f) => !f.endsWith('-shm')).map((f) => join(dir, f))]);
}

interface DiskFault {
  skip: string | false;
  /** A folder for the outbox, on a file system that can have the fault. */
  folder(t: Tap): string;
  inject(folder: string): void;
  clear(folder: string): void;
}

const faults: Record<string, DiskFault> = {
  'a full disk': {
    skip: needsRoot ?? (canMount() ? false : 'skipped: tmpfs mounts are refused here'),
    folder(t) {
      const mnt = mkdtempSync(join(tmpdir(), 'polegate-disk-'));
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
      t.teardown(() => {
        execFileSync('umount', ['-l', mnt]);
        rmSync(mnt, { recursive: true, force: true });
      });
      return mnt;
    },
    inject: fill,
    clear: (mnt) => rmSync(join(mnt, 'filler')),
  },
  'writes refused as on a read-only file system': {
    skip: needsRoot ?? (canFreeze(scratch) ? false : 'skipped: chattr +i does not refuse writes to open files here (needs ext4 or alike)'),
    folder(t) {
      const folder = mkdtempSync(join(scratch, 'polegate-readonly-'));
      t.teardown(() => {
        immutable(folder, false);
        rmSync(folder, { recursive: true, force: true });
      });
      return folder;
    },
    inject: (folder) => immutable(folder, true),
    clear: (folder) => immutable(folder, false),
  },
};

// With the link cut the backlog grows on the failing disk; with it up, the broker's PUBACKs come in
// while the disk refuses to delete what they acknowledge.
for (const [name, fault] of Object.entries(faults)) for (const link of ['cut', 'up'] as const) {
  t.test(`${name}, link ${link}: polling goes on, the fault is reported, nothing is lost`, { skip: fault.skip }, async (t) => {
    const dir = t.testdir();
    const mnt = fault.folder(t);
    const id = randomBytes(4).toString('hex');
    const root = `test-${id}/v1`;
    const broker = await startMosquitto(dir);
    t.teardown(() => broker.stop());
    const rec = await record(broker.url, root);
    t.teardown(() => rec.close());
    const proxy = await startTcpProxy({ target: { host: '127.0.0.1', port: broker.port } });
    t.teardown(() => proxy.close());
    if (link === 'cut') proxy.cut();
    const metrics = Array.from({ length: 20 }, (_, i) => ({ name: `m${i}`, unit: 'm', value: i * 1_000_000, step: 1 }));
    const agent: EdgeAgent = await startEdgeAgent(
      testManifest({ pole: `pole-${id}`, topicRoot: root, url: `mqtt://127.0.0.1:${proxy.port}`, bufferPath: join(mnt, 'outbox.db'), devices: [{ id: 'gauge', pollMs: 10, metrics }] }),
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
    proxy.restore();

    const target = produced;
    const values = () => new Set(rec.of('telemetry').flatMap((m) => m.payload.readings.map((r: { value: number }) => r.value)));
    await waitFor(`all ${target} readings delivered`, () => values().size >= target, 20_000);
    const faultEvents = rec.of('event').filter((m) => m.payload.event.type === 'buffer-fault');
    t.equal(faultEvents.length, 1, 'the fault is delivered as an event');
    t.match(faultEvents[0]!.payload.event.error, /\S/, `saying what went wrong: ${faultEvents[0]!.payload.event.error}`);
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
