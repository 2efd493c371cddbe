// What a Modbus device entry refers to: its bus (or TCP host) and its profile, resolved.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, PolegateError, type ConfigIssue } from './errors.js';
import type { Profile } from './profile-schema.js';
import type { YamlSource } from './yaml-source.js';
import { builtinProfileNames, builtinProfilePath } from '../drivers/builtin.js';
import { loadProfile } from './load-profile.js';
import { didYouMean } from './suggest.js';
import { lookedFor, referencedFile } from './referenced-file.js';

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

/** A profile reference names a file when it looks like a path; otherwise a built-in profile. */
function isProfilePath(ref: string): boolean {
  return ref.includes('/') || ref.includes('\\') || /\.ya?ml$/.test(ref);
}

function shownBuiltin(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') ? file : relative;
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
  let file: string;
  if (isProfilePath(ref)) {
    file = referencedFile(ref, ctx.shownDir);
    if (!existsSync(file)) {
      at('profile', `profile file ${ref} not found (${lookedFor(ref, file)})`);
      return { issues };
    }
  } else {
    const builtin = builtinProfilePath(ref);
    if (builtin === undefined) {
      const names = builtinProfileNames();
      at('profile', `unknown profile '${ref}' (built-in: ${names.join(', ')}; a vendor profile is a file path such as ./profiles/level.yaml)${didYouMean(ref, names)}`);
      return { issues };
    }
    file = shownBuiltin(builtin);
  }
  try {
    return { profile: await loadProfile(file, { env: ctx.env }), issues };
  } catch (err) {
    if (err instanceof ConfigError) {
      at('profile', `profile ${ref} is invalid (see ${err.issues.length === 1 ? 'the problem' : `the ${err.issues.length} problems`} in ${file})`);
      return { issues: [...issues, ...err.issues] };
    }
    if (err instanceof PolegateError) {
      at('profile', err.message);
      return { issues };
    }
    throw err;
  }
}
