#!/usr/bin/env node
// The `polegate` command. Each subcommand lives in its own thin file that parses arguments and
// calls into the package; this file only assembles them and turns errors into exit codes.
// The installed command is bin/polegate, which gives `polegate edge` the agent's memory settings.
import { Command } from 'commander';
import { agentVersion } from '../edge-agent/version.js';
import { registerCommands } from './commands.js';
import { reportFailure } from './run.js';

const program = new Command('polegate')
  .description('One pole, many sensors: edge agent and cloud ingest for city sensing.')
  .version(agentVersion(), '-V, --version', 'print the polegate version and exit')
  .showHelpAfterError()
  .exitOverride();

registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportFailure(err);
}
