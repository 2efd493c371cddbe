// What `polegate cloud` runs (cli/cloud.ts registers the commands): the cloud ingest service, and
// registering poles and platform users.
import { basename, dirname, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import { PolegateError } from '../config/errors.js';
import { loadCloudConfig, loadPoleRegistry } from '../config/load-cloud-config.js';
import { startCloud } from '../cloud-ingest/cloud.js';
import { caFiles, certificateNames, createCa, issueCert, validFor } from '../cloud-ingest/certificates.js';
import { refuseSharedNames } from '../cloud-ingest/login-names.js';
import { isPoleId } from '../contract/topics.js';
import { addPole, type UserNames } from '../cloud-ingest/registry.js';
import { addUser } from '../cloud-ingest/users.js';
import { stopSignal } from './run.js';

export async function runCloud(opts: { config?: string }): Promise<void> {
  if (!opts.config) throw new PolegateError('polegate cloud needs --config FILE (see docs/cloud.md for an example cloud.yaml)', 'ARGUMENT_MISSING', 2);
  const { file, dir, config } = await loadCloudConfig(opts.config);
  const registryFile = resolve(dir, config.poles);
  refuseSharedNames((await loadPoleRegistry(registryFile)).poles.map((p) => p.id), (config.users ?? []).map((u) => u.username), registryFile, file);
  const log = pino({ name: 'polegate-cloud' });
  const cloud = await startCloud({ config, dir, log, configFile: basename(file) });
  log.info({ ports: cloud.ports }, 'cloud ingest running; Ctrl-C to stop');
  const signal = await stopSignal();
  log.info({ signal }, 'stopping');
  await cloud.close();
}

export async function runAddPole(id: string, opts: { registry: string }, command: Command): Promise<void> {
  // With the cloud config (on add-pole or on cloud), its users' names are refused as pole ids, and
  // its poles: file is the registry unless --registry names another.
  const configFile = (command.optsWithGlobals() as { config?: string }).config;
  let registry = opts.registry;
  let users: UserNames | undefined;
  if (configFile) {
    const { file, dir, config } = await loadCloudConfig(configFile);
    if (command.getOptionValueSource('registry') === 'default') registry = resolve(dir, config.poles);
    users = { usernames: (config.users ?? []).map((u) => u.username), configFile: file };
  }
  const secret = await addPole(registry, id, users);
  process.stdout.write(
    `Pole ${id} registered in ${registry}.\n` +
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

export interface IssueCertOptions {
  ca?: boolean;
  server?: boolean;
  host: string[];
  days: string;
  out?: string;
}

export async function runIssueCert(id: string | undefined, opts: IssueCertOptions, command: Command): Promise<void> {
  const configFile = (command.optsWithGlobals() as { config?: string }).config;
  if (!configFile) throw new PolegateError('polegate cloud issue-cert needs --config FILE: the CA lives in tls/ beside the cloud config', 'ARGUMENT_MISSING', 2);
  if (!opts.ca && !id) throw new PolegateError('polegate cloud issue-cert needs a pole id (or, with --server, a host name), or --ca to create the CA', 'ARGUMENT_MISSING', 2);
  const days = Number(opts.days);
  if (!Number.isInteger(days) || days < 1) throw new PolegateError(`--days must be a whole number of days of at least 1, not "${opts.days}"`, 'ARGUMENT_INVALID', 2);
  if (!opts.server && id && !isPoleId(id)) {
    throw new PolegateError(`"${id}" is not a valid pole id (a pole's certificate names its pole); for the cloud's own certificate add --server`, 'POLE_ID_INVALID', 2);
  }
  // Bad names are refused before a CA is created.
  if (id) certificateNames(id, { server: opts.server, hosts: opts.host });
  const { dir } = await loadCloudConfig(configFile);
  const ca = caFiles(dir);
  if (opts.ca) {
    await createCa(ca, `polegate city CA ${basename(dir)}`, validFor(3650));
    process.stdout.write(`CA created: ${ca.cert} (give it to every pole and client as their ca) and ${ca.key} (mode 0600; keep it here, never copy it to a pole).\n`);
  }
  if (!id) return;
  const issued = await issueCert(ca, id, opts.out ?? dirname(ca.cert), { server: opts.server, hosts: opts.host, validity: validFor(days) });
  process.stdout.write(`Certificate for ${opts.server ? `server ${id}` : `pole ${id}`}: ${issued.cert}, key ${issued.key} (mode 0600), valid ${days} days, signed by ${ca.cert}.\n`);
  process.stdout.write(opts.server
    ? `In ${basename(configFile)}:\n  mqtts: { port: 8883, cert: ${relative(dir, issued.cert)}, key: ${relative(dir, issued.key)}, ca: ${relative(dir, ca.cert)}, requireClientCert: true }\n  http: { port: 8080, tls: { cert: ${relative(dir, issued.cert)}, key: ${relative(dir, issued.key)} } }\n`
    : `On the pole, with these three files, in its manifest:\n  uplink:\n    url: mqtts://CLOUD-HOST:8883\n    tls: { ca: ./ca.pem, cert: ./${id}.pem, key: ./${id}.key }\n`);
}
