// What `polegate cloud` runs (cli/cloud.ts registers the commands): the cloud ingest service, and
// registering poles and platform users.
import { basename } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import { PolegateError } from '../config/errors.js';
import { loadCloudConfig } from '../config/load-cloud-config.js';
import { startCloud } from '../cloud-ingest/cloud.js';
import { addPole } from '../cloud-ingest/registry.js';
import { addUser } from '../cloud-ingest/users.js';
import { stopSignal } from './run.js';

export async function runCloud(opts: { config?: string }): Promise<void> {
  if (!opts.config) throw new PolegateError('polegate cloud needs --config FILE (see docs/cloud.md for an example cloud.yaml)', 'ARGUMENT_MISSING', 2);
  const { file, dir, config } = await loadCloudConfig(opts.config);
  const log = pino({ name: 'polegate-cloud' });
  const cloud = await startCloud({ config, dir, log, configFile: basename(file) });
  log.info({ ports: cloud.ports }, 'cloud ingest running; Ctrl-C to stop');
  const signal = await stopSignal();
  log.info({ signal }, 'stopping');
  await cloud.close();
}

export async function runAddPole(id: string, opts: { registry: string }): Promise<void> {
  const secret = await addPole(opts.registry, id);
  process.stdout.write(
    `Pole ${id} registered in ${opts.registry}.\n` +
    `Secret (shown once; only its hash is kept): ${secret}\n\n` +
    `In the pole's manifest:\n  uplink:\n    username: ${id}\n    password: \${POLE_SECRET}\n` +
    `and in the pole's environment: POLE_SECRET=${secret}\n`,
  );
}

export async function runAddUser(name: string, opts: { role: string }, command: Command): Promise<void> {
  // `cloud` itself takes --config too and parses it first: read it from either.
  const config = (command.optsWithGlobals() as { config?: string }).config;
  if (!config) throw new PolegateError('polegate cloud add-user needs --config FILE, the cloud config to add the user to', 'ARGUMENT_MISSING', 2);
  const password = await addUser(config, name, opts.role);
  process.stdout.write(`User ${name} (role ${opts.role}) added to ${config}.\nPassword (shown once; only its hash is kept): ${password}\n`);
}
