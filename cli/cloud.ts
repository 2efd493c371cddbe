// `polegate cloud`: the cloud ingest service, and registering poles and platform users. Registering
// the commands loads nothing else; what they run is in cloud-action.ts, loaded when one runs.
import type { Command } from 'commander';
import type { IssueCertOptions } from './cloud-action.js';

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
    .command('issue-cert [id]')
    .description("Sign a TLS certificate for a pole (CN = pole id, for mTLS) or, with --server, for the cloud's listeners; --ca creates the CA first")
    .option('--ca', "create the city's CA (tls/ca.pem, tls/ca.key beside the cloud config)")
    .option('--server', 'a server certificate (for mqtts: and http.tls) instead of a pole certificate')
    .option('--host <name>', 'host name or IP address of a server certificate (repeat for several)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--days <n>', 'days the certificate is valid', '825')
    .option('--out <dir>', 'folder for ID.pem and ID.key (default: tls/ beside the cloud config)')
    .option('--config <file>', 'cloud config (cloud.yaml): the CA lives in tls/ beside it')
    .action(async (id: string | undefined, opts: IssueCertOptions, command: Command) => (await import('./cloud-action.js')).runIssueCert(id, opts, command));

  cloud
    .command('add-user <name>')
    .description('Add a platform user to the cloud config and print the password once')
    .requiredOption('--role <role>', 'read (subscribe, HTTP API) or operate (also publish cmd)')
    .option('--config <file>', 'cloud config (cloud.yaml)')
    .action(async (name: string, opts: { role: string }, command: Command) => (await import('./cloud-action.js')).runAddUser(name, opts, command));
}
