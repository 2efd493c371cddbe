// What a benchmark reads of a process from /proc (Linux): its CPU time and its memory.
import { readdirSync, readFileSync } from 'node:fs';

/** A `Key:   N kB` line of a /proc status-like file, in MiB. */
function kbLine(file: string, key: string): number {
  const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${key}:`))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

export function rssMiB(pid: number): number {
  return kbLine(`/proc/${pid}/status`, 'VmRSS');
}

/** Proportional set size: private pages plus a share of the pages shared with other processes. */
export function pssMiB(pid: number): number {
  return kbLine(`/proc/${pid}/smaps_rollup`, 'Pss');
}

/**
 * CPU time of all the process's threads, from the scheduler's own accounting (ns), not utime/stime:
 * those are counted in 10 ms ticks, too coarse for a process that runs ~4 ms a second.
 */
export function cpuSeconds(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1e9;
}
