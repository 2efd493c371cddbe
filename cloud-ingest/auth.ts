// Who a client is: poles by id + secret (or a client certificate whose CN is in the registry),
// platform users by username + password. Only hashes are stored (secrets.ts). A pole secret that
// add-pole generated is checked with one HMAC, so a district reconnecting after a restart costs
// microseconds a pole. A scrypt check (user passwords, poles of older registries) runs under the
// login throttle (login-throttle.ts) and its success is remembered for an hour, in a cache as large
// as the registry and the users (least recently used first out), so that a city's reconnecting
// poles do not push each other out. Every failure costs one scrypt, and an unknown name is checked
// against a decoy hash: names cannot be told apart by timing.
import { createHash } from 'node:crypto';
import { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { CloudConfig } from '../config/cloud-schema.js';
import { POLE_ID_PATTERN } from '../contract/constants.js';
import type { Identity } from './acl.js';
import type { PoleRegistryView } from './registry.js';
import { LoginThrottle, type LoginAttempt, type ThrottleLimits } from './login-throttle.js';
import { hashSecret, isGeneratedSecretHash, newSecret, verifyGeneratedSecret, verifySecret } from './secrets.js';

export type PlatformUser = NonNullable<CloudConfig['users']>[number];

export interface AuthOptions {
  registry: PoleRegistryView;
  users: PlatformUser[];
  log: Logger;
  /** How long a verified (hash, secret) pair is trusted without scrypt, ms. */
  cacheMs?: number;
  /** The login throttle's limits (the cloud config's `logins` key); defaults otherwise. */
  throttle?: Partial<ThrottleLimits>;
}

export type AuthResult = { ok: true; identity: Identity } | { ok: false; reason: string; badCredentials: boolean };

/** Room in the cache of scrypt successes beyond one entry per pole and user (secrets changed, churn). */
const CACHE_SLACK = 1000;
const POLE_ID = new RegExp(POLE_ID_PATTERN);

export class Authenticator {
  private readonly verified = new Map<string, number>();
  private readonly users: Map<string, PlatformUser>;
  private readonly cacheMs: number;
  private readonly throttle: LoginThrottle;
  private decoy: Promise<string> | undefined;

  constructor(private readonly options: AuthOptions) {
    this.users = new Map(options.users.map((u) => [u.username, u]));
    this.cacheMs = options.cacheMs ?? 60 * 60_000;
    this.throttle = new LoginThrottle(options.log, options.throttle);
  }

  get hasUsers(): boolean {
    return this.users.size > 0;
  }

  /**
   * A generated secret's HMAC, else the cache of recent scrypt successes (keyed by a digest of hash
   * and secret), else scrypt under the login throttle; with no hash (unknown name, certificate-only
   * pole) or a wrong generated secret, scrypt of the decoy.
   */
  private async verify(secret: string, hash: string | undefined, attempt: LoginAttempt): Promise<boolean> {
    if (hash !== undefined && isGeneratedSecretHash(hash)) {
      if (verifyGeneratedSecret(secret, hash)) {
        this.throttle.succeeded(attempt);
        return true;
      }
      hash = undefined;
    }
    const key = createHash('sha256').update(hash ?? '').update('\0').update(secret).digest('base64');
    const until = this.verified.get(key);
    if (hash !== undefined && until !== undefined && until > Date.now()) {
      this.verified.delete(key); // re-inserted last: the map's order is least recently used first
      this.verified.set(key, until);
      this.throttle.succeeded(attempt);
      return true;
    }
    this.decoy ??= hashSecret(newSecret());
    const decoy = await this.decoy;
    const ok = await this.throttle.run(attempt, async () => (await verifySecret(secret, hash ?? decoy)) && hash !== undefined);
    if (!ok) return false;
    this.verified.delete(key);
    this.verified.set(key, Date.now() + this.cacheMs);
    const room = this.options.registry.size + this.users.size + CACHE_SLACK;
    while (this.verified.size > room) this.verified.delete(this.verified.keys().next().value!);
    return true;
  }

  /** A platform user by HTTP Basic or MQTT credentials, from a source address. */
  async user(username: string, password: string, address: string): Promise<Identity | undefined> {
    const user = this.users.get(username);
    if (!(await this.verify(password, user?.passwordHash, { address, username })) || !user) return undefined;
    return { kind: 'user', name: user.username, role: user.role };
  }

  /** An MQTT client at CONNECT. */
  async client(clientId: string, username: string | undefined, password: Buffer | undefined, conn: unknown, address = 'unknown'): Promise<AuthResult> {
    const cert = clientCertificate(conn);
    // A pole with a certificate and no password: the certificate names the pole, and the client
    // id (and a username, if sent) must be that pole's id.
    if (cert && password === undefined) {
      if (username !== undefined && username !== clientId) return { ok: false, reason: `a pole's client id must be its pole id (${username})`, badCredentials: false };
      const entry = await this.options.registry.find(clientId);
      if (entry && certNames(entry, cert)) return { ok: true, identity: { kind: 'pole', id: entry.id } };
      return { ok: false, reason: `client certificate of "${cert.cn ?? cert.dnsNames[0]}" is not registered for pole ${clientId}`, badCredentials: true };
    }
    if (username === undefined || password === undefined) return { ok: false, reason: 'no username or password', badCredentials: true };
    const secret = password.toString('utf8');
    if (this.users.has(username)) {
      const identity = await this.user(username, secret, address);
      if (!identity) return { ok: false, reason: 'wrong password for platform user', badCredentials: true };
      // Client ids of the pole-id form belong to poles: a user taking one would kick the pole off.
      if (POLE_ID.test(clientId)) return { ok: false, reason: `a platform user's client id may not have the form of a pole id ("${clientId}"); use one with a character a pole id cannot have, e.g. ${username}:dashboard`, badCredentials: false };
      return { ok: true, identity };
    }
    const entry = await this.options.registry.find(username);
    const verified = await this.verify(secret, entry?.secretHash, { address, username });
    if (!entry) return { ok: false, reason: `unknown pole or user "${username}"`, badCredentials: true };
    if (!entry.secretHash) return { ok: false, reason: 'pole has no secret in the registry (certificate only)', badCredentials: true };
    if (!verified) return { ok: false, reason: 'wrong secret for pole', badCredentials: true };
    if (clientId !== username) return { ok: false, reason: `a pole's client id must be its pole id (${username})`, badCredentials: false };
    // A secret and a certificate: both must name this pole (another pole's certificate is refused).
    if (cert && !certNames(entry, cert)) return { ok: false, reason: `client certificate of "${cert.cn ?? cert.dnsNames[0]}" is not pole ${entry.id}'s`, badCredentials: true };
    return { ok: true, identity: { kind: 'pole', id: entry.id } };
  }
}

/** The names a client certificate verified by the TLS layer (against mqtts.ca) gives its holder. */
interface ClientCertificate {
  cn: string | undefined;
  dnsNames: string[];
}

function clientCertificate(conn: unknown): ClientCertificate | undefined {
  if (!(conn instanceof TLSSocket) || !conn.authorized) return undefined;
  const peer = conn.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return undefined;
  const cn = typeof peer.subject?.CN === 'string' ? peer.subject.CN : undefined;
  // subjectaltname reads "DNS:pole-a, IP Address:10.0.0.5"; quoted entries never hold a pole id.
  const dnsNames = (peer.subjectaltname ?? '').split(', ').filter((n) => n.startsWith('DNS:')).map((n) => n.slice(4));
  return { cn, dnsNames };
}

/** Whether the certificate names this pole: its CN or a DNS SAN is the pole's certName (default its id). */
function certNames(entry: { id: string; certName?: string }, cert: ClientCertificate): boolean {
  const name = entry.certName ?? entry.id;
  return cert.cn === name || cert.dnsNames.includes(name);
}
