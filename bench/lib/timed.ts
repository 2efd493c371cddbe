// The timing loop every modbus benchmark shares: warm up, then call `poll` back to back for a fixed
// time, counting polls and the CPU this process spent on them.

export interface PollFigure {
  polls: number;
  seconds: number;
  cpuUs: number;
}

export async function pollFor(seconds: number, warmup: number, poll: () => Promise<unknown>): Promise<PollFigure> {
  for (let i = 0; i < warmup; i++) await poll(); // warm-up: JIT, sockets
  const cpu = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  let polls = 0;
  while (performance.now() < end) {
    await poll();
    polls++;
  }
  const elapsed = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { polls, seconds: elapsed, cpuUs: used.user + used.system };
}
