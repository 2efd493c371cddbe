// What a Modbus device entry refers to: its bus (or TCP host) and its profile, resolved.
import type { ConfigIssue } from './errors.js';
import type { Profile } from './profile-schema.js';
import type { YamlSource } from './yaml-source.js';
import { loadProfile } from './load-profile.js';
import { didYouMean } from './suggest.js';
import { resolveProfile } from './resolve-profile.js';

export interface ModbusContext {
  source: YamlSource;
  /** Directory of the manifest as the reader named it, for showing referenced files. */
  shownDir: string;
  busIds: string[];
  env: NodeJS.ProcessEnv;
  /** `link/unit` → the first device answering as that unit on a shared link (a bus or a serial server). */
  unitsOnLinks: Map<string, { index: number; id: unknown }>;
}

/** The shared line a device is on, where unit ids must differ: an RS-485 bus or a serial server. */
function sharedLink(device: Record<string, unknown>): string | undefined {
  if (typeof device.bus === 'string') return `bus ${device.bus}`;
  if (device.framing === 'rtu-over-tcp' && typeof device.host === 'string') return `serial server ${device.host}:${typeof device.port === 'number' ? device.port : 502}`;
  return undefined;
}

export async function resolveModbusDevice(device: Record<string, unknown>, index: number, ctx: ModbusContext): Promise<{ profile?: Profile; issues: ConfigIssue[] }> {
  const issues: ConfigIssue[] = [];
  const at = (key: string | undefined, message: string) => issues.push(ctx.source.issueAt(key ? ['devices', index, key] : ['devices', index], message));

  const { bus, host } = device;
  if (bus !== undefined && host !== undefined) at('host', 'give either bus: (Modbus RTU on a serial bus) or host: (Modbus TCP), not both');
  if (bus === undefined && host === undefined) at(undefined, 'a Modbus device needs bus: (the id of a serial bus under buses:) or host: (Modbus TCP)');
  if (typeof bus === 'string' && !ctx.busIds.includes(bus)) {
    at('bus', ctx.busIds.length ? `no bus '${bus}' under buses: (defined: ${ctx.busIds.join(', ')})${didYouMean(bus, ctx.busIds)}` : `no bus '${bus}': add it under buses: with its serial port`);
  }

  const link = sharedLink(device);
  const { unitId } = device;
  if (link && typeof unitId === 'number') {
    if (unitId === 0 || unitId > 247) at('unitId', `unit id ${unitId} cannot answer on ${link}: 0 is the broadcast address and 248-255 are reserved; give the unit an id from 1 to 247`);
    const first = ctx.unitsOnLinks.get(`${link}/${unitId}`);
    if (first) at('unitId', `unit id ${unitId} on ${link} is already used by devices[${first.index}] (${String(first.id)}); each unit on a shared line needs its own id`);
    else ctx.unitsOnLinks.set(`${link}/${unitId}`, { index, id: device.id });
  }

  const ref = device.profile;
  if (typeof ref !== 'string' || ref === '') return { issues };
  const resolved = await resolveProfile(ref, 'modbus', ctx.shownDir, loadProfile, { env: ctx.env }, (message) => at('profile', message));
  return { ...(resolved.profile ? { profile: resolved.profile } : {}), issues: [...issues, ...resolved.issues] };
}
