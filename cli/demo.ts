// `polegate demo` (also `npm start`): cloud, simulated devices and an edge agent for one pole.
// Registering the command loads nothing else; the demo loads when it runs (demo-action.ts).
import type { Command } from 'commander';
import type { DemoOptions } from './demo-action.js';

export function register(program: Command): void {
  program
    .command('demo')
    .description('Run cloud, simulated devices and an edge agent for one pole, with a live view (npm start)')
    .option('--dir <path>', 'where the demo keeps its data (wiped at start)', 'data/demo')
    .option('--duration <seconds>', 'stop by itself after this many seconds')
    .option('--mqtt-port <port>', 'MQTT port to prefer (a free one when taken)', '1883')
    .option('--http-port <port>', 'HTTP API port to prefer (a free one when taken)', '8080')
    .action(async (opts: DemoOptions) => (await import('./demo-action.js')).runDemo(opts));
}
