// The heap settings `polegate edge` runs with (docs/performance.md, "Edge memory"). V8 and glibc read
// them only at process start, so a `polegate edge` started without them runs itself again with them
// and stays as a small launcher that passes signals on and returns the agent's exit code. A service
// unit that sets them (docs/operations.md) runs the agent as its only process. The cloud and the
// other commands keep Node's defaults: they are not what a pole's memory budget is about.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/**
 * Semi-spaces of 1 MiB instead of up to 16: the agent's garbage is small and short-lived, and
 * larger semi-spaces only hold it longer (−10 MiB RSS). The old generation is capped so that a leak
 * ends in a restart (nothing is lost: the outbox is on disk) instead of a pole out of memory.
 */
export const EDGE_NODE_FLAGS = ['--max-semi-space-size=1', '--max-old-space-size=128'];
/** glibc keeps a malloc arena per thread that ever allocated, mostly free but resident: two are plenty (−8 MiB RSS). */
export const EDGE_ENV = { MALLOC_ARENA_MAX: '2' };

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** True when this process already has the settings: relaunched, or started with them by a service unit. */
export function hasEdgeSettings(): boolean {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return args.some((arg) => arg.startsWith('--max-semi-space-size'));
}

/** Runs this same command again with the settings; resolves with the exit status it ends with. */
export function relaunchWithEdgeSettings(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...EDGE_NODE_FLAGS, ...process.argv.slice(1)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...EDGE_ENV },
    // A process group of its own: Ctrl-C on a terminal reaches only the launcher, which passes it on
    // once (a second SIGINT would stop the agent before it has closed cleanly).
    detached: true,
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of SIGNALS) process.on(signal, forward);
  return new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  }).finally(() => {
    for (const signal of SIGNALS) process.off(signal, forward);
  });
}

/** In the relaunched agent: stop as if told to when the launcher is gone (killed outright), never run orphaned. */
export function followLauncher(): void {
  if (!process.channel) return;
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
