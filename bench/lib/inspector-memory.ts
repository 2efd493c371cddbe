// The V8 heap of another Node process, read through its inspector (started with
// `--inspect=127.0.0.1:PORT`): a full garbage collection first, then process.memoryUsage(), so that
// a bench compares live heap, not garbage that happens to be uncollected.
import WebSocket from 'ws';

export interface Inspected {
  /** Full GC, then the process's memoryUsage() in MiB. */
  memory(): Promise<{ rss: number; heapUsed: number; heapTotal: number; external: number }>;
  close(): void;
}

export async function inspect(port: number): Promise<Inspected> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const socket = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  let id = 0;
  const pending = new Map<number, (result: unknown) => void>();
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  const call = (method: string, params: object = {}) => new Promise<unknown>((resolve) => {
    pending.set(++id, resolve);
    socket.send(JSON.stringify({ id, method, params }));
  });
  return {
    async memory() {
      await call('HeapProfiler.collectGarbage');
      const result = (await call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true })) as { result: { value: string } };
      const usage = JSON.parse(result.result.value) as Record<string, number>;
      const mib = (bytes: number) => bytes / 2 ** 20;
      return { rss: mib(usage.rss!), heapUsed: mib(usage.heapUsed!), heapTotal: mib(usage.heapTotal!), external: mib(usage.external!) };
    },
    close: () => socket.close(),
  };
}
