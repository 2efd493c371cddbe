// What `polegate edge` runs (cli/edge.ts registers the command): load the manifest in a worker
// thread, so that loading leaves nothing behind in the agent's heap, then run the pole agent until
// SIGTERM or SIGINT.
import { pino } from 'pino';
import { PolegateError } from '../config/errors.js';
import { ManagedEdge } from '../edge-agent/config-apply.js';
import { stopSignal } from './run.js';

export async function runEdge(opts: { config?: string }): Promise<void> {
  if (!opts.config) throw new PolegateError('polegate edge needs --config FILE, the pole manifest (see docs/operations.md)', 'ARGUMENT_MISSING', 2);
  // Secrets never reach a log line, whichever object carries them.
  const log = pino({ name: 'polegate-edge', level: process.env.LOG_LEVEL ?? 'info', redact: ['password', '*.password', 'uplink.password'] });
  // The manifest is loaded (and may be replaced by apply-config) under ManagedEdge (edge-agent/config-apply.ts).
  const agent = await ManagedEdge.start(opts.config, { log, env: process.env });
  const signal = await stopSignal();
  log.info({ signal }, 'stopping');
  await agent.close();
}
