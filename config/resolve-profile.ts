// A device's `profile:` reference: a built-in profile by name (drivers/profiles/), or a file by path
// (absolute as given, relative from the manifest's folder), loaded and checked; its problems become
// the manifest's issues, the profile file's own issues in that file's lines.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, PolegateError, type ConfigIssue } from './errors.js';
import type { LoadOptions } from './yaml-source.js';
import { builtinProfileNames, builtinProfilePath, type BuiltinProfileKind } from '../drivers/builtin.js';
import { didYouMean } from './suggest.js';
import { lookedFor, referencedFile } from './referenced-file.js';

/** A profile reference names a file when it looks like a path; otherwise a built-in profile. */
export function isProfilePath(ref: string): boolean {
  return ref.includes('/') || ref.includes('\\') || /\.ya?ml$/.test(ref);
}

function shownBuiltin(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') ? file : relative;
}

/**
 * Loads the profile `ref` names with `load`; `report` gets each problem of the reference itself
 * (at the device's `profile:` key), the returned issues are the profile file's own.
 */
export async function resolveProfile<P>(
  ref: string,
  kind: BuiltinProfileKind,
  manifestDir: string,
  load: (file: string, opts: LoadOptions) => Promise<P>,
  opts: LoadOptions,
  report: (message: string) => void,
): Promise<{ profile?: P; issues: ConfigIssue[] }> {
  let file: string;
  if (isProfilePath(ref)) {
    file = referencedFile(ref, manifestDir);
    if (!existsSync(file)) {
      report(`profile file ${ref} not found (${lookedFor(ref, file)})`);
      return { issues: [] };
    }
  } else {
    const builtin = builtinProfilePath(ref, kind);
    if (builtin === undefined) {
      const names = builtinProfileNames(kind);
      report(`unknown profile '${ref}' (built-in ${kind} profiles: ${names.join(', ')}; a vendor profile is a file path such as ./profiles/level.yaml)${didYouMean(ref, names)}`);
      return { issues: [] };
    }
    file = shownBuiltin(builtin);
  }
  try {
    return { profile: await load(file, opts), issues: [] };
  } catch (err) {
    if (err instanceof ConfigError) {
      report(`profile ${ref} is invalid (see ${err.issues.length === 1 ? 'the problem' : `the ${err.issues.length} problems`} in ${file})`);
      return { issues: err.issues };
    }
    if (err instanceof PolegateError) {
      report(err.message);
      return { issues: [] };
    }
    throw err;
  }
}
