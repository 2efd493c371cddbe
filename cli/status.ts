// `polegate status [--config pole.yaml | --url URL] [--json]`: the running agent's status server's
// facts in the terminal. Registering the command loads nothing else (status-action.ts does the work).
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('status')
    .description('Show what the running pole agent knows: uplink, outbox, buses, devices and values, alarms, recent events.')
    .option('--config <file>', 'pole manifest: its status: key says where the agent listens', '/etc/polegate/pole.yaml')
    .option('--url <url>', 'the status server\'s URL instead (as in the agent\'s start-up log line)')
    .option('--json', 'print the facts as JSON, for tools')
    .action(async (opts: { config: string; url?: string; json?: boolean }) => (await import('./status-action.js')).status(opts));
}
