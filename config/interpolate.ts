// `${NAME}` references to environment variables in config text, and `$${` for a literal `${`.
// Expansion happens per string scalar (never on the raw text) so that a value can never change the
// YAML structure around it: a password containing `#` or `, ` stays a password.

/** `$${`, or `${` with whatever follows up to `}` (the closing brace may be missing). */
const REFERENCE = /\$\$\{|\$\{([^}\s]*)(\}?)/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface Interpolation {
  value: string;
  /** Names of referenced variables that are not set, in order of appearance. */
  missing: string[];
  /** References that are not `${NAME}`, as written. */
  malformed: string[];
}

/** Replaces every `${NAME}` in `text` with `env[NAME]`; an unset or malformed reference is kept as written. */
export function interpolate(text: string, env: NodeJS.ProcessEnv): Interpolation {
  const missing: string[] = [];
  const malformed: string[] = [];
  const value = text.replace(REFERENCE, (match: string, name: string | undefined, close: string | undefined) => {
    if (match === '$${') return '${';
    if (!close || !NAME.test(name ?? '')) {
      malformed.push(match);
      return match;
    }
    const found = env[name!];
    if (found === undefined) {
      missing.push(name!);
      return match;
    }
    return found;
  });
  return { value, missing, malformed };
}

// Inside YAML flow collections (`{ password: ${X} }`) the braces of a reference would be read as
// syntax. Masking swaps `$`, `{`, `}` of each reference for private-use characters of the same
// length, so the document parses and every offset still points into the original text.
const MASK: Record<string, string> = { $: '\uE000', '{': '\uE001', '}': '\uE002' };
const UNMASK: Record<string, string> = { '\uE000': '$', '\uE001': '{', '\uE002': '}' };

export function maskReferences(text: string): string {
  return text.replace(REFERENCE, (match) => match.replace(/[${}]/g, (c) => MASK[c]!));
}

export function unmaskReferences(text: string): string {
  return text.replace(/[\uE000-\uE002]/g, (c) => UNMASK[c]!);
}

/** True when a masked string contains a reference. */
export function hasMaskedReference(text: string): boolean {
  return text.includes('\uE000');
}
