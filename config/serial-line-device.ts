// What a serial-line device entry refers to: its bus (or serial server) and its profile, resolved.
import type { ConfigIssue } from './errors.js';
import type { SerialLineProfile } from './profile-schema.js';
import type { YamlSource } from './yaml-source.js';
import { loadLineProfile } from './load-profile.js';
import { didYouMean } from './suggest.js';
import { resolveProfile } from './resolve-profile.js';

export interface SerialLineContext {
  source: YamlSource;
  /** Directory of the manifest as the reader named it, for showing referenced files. */
  shownDir: string;
  busIds: string[];
  env: NodeJS.ProcessEnv;
}

export async function resolveSerialLineDevice(device: Record<string, unknown>, index: number, ctx: SerialLineContext): Promise<{ profile?: SerialLineProfile; issues: ConfigIssue[] }> {
  const issues: ConfigIssue[] = [];
  const at = (key: string | undefined, message: string) => issues.push(ctx.source.issueAt(key ? ['devices', index, key] : ['devices', index], message));
  const { bus, host } = device;
  if (bus !== undefined && host !== undefined) at('host', 'give either bus: (a serial port under buses:) or host: (a serial server over TCP), not both');
  if (bus === undefined && host === undefined) at(undefined, 'a serial-line device needs bus: (the id of a serial bus under buses:) or host: and port: (a serial server over TCP)');
  if (typeof bus === 'string' && !ctx.busIds.includes(bus)) {
    at('bus', ctx.busIds.length ? `no bus '${bus}' under buses: (defined: ${ctx.busIds.join(', ')})${didYouMean(bus, ctx.busIds)}` : `no bus '${bus}': add it under buses: with its serial port`);
  }
  if (device.port !== undefined && host === undefined) at('port', 'port: is the TCP port of a serial server and needs host:; a serial port goes under buses:');
  const ref = device.profile;
  if (typeof ref !== 'string' || ref === '') return { issues };
  const resolved = await resolveProfile(ref, 'serial-line', ctx.shownDir, loadLineProfile, { env: ctx.env }, (message) => at('profile', message));
  return { ...(resolved.profile ? { profile: resolved.profile } : {}), issues: [...issues, ...resolved.issues] };
}
