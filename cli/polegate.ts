#!/usr/bin/env node
// The `polegate` command. Each subcommand lives in its own thin file that parses arguments and
// calls into the package; this file only assembles them and turns errors into exit codes.
// `polegate edge` without the edge's heap settings is run again with them before anything else is
// loaded, so that the process left waiting for it is as small as Node gets (edge-launch.ts).
import { hasEdgeSettings, relaunchWithEdgeSettings } from './edge-launch.js';

if (process.argv[2] === 'edge' && !hasEdgeSettings()) {
  process.exitCode = await relaunchWithEdgeSettings();
} else {
  const [{ Command }, { registerCommands }, { reportFailure }] = await Promise.all([import('commander'), import('./commands.js'), import('./run.js')]);
  const program = new Command('polegate')
    .description('One pole, many sensors: edge agent and cloud ingest for city sensing.')
    .showHelpAfterError()
    .exitOverride();

  registerCommands(program);

  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    process.exitCode = reportFailure(err);
  }
}
