// `polegate cloud`: the cloud ingest service, and registering poles and platform users. Registering
// the commands loads nothing else; what they run is in cloud-action.ts, loaded when one runs.
import type { Command } from 'commander';

export function register(program: Command): void {
  const cloud = program
    .command('cloud')
    .description('Run the cloud ingest service (MQTT broker, store, HTTP API), or register poles and users')
    .option('--config <file>', 'cloud config (cloud.yaml)')
    .action(async (opts: { config?: string }) => (await import('./cloud-action.js')).runCloud(opts));

  cloud
    .command('add-pole <id>')
    .description('Register a pole and print its secret once (only a hash is kept)')
    .option('--registry <file>', 'pole registry file', 'poles.yaml')
    .option('--config <file>', "cloud config: refuse its users' names, and use its poles: file as the registry")
    .action(async (id: string, opts: { registry: string }, command: Command) => (await import('./cloud-action.js')).runAddPole(id, opts, command));

  cloud
    .command('add-user <name>')
    .description('Add a platform user to the cloud config and print the password once')
    .requiredOption('--role <role>', 'read (subscribe, HTTP API) or operate (also publish cmd)')
    .option('--config <file>', 'cloud config (cloud.yaml)')
    .action(async (name: string, opts: { role: string }, command: Command) => (await import('./cloud-action.js')).runAddUser(name, opts, command));
}
