// The pole registry file (poles.yaml): which poles may connect, and the scrypt hash of each
// pole's secret. Written by `polegate cloud add-pole`, re-read by the broker when it changes.
import { readFile, stat } from 'node:fs/promises';
import { parseDocument, isSeq, YAMLSeq } from 'yaml';
import type { PoleRegistry } from '../config/cloud-schema.js';
import { PolegateError } from '../config/errors.js';
import { loadPoleRegistry } from '../config/load-cloud-config.js';
import { isPoleId } from '../contract/topics.js';
import { writeFileAtomic } from './atomic-write.js';
import { refuseSharedNames } from './login-names.js';
import { hashGeneratedSecret, newSecret } from './secrets.js';

export type PoleEntry = PoleRegistry['poles'][number];

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PolegateError(`cannot read the pole registry ${file}: ${(err as Error).message}`, 'REGISTRY_UNREADABLE', 1);
  }
}

/** The platform users a new pole id must not equal, and where they are configured. */
export interface UserNames {
  usernames: string[];
  configFile: string;
}

/**
 * Registers a pole: writes the hash of a new secret atomically (mode 0600 for a new file) and
 * returns the secret. An id that is one of `users`' names is refused: that pole could never log in.
 */
export async function addPole(file: string, id: string, users?: UserNames): Promise<string> {
  if (!isPoleId(id)) {
    throw new PolegateError(`"${id}" is not a valid pole id: use 3 to 64 characters of a-z, 0-9 and -, starting with a letter or digit`, 'POLE_ID_INVALID', 2);
  }
  if (users) refuseSharedNames([id], users.usernames, file, users.configFile);
  const registry = await loadPoleRegistry(file);
  const text = (await readText(file)) ?? 'poles: []\n';
  if (registry.poles.some((p) => p.id === id)) {
    throw new PolegateError(`pole ${id} is already in ${file}; to issue a new secret, remove its entry first`, 'POLE_EXISTS', 2);
  }
  const secret = newSecret();
  // Edit the document rather than re-serialise the value, so that an operator's comments survive.
  const doc = parseDocument(text);
  if (!isSeq(doc.get('poles'))) doc.set('poles', new YAMLSeq());
  const poles = doc.get('poles') as YAMLSeq;
  poles.flow = false;
  poles.add(doc.createNode({ id, secretHash: hashGeneratedSecret(secret) }));
  await writeFileAtomic(file, doc.toString({ lineWidth: 0 }), 'the pole registry');
  return secret;
}

/**
 * The registry as the broker sees it: re-read whenever the file's mtime or size changes, checked
 * on each lookup (a stat per connect), so a pole added while the cloud runs can connect at once.
 * The first read (at start) throws when the file cannot be used: there is no good one to keep, and
 * a cloud that refused every pole would look like a network fault. Later, a registry edited into
 * an invalid state keeps the last good one and reports through `onError`.
 */
export class PoleRegistryView {
  private poles = new Map<string, PoleEntry>();
  private version = '';
  private loaded = false;
  private reading: Promise<void> | undefined;

  constructor(readonly file: string, private readonly onError: (err: Error) => void) {}

  /** Poles in the registry as last read. */
  get size(): number {
    return this.poles.size;
  }

  async find(id: string): Promise<PoleEntry | undefined> {
    await this.refresh();
    return this.poles.get(id);
  }

  /**
   * Re-reads the file if it changed. Lookups that arrive while it is being read (a storm of
   * connects right after an edit) wait for that read, rather than see the registry before it.
   */
  refresh(): Promise<void> {
    this.reading ??= this.reread().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async reread(): Promise<void> {
    let version = 'missing';
    try {
      const s = await stat(this.file);
      version = `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch {
      // a missing registry is an empty one
    }
    if (version === this.version) return;
    // Remember the version even when the file is bad, so it is reported once, not on every connect.
    this.version = version;
    try {
      const registry = await loadPoleRegistry(this.file);
      this.poles = new Map(registry.poles.map((p) => [p.id, p]));
      this.loaded = true;
    } catch (err) {
      if (!this.loaded) {
        this.version = '';
        throw registryUnusable(this.file, err as Error);
      }
      this.onError(err as Error);
    }
  }
}

/** Why the registry cannot be used at start, as one config error (exit 2) naming the file. */
function registryUnusable(file: string, err: Error): PolegateError {
  if (err instanceof PolegateError && err.exitCode === 2) return err;
  return new PolegateError(`cannot read the pole registry ${file}: ${err.message}; check the file (poles: in the cloud config)`, 'REGISTRY_UNREADABLE', 2);
}
