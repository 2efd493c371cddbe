// `polegate validate FILE [--kind manifest|profile|cloud]`: checks a config file offline.
import { Command, Option } from 'commander';
import { ConfigError, PolegateError, formatIssue } from '../config/errors.js';
import { CONFIG_KINDS, detectKind, type ConfigKind } from '../config/detect-kind.js';
import { loadManifest } from '../config/load-manifest.js';
import { loadProfile } from '../config/load-profile.js';
import { loadCloudConfig } from '../config/load-cloud-config.js';
import { readConfigText } from '../config/yaml-source.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const KIND_NAMES: Record<ConfigKind, string> = { manifest: 'pole manifest', profile: 'device profile', cloud: 'cloud config' };

/** Loads the file (throwing ConfigError when invalid) and says in a few words what it holds. */
const SUMMARIES: Record<ConfigKind, (file: string) => Promise<string>> = {
  async manifest(file) {
    const { manifest, devices } = await loadManifest(file);
    return `pole ${manifest.pole.id}, ${plural(devices.length, 'device')}, ${plural(manifest.rules?.length ?? 0, 'rule')}`;
  },
  async profile(file) {
    const profile = await loadProfile(file);
    return `${profile.name}, ${plural(profile.metrics.length, 'metric')}`;
  },
  async cloud(file) {
    const { config } = await loadCloudConfig(file);
    const listeners = (['mqtt', 'mqtts', 'ws', 'http'] as const).filter((name) => config[name]).map((name) => `${name}:${config[name]!.port}`);
    return `listeners ${listeners.join(', ')}; store ${config.store.kind}`;
  },
};

async function validate(file: string, opts: { kind?: ConfigKind }): Promise<void> {
  const kind = opts.kind ?? detectKind(await readConfigText(file, 'file'));
  if (!kind) {
    throw new PolegateError(`${file}: cannot tell what this file is: a pole manifest has pole: and devices:, a device profile metrics:, a cloud config store: and poles:; pass --kind`, 'CONFIG_KIND_UNKNOWN', 2);
  }
  try {
    process.stdout.write(`${file}: valid ${KIND_NAMES[kind]} (${await SUMMARIES[kind](file)})\n`);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const issue of err.issues) process.stdout.write(`${formatIssue(issue)}\n`);
    throw new PolegateError(`${file}: not a valid ${KIND_NAMES[kind]}: ${plural(err.issues.length, 'problem')}`, 'CONFIG_INVALID', 2);
  }
}

export function register(program: Command): void {
  program
    .command('validate')
    .description('Check a pole manifest, device profile or cloud config offline; every problem with its YAML path and line.')
    .argument('<file>', 'the YAML file to check')
    .addOption(new Option('--kind <kind>', 'what the file is (detected from its keys when omitted)').choices([...CONFIG_KINDS]))
    .action(validate);
}
