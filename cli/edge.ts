// `polegate edge --config pole.yaml`: run the pole agent until SIGTERM or SIGINT.
import type { Command } from 'commander';
import { pino } from 'pino';
import { PolegateError } from '../config/errors.js';
import { loadManifest } from '../config/load-manifest.js';
import { startEdgeAgent } from '../edge-agent/agent.js';
import { stopSignal } from './run.js';

async function run(opts: { config?: string }): Promise<void> {
  if (!opts.config) throw new PolegateError('polegate edge needs --config FILE, the pole manifest (see docs/operations.md)', 'ARGUMENT_MISSING', 2);
  const loaded = await loadManifest(opts.config, { env: process.env });
  // Secrets never reach a log line, whichever object carries them.
  const log = pino({ name: 'polegate-edge', level: process.env.LOG_LEVEL ?? 'info', redact: ['password', '*.password', 'uplink.password'] });
  const agent = await startEdgeAgent(loaded, { log });
  const signal = await stopSignal();
  log.info({ signal }, 'stopping');
  await agent.close();
}

export function register(program: Command): void {
  program
    .command('edge')
    .description('Run the pole agent: poll devices, keep readings in the outbox, send them over MQTT')
    .option('--config <file>', 'pole manifest (pole.yaml)')
    .action(run);
}
