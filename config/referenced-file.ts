// Files a manifest names (device profiles, vendor driver modules): an absolute path is taken as it
// is, a relative one is read from the manifest's folder, whatever the working directory.
import path from 'node:path';

/** The file `ref` names, for a manifest in `manifestDir`. */
export function referencedFile(ref: string, manifestDir: string): string {
  return path.isAbsolute(ref) ? ref : path.join(manifestDir, ref);
}

/** Where a missing file was looked for and why there, for a "not found" message. */
export function lookedFor(ref: string, file: string): string {
  return path.isAbsolute(ref) ? `looked for ${file}, an absolute path, as given` : `looked for ${file}; a relative path is read from the manifest's folder`;
}
