// Pole ids and platform user names share one name space: both are MQTT usernames, and a login is
// looked up as a user first, so a pole whose id is a user's name could never log in.
import { PolegateError } from '../config/errors.js';

/** Throws one config error (exit 2) listing every name that is both a pole id and a user name. */
export function refuseSharedNames(poleIds: Iterable<string>, usernames: Iterable<string>, registryFile: string, configFile: string): void {
  const users = new Set(usernames);
  const shared = [...poleIds].filter((id) => users.has(id));
  if (shared.length === 0) return;
  throw new PolegateError(
    `${shared.map((n) => `"${n}"`).join(', ')} ${shared.length === 1 ? 'is both a pole id' : 'are both pole ids'} in ${registryFile} and ${shared.length === 1 ? 'a user name' : 'user names'} in ${configFile}: poles and users log in with the same names, so rename the user or remove the pole`,
    'LOGIN_NAME_SHARED',
    2,
  );
}
