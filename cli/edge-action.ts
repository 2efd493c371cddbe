// What `polegate edge` runs (cli/edge.ts registers the command): load the manifest in a worker
// thread, so that loading leaves nothing behind in the agent's heap, then run the pole agent until
// SIGTERM or SIGINT. With `status:` in the manifest the local status server is loaded (only then:
// it and prom-client cost memory) and its port bound before the agent starts.
import { pino } from 'pino';
import { PolegateError } from '../config/errors.js';
import { loadManifestInWorker } from '../config/load-manifest-in-worker.js';
import { startEdgeAgent } from '../edge-agent/agent.js';
import { stopSignal } from './run.js';

export async function runEdge(opts: { config?: string }): Promise<void> {
  if (!opts.config) throw new PolegateError('polegate edge needs --config FILE, the pole manifest (see docs/operations.md)', 'ARGUMENT_MISSING', 2);
  const loaded = await loadManifestInWorker(opts.config, { env: process.env });
  // Secrets never reach a log line, whichever object carries them.
  const log = pino({ name: 'polegate-edge', level: process.env.LOG_LEVEL ?? 'info', redact: ['password', '*.password', 'uplink.password'] });
  const status = loaded.manifest.status ? await (await import('../edge-agent/status/server.js')).openStatusServer(loaded) : undefined;
  let agent;
  try {
    agent = await startEdgeAgent(loaded, { log, ...(status ? { statusUrl: status.url } : {}) });
  } catch (err) {
    await status?.close();
    throw err;
  }
  status?.attach(agent);
  const signal = await stopSignal();
  log.info({ signal }, 'stopping');
  await agent.close();
  await status?.close();
}
