// What `polegate validate` runs (cli/validate.ts registers the command).
import { ConfigError, PolegateError, formatIssue } from '../config/errors.js';
import { detectKind, type ConfigKind } from '../config/detect-kind.js';
import { loadManifest } from '../config/load-manifest.js';
import { loadAnyProfile } from '../config/load-profile.js';
import { LISTENERS, loadCloudConfig } from '../config/load-cloud-config.js';
import { readConfigText } from '../config/yaml-source.js';
import { explainPlan, plural, requestsPerCycle } from './explain-plan.js';


const KIND_NAMES: Record<ConfigKind, string> = { manifest: 'pole manifest', profile: 'device profile', cloud: 'cloud config' };

interface Checked {
  /** A few words on what the file holds. */
  summary: string;
  /** What --explain adds: the read plans of Modbus devices. */
  plans: string[];
}

/** Loads the file (throwing ConfigError when invalid) and says what it holds. */
const CHECKS: Record<ConfigKind, (file: string) => Promise<Checked>> = {
  async manifest(file) {
    const { manifest, devices } = await loadManifest(file);
    const modbus = devices.filter((d) => d.profile !== undefined);
    const plans = modbus.flatMap((d) => ['', ...explainPlan(`device ${d.config.id} (profile ${d.profile!.name}, unit ${String(d.options.unitId)})`, d.profile!)]);
    if (modbus.length > 0) plans.push('', `${plural(requestsPerCycle(modbus.map((d) => d.profile!)), 'request')} per poll cycle for ${plural(modbus.length, 'Modbus device')}`);
    return { summary: `pole ${manifest.pole.id}, ${plural(devices.length, 'device')}, ${plural(manifest.rules?.length ?? 0, 'rule')}`, plans };
  },
  async profile(file) {
    const profile = await loadAnyProfile(file);
    const summary = `${profile.name}, ${plural(profile.metrics.length, 'metric')}`;
    if (profile.kind === 'serial-line') return { summary: `serial-line ${summary}, ${profile.request === undefined ? 'streaming' : 'polled'}`, plans: [] };
    return { summary, plans: ['', ...explainPlan(`profile ${profile.name}`, profile)] };
  },
  async cloud(file) {
    const { config } = await loadCloudConfig(file);
    const listeners = LISTENERS.filter((name) => config[name]).map((name) => `${name}:${config[name]!.port}`);
    return { summary: `listeners ${listeners.join(', ')}; store ${config.store.kind}`, plans: [] };
  },
};

export async function validate(file: string, opts: { kind?: ConfigKind; explain?: boolean }): Promise<void> {
  const kind = opts.kind ?? detectKind(await readConfigText(file, 'file'));
  if (!kind) {
    throw new PolegateError(`${file}: cannot tell what this file is: a pole manifest has pole: and devices:, a device profile metrics:, a cloud config store: and poles:; pass --kind`, 'CONFIG_KIND_UNKNOWN', 2);
  }
  try {
    const { summary, plans } = await CHECKS[kind](file);
    const lines = [`${file}: valid ${KIND_NAMES[kind]} (${summary})`, ...(opts.explain ? plans : [])];
    process.stdout.write(`${lines.join('\n')}\n`);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const issue of err.issues) process.stdout.write(`${formatIssue(issue)}\n`);
    throw new PolegateError(`${file}: not a valid ${KIND_NAMES[kind]}: ${plural(err.issues.length, 'problem')}`, 'CONFIG_INVALID', 2);
  }
}
