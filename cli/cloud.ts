// `polegate cloud`: run the cloud ingest service, and register poles and platform users.
import { basename } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import { PolegateError } from '../config/errors.js';
import { loadCloudConfig } from '../config/load-cloud-config.js';
import { startCloud } from '../cloud-ingest/cloud.js';
import { addPole } from '../cloud-ingest/registry.js';
import { addUser } from '../cloud-ingest/users.js';
import { stopSignal } from './run.js';

async function run(opts: { config?: string }): Promise<void> {
  if (!opts.config) throw new PolegateError('polegate cloud needs --config FILE (see docs/cloud.md for an example cloud.yaml)', 'ARGUMENT_MISSING', 2);
  const { file, dir, config } = await loadCloudConfig(opts.config);
  const log = pino({ name: 'polegate-cloud' });
  const cloud = await startCloud({ config, dir, log, configFile: basename(file) });
  log.info({ ports: cloud.ports }, 'cloud ingest running; Ctrl-C to stop');
  const signal = await stopSignal();
  log.info({ signal }, 'stopping');
  await cloud.close();
}

export function register(program: Command): void {
  const cloud = program
    .command('cloud')
    .description('Run the cloud ingest service (MQTT broker, store, HTTP API), or register poles and users')
    .option('--config <file>', 'cloud config (cloud.yaml)')
    .action(run);

  cloud
    .command('add-pole <id>')
    .description('Register a pole and print its secret once (only a hash is kept)')
    .option('--registry <file>', 'pole registry file', 'poles.yaml')
    .action(async (id: string, opts: { registry: string }) => {
      const secret = await addPole(opts.registry, id);
      process.stdout.write(
        `Pole ${id} registered in ${opts.registry}.\n` +
        `Secret (shown once; only its hash is kept): ${secret}\n\n` +
        `In the pole's manifest:\n  uplink:\n    username: ${id}\n    password: \${POLE_SECRET}\n` +
        `and in the pole's environment: POLE_SECRET=${secret}\n`,
      );
    });

  cloud
    .command('add-user <name>')
    .description('Add a platform user to the cloud config and print the password once')
    .requiredOption('--role <role>', 'read (subscribe, HTTP API) or operate (also publish cmd)')
    // `cloud` itself takes --config too and parses it first: read it from either.
    .option('--config <file>', 'cloud config (cloud.yaml)')
    .action(async (name: string, opts: { role: string }, command: Command) => {
      const config = (command.optsWithGlobals() as { config?: string }).config;
      if (!config) throw new PolegateError('polegate cloud add-user needs --config FILE, the cloud config to add the user to', 'ARGUMENT_MISSING', 2);
      const password = await addUser(config, name, opts.role);
      process.stdout.write(`User ${name} (role ${opts.role}) added to ${config}.\nPassword (shown once; only its hash is kept): ${password}\n`);
    });
}
