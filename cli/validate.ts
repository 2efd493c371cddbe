// `polegate validate FILE [--kind manifest|profile|cloud] [--explain]`: checks a config file offline;
// --explain also shows the Modbus read requests each device makes per poll.
// Registering the command loads nothing else; the loaders load when it runs (validate-action.ts).
import { Option, type Command } from 'commander';
import { CONFIG_KINDS, type ConfigKind } from '../config/config-kinds.js';

export function register(program: Command): void {
  program
    .command('validate')
    .description('Check a pole manifest, device profile or cloud config offline; every problem with its YAML path and line.')
    .argument('<file>', 'the YAML file to check')
    .addOption(new Option('--kind <kind>', 'what the file is (detected from its keys when omitted)').choices([...CONFIG_KINDS]))
    .option('--explain', 'also show the Modbus read requests of each device per poll (function code, start, count, metrics)')
    .action(async (file: string, opts: { kind?: ConfigKind; explain?: boolean }) => (await import('./validate-action.js')).validate(file, opts));
}
