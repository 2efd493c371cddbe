// Loading a device profile: a Modbus profile (the default kind) or a serial-line one (`kind:
// serial-line`, checked in line-profile-checks.ts). For Modbus, what the schema cannot say: types that
// fit their table, byte orders that fit their width, register ranges that do not overlap, units.
import { Value } from '@sinclair/typebox/value';
import { ConfigError, type ConfigIssue } from './errors.js';
import { Profile, ProfileMetric, SerialLineProfile, type RegisterTable } from './profile-schema.js';
import { lineProfileIssues } from './line-profile-checks.js';
import { loadYaml } from './load-yaml.js';
import { readYamlSource, type LoadOptions, type YamlSource } from './yaml-source.js';
import { registerWidth, valueBits, valueTypeOf } from './register-width.js';
import { checkUnit } from './units.js';

/** A profile of either kind, as loaded. */
export type AnyProfile = Profile | SerialLineProfile;

const isLineProfile = (value: unknown): boolean => (value as { kind?: unknown } | null)?.kind === 'serial-line';

/**
 * Reads and checks a profile of either kind; throws ConfigError with every issue, each in this
 * file's lines. Modbus metrics come back with `type` filled in (bool on coil/discrete, uint16 on
 * registers by default).
 */
export async function loadAnyProfile(file: string, opts: LoadOptions = {}): Promise<AnyProfile> {
  const source = await loadYaml(file, 'profile', (value) => (isLineProfile(value) ? SerialLineProfile : Profile), opts.env, (source) =>
    isLineProfile(source.value) ? lineProfileIssues(source) : profileIssues(source),
  );
  const profile = source.value as AnyProfile;
  if (profile.kind === 'serial-line') return profile;
  return { ...profile, metrics: profile.metrics.map((m) => ({ ...m, type: valueTypeOf(m) })) };
}

/** Loads a profile that must be of `kind`; one of the other kind is refused at its `kind:` line. */
async function loadProfileOf<K extends 'modbus' | 'serial-line'>(file: string, kind: K, opts: LoadOptions): Promise<K extends 'modbus' ? Profile : SerialLineProfile> {
  const profile = await loadAnyProfile(file, opts);
  const found = profile.kind ?? 'modbus';
  if (found !== kind) {
    const source = await readYamlSource(file, 'profile', opts.env);
    throw new ConfigError([source.issueAt(['kind'], `this is a ${found} profile; a ${kind} device needs a ${kind} profile${kind === 'modbus' ? ' (no kind:, or kind: modbus)' : ' (kind: serial-line)'}`)]);
  }
  return profile as K extends 'modbus' ? Profile : SerialLineProfile;
}

/** Reads and checks a Modbus profile (see loadAnyProfile). */
export function loadProfile(file: string, opts: LoadOptions = {}): Promise<Profile> {
  return loadProfileOf(file, 'modbus', opts);
}

/** Reads and checks a serial-line profile (see loadAnyProfile). */
export function loadLineProfile(file: string, opts: LoadOptions = {}): Promise<SerialLineProfile> {
  return loadProfileOf(file, 'serial-line', opts);
}

const BIT_TABLES = new Set(['coil', 'discrete']);
/** How the field names one entry of each table. */
const ENTRY_NAMES: Record<RegisterTable, string> = { holding: 'a holding register', input: 'an input register', coil: 'a coil', discrete: 'a discrete input' };

/** Checks beyond the schema, on every metric that is itself well-formed. */
function profileIssues(source: YamlSource): ConfigIssue[] {
  const metrics = (source.value as { metrics?: unknown } | null)?.metrics;
  if (!Array.isArray(metrics)) return [];
  const issues: ConfigIssue[] = [];
  const at = (i: number, key: string, message: string) => issues.push(source.issueAt(['metrics', i, key], message));
  const valid = metrics.map((m, i) => ({ m: m as ProfileMetric, i })).filter(({ m }) => Value.Check(ProfileMetric, m));

  const names = new Map<string, number>();
  for (const { m, i } of valid) {
    const first = names.get(m.name);
    if (first !== undefined) at(i, 'name', `metric name '${m.name}' is already used by metrics[${first}]; names must be unique`);
    else names.set(m.name, i);
    metricIssues(m, (key, message) => at(i, key, message));
  }
  for (const [a, b] of overlaps(valid)) at(b.i, 'address', overlapMessage(a.m, b.m));
  return issues;
}

