// The pole's SQLite files (the outbox, the snapshots, the alarm state beside them): private (0600 in
// a 0700 folder, as the city's data), in WAL mode, with each file's own pragmas; a handle whose
// set-up fails is closed again, so a damaged file leaves nothing open.
import Database from 'better-sqlite3';
import { preparePrivateDatabase } from '../config/private-files.js';

/** Opens `path` and hands it to `make`; the caller turns a failure into its own message. */
export function openStateDatabase<T>(path: string, pragmas: readonly string[], make: (db: Database.Database) => T): T {
  let db: Database.Database | undefined;
  try {
    preparePrivateDatabase(path);
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    for (const pragma of pragmas) db.pragma(pragma);
    return make(db);
  } catch (err) {
    db?.close();
    throw err;
  }
}
