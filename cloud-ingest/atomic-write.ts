// Replacing a file that holds secrets (hashes) so that a reader never sees half of it.
import { chmod, writeFile, rename, unlink } from 'node:fs/promises';
import { PolegateError } from '../config/errors.js';
import { PRIVATE_FILE_MODE } from '../config/private-files.js';

/**
 * Writes `text` to a temp file beside `file` and renames it over. The result is mode 0600 whatever
 * the file's mode was: what is written here holds secret hashes.
 */
export async function writeFileAtomic(file: string, text: string, what: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temp, text, { mode: PRIVATE_FILE_MODE });
    // The mode given on create is narrowed by the umask, never widened; chmod states it exactly.
    await chmod(temp, PRIVATE_FILE_MODE);
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw new PolegateError(`cannot write ${what} ${file}: ${(err as Error).message}`, 'FILE_UNWRITABLE', 1);
  }
}