function metricIssues(m: ProfileMetric, report: (key: string, message: string) => void): void {
  const type = valueTypeOf(m);
  const bits = valueBits(type);
  const width = registerWidth(m);
  if (BIT_TABLES.has(m.table)) {
    if (type !== 'bool') report('type', `${ENTRY_NAMES[m.table]} is one bit: type must be bool, not ${type}`);
    if (m.bit !== undefined) report('bit', `bit picks a bit of a 16-bit register, not of ${ENTRY_NAMES[m.table]}; remove it`);
  } else {
    if (type === 'bool' && m.bit === undefined) report('type', `type bool on ${ENTRY_NAMES[m.table]} needs bit: (0 to 15) to pick the bit`);
    if (m.bit !== undefined && bits !== 16 && type !== 'bool') report('bit', `bit applies to 16-bit types (int16, uint16, bool) only, not to ${type}`);
  }
  if (type === 'string' && m.length === undefined) report('type', 'type string needs length: (in registers, 2 characters each)');
  if (type !== 'string' && m.length !== undefined) report('length', `length applies to type string only, not to ${type}`);
  if (m.order !== undefined) {
    const orderBits = m.order.length * 8;
    if (bits !== 32 && bits !== 64) report('order', `order applies to 32-bit and 64-bit types only, not to ${type}`);
    else if (orderBits !== bits) report('order', `order ${m.order} is a ${orderBits}-bit order but ${type} is ${bits}-bit; use ${bits === 32 ? 'ABCD, CDAB, BADC or DCBA' : 'ABCDEFGH, GHEFCDAB, BADCFEHG or HGFEDCBA'}`);
  }
  if ((m.scale !== undefined || m.offset !== undefined) && (bits === undefined || m.bit !== undefined)) {
    report(m.scale !== undefined ? 'scale' : 'offset', `scale and offset apply to numeric values only, not to ${m.bit !== undefined ? 'a bit' : type}`);
  }
  if (m.unit !== undefined) {
    const problem = checkUnit(m.unit);
    if (problem) report('unit', problem);
  }
  if (m.writable && m.table !== 'holding' && m.table !== 'coil') report('writable', `${ENTRY_NAMES[m.table]} is read-only; only holding registers and coils can be writable`);
  if (m.address + width > 65536) report('address', `${type} at address ${m.address} needs ${width} registers and runs past the last address, 65535`);
}

type Placed = { m: ProfileMetric; i: number };

const span = (m: ProfileMetric): [number, number] => [m.address, m.address + registerWidth(m) - 1];

/** Pairs of metrics of one table that read the same register, unless each takes its own bit. */
function overlaps(metrics: Placed[]): Array<[Placed, Placed]> {
  const found: Array<[Placed, Placed]> = [];
  for (let x = 0; x < metrics.length; x++) {
    for (let y = x + 1; y < metrics.length; y++) {
      const a = metrics[x]!;
      const b = metrics[y]!;
      if (a.m.table !== b.m.table) continue;
      const [a0, a1] = span(a.m);
      const [b0, b1] = span(b.m);
      if (a1 < b0 || b1 < a0) continue;
      if (a.m.bit !== undefined && b.m.bit !== undefined && a.m.address === b.m.address && a.m.bit !== b.m.bit) continue;
      found.push([a, b]);
    }
  }
  return found;
}

function overlapMessage(a: ProfileMetric, b: ProfileMetric): string {
  const where = (m: ProfileMetric) => {
    const [first, last] = span(m);
    const bit = m.bit !== undefined ? ` bit ${m.bit}` : '';
    return first === last ? `${m.table} ${first}${bit}` : `${m.table} ${first}-${last}`;
  };
  if (a.bit !== undefined && a.bit === b.bit && a.address === b.address) {
    return `'${b.name}' reads ${where(b)}, the same bit as '${a.name}'; give each metric its own bit`;
  }
  return `'${b.name}' (${where(b)}) overlaps '${a.name}' (${where(a)}); two metrics may share a register only when each takes its own bit`;
}
