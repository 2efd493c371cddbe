// `polegate edge --config pole.yaml`: the pole agent. Registering the command loads nothing else;
// the agent's modules load only when it runs (edge-action.ts), in a process that bin/polegate has
// given the agent's memory settings.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('edge')
    .description('Run the pole agent: poll devices, keep readings in the outbox, send them over MQTT')
    .option('--config <file>', 'pole manifest (pole.yaml)')
    .action(async (opts: { config?: string }) => (await import('./edge-action.js')).runEdge(opts));
}
