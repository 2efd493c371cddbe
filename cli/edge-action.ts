// What `polegate edge` runs (cli/edge.ts registers the command): load the manifest in a worker
// thread, so that loading leaves nothing behind in the agent's heap, then run the pole agent until
// SIGTERM or SIGINT. With `status:` in the manifest the local status server is loaded (only then:
// it and prom-client cost memory) and its port bound before the agent starts.
import { pino } from 'pino';
import { PolegateError } from '../config/errors.js';
import { ManagedEdge } from '../edge-agent/config-apply.js';
import type { StatusServer } from '../edge-agent/status/server.js';
import { stopSignal } from './run.js';

export async function runEdge(opts: { config?: string }): Promise<void> {
  if (!opts.config) throw new PolegateError('polegate edge needs --config FILE, the pole manifest (see docs/operations.md)', 'ARGUMENT_MISSING', 2);
  // Secrets never reach a log line, whichever object carries them.
  const log = pino({ name: 'polegate-edge', level: process.env.LOG_LEVEL ?? 'info', redact: ['password', '*.password', 'uplink.password'] });
  // The manifest is loaded (and may be replaced by apply-config) under ManagedEdge (edge-agent/config-apply.ts).
  // The status server opens on the first manifest's `status:` before any device, and follows every
  // agent an apply-config starts.
  let status: StatusServer | undefined;
  let agent;
  try {
    agent = await ManagedEdge.start(opts.config, {
      log,
      env: process.env,
      prepare: async (loaded) => {
        if (!loaded.manifest.status) return {};
        status = await (await import('../edge-agent/status/server.js')).openStatusServer(loaded);
        return { statusUrl: status.url };
      },
      onAgent: (next) => status?.attach(next),
    });
  } catch (err) {
    await status?.close();
    throw err;
  }
  const signal = await stopSignal();
  log.info({ signal }, 'stopping');
  await agent.close();
  await status?.close();
}
