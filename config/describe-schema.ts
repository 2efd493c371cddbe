// What a schema expects, in the words a field engineer uses ("an integer from 0 to 255",
// "one of: holding, input, coil, discrete"), for error messages.
import { POLE_ID_PATTERN } from '../contract/schemas.js';

type Schema = Record<string, any>;

/** Patterns of our schemas, said in plain words. A pattern not listed is shown as a regex. */
const PATTERN_WORDS: Record<string, string> = {
  [POLE_ID_PATTERN]: "a valid pole id (3 to 64 lower-case letters, digits and '-', starting with a letter or digit)",
  '^[a-z0-9][a-z0-9_-]{0,63}$': "a valid id (up to 64 lower-case letters, digits, '-' and '_', starting with a letter or digit)",
  '^[a-z0-9][a-z0-9-]{0,63}$': "a valid name (up to 64 lower-case letters, digits and '-', starting with a letter or digit)",
  '^[a-z][a-z0-9_-]{0,63}$': "a valid metric name (a lower-case letter, then up to 63 lower-case letters, digits, '-' and '_')",
  '^[0-9]{16}$': 'a component code of exactly 16 digits (quote it: "1101050101000123")',
  '^(mqtt|mqtts|ws|wss|tcp|ssl)://': 'a broker URL (mqtt://, mqtts://, ws:// or wss://)',
  '^[0-9]+(\\.[0-9]+)?\\s*(B|kB|KB|KiB|MB|MiB|GB|GiB)?$': 'a size such as 256MiB, 10MB or 512KiB',
  '^[0-9]+(\\.[0-9]+)?%$': 'a percentage such as 0.5%',
  '^[a-z0-9][a-z0-9_-]*\\.[a-z][a-z0-9_-]*$': "a metric reference 'device.metric', such as gas-1.lel",
  '^scrypt\\$': "a scrypt hash ('scrypt$…') as written by polegate cloud add-user",
  '^postgres(ql)?://': 'a postgres:// URL',
  '^rediss?://': 'a redis:// or rediss:// URL',
  '^sha256:[0-9a-f]{64}$': "a blob reference ('sha256:' and 64 hex digits)",
};

export function patternWords(pattern: string): string {
  return PATTERN_WORDS[pattern] ?? `text matching /${pattern}/`;
}

function range(kind: string, s: Schema): string {
  if (s.minimum !== undefined && s.maximum !== undefined) return `${kind} from ${s.minimum} to ${s.maximum}`;
  const bounds: string[] = [];
  if (s.minimum !== undefined) bounds.push(`of at least ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) bounds.push(`greater than ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) bounds.push(`of at most ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined) bounds.push(`less than ${s.exclusiveMaximum}`);
  return [kind, ...bounds].join(' ');
}

function isConstant(s: Schema): boolean {
  return 'const' in s || Array.isArray(s.enum);
}

/** The constants a schema allows, when it allows only constants. */
export function constantsOf(s: Schema): unknown[] | undefined {
  if ('const' in s) return [s.const];
  if (Array.isArray(s.enum)) return s.enum;
  if (Array.isArray(s.anyOf) && s.anyOf.every(isConstant)) return s.anyOf.flatMap((b: Schema) => constantsOf(b)!);
  return undefined;
}

export function oneOfWords(values: unknown[]): string {
  return values.length === 1 ? String(values[0]) : `one of: ${values.map(String).join(', ')}`;
}

/** "an integer from 0 to 255", "one of: none, even, odd", "a mapping", … */
export function expected(s: Schema): string {
  const constants = constantsOf(s);
  if (constants) return oneOfWords(constants);
  if (Array.isArray(s.anyOf)) return s.anyOf.map(expected).join(' or ');
  switch (s.type) {
    case 'integer':
      return range('an integer', s);
    case 'number':
      return range('a number', s);
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
      return 'a mapping of keys to values';
    case 'null':
      return 'empty';
    case 'string':
      if (s.pattern) return patternWords(s.pattern);
      return s.minLength ? 'a non-empty string' : 'a string';
    default:
      return 'a valid value';
  }
}

/** A value as shown after "not": scalars as written, collections by kind. */
export function shown(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}
