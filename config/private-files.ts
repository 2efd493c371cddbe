// Files that hold secrets or a city's data (the pole registry, cloud.yaml with password hashes, the
// SQLite store, the edge outbox) are readable by their owner only: 0600 files, and 0700 for the
// folders polegate creates for them. Shared by the edge and the cloud, like the config they name.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** Creates the folders of `file` that are missing, mode 0700 (folders that exist are left as they are). */
export function makePrivateDirs(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Prepares a SQLite database file before it is opened: its folder (0700 when created here), and
 * the file itself 0600, created empty if missing and tightened if it exists. SQLite creates the
 * -wal and -shm files with the database file's mode; ones left from before are tightened too.
 */
export function preparePrivateDatabase(file: string): void {
  if (file === ':memory:') return;
  makePrivateDirs(file);
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(path)) chmodSync(path, PRIVATE_FILE_MODE);
  }
}
