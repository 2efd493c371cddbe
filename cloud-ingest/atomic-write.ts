// Replacing a file that holds secrets (hashes) so that a reader never sees half of it.
import { writeFile, rename, unlink, stat } from 'node:fs/promises';
import { PolegateError } from '../config/errors.js';

/** Writes `text` to a temp file beside `file` (mode 0600, or the file's own mode) and renames it over. */
export async function writeFileAtomic(file: string, text: string, what: string): Promise<void> {
  const mode = await stat(file).then((s) => s.mode & 0o777, () => 0o600);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temp, text, { mode });
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw new PolegateError(`cannot write ${what} ${file}: ${(err as Error).message}`, 'FILE_UNWRITABLE', 1);
  }
}
