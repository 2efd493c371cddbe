// Platform users in cloud.yaml, written by `polegate cloud add-user`: the YAML document is edited
// in place so that the operator's comments and layout survive.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isSeq, parseDocument, YAMLSeq } from 'yaml';
import { PolegateError } from '../config/errors.js';
import { loadCloudConfig, loadPoleRegistry } from '../config/load-cloud-config.js';
import type { Role } from './acl.js';
import { writeFileAtomic } from './atomic-write.js';
import { refuseSharedNames } from './login-names.js';
import { hashSecret, newSecret } from './secrets.js';

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ROLES: readonly Role[] = ['read', 'operate'];

/** Adds a platform user to the config file and returns the new password (shown once). */
export async function addUser(configFile: string, username: string, role: string): Promise<string> {
  if (!USERNAME.test(username)) {
    throw new PolegateError(`"${username}" is not a valid username: use up to 64 letters, digits, '.', '_' and '-', starting with a letter or digit`, 'USERNAME_INVALID', 2);
  }
  if (!(ROLES as string[]).includes(role)) throw new PolegateError(`role must be read or operate, not "${role}"`, 'ROLE_INVALID', 2);
  const { file, dir, config } = await loadCloudConfig(configFile);
  if (config.users?.some((u) => u.username === username)) {
    throw new PolegateError(`user ${username} is already in ${file}; remove its entry first to issue a new password`, 'USER_EXISTS', 2);
  }
  const registryFile = resolve(dir, config.poles);
  refuseSharedNames((await loadPoleRegistry(registryFile)).poles.map((p) => p.id), [username], registryFile, file);
  const password = newSecret();
  const doc = parseDocument(await readFile(file, 'utf8'));
  if (!isSeq(doc.get('users'))) doc.set('users', new YAMLSeq());
  const users = doc.get('users') as YAMLSeq;
  users.flow = false;
  const entry = doc.createNode({ username, passwordHash: await hashSecret(password), role });
  entry.flow = true;
  users.add(entry);
  await writeFileAtomic(file, doc.toString({ lineWidth: 0 }), 'the cloud config');
  return password;
}
