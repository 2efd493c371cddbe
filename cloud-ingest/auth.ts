// Who a client is: poles by id + secret (or a client certificate whose CN is in the registry),
// platform users by username + password. Only scrypt hashes are stored; a successful check is
// remembered briefly so that a reconnect storm of a whole district does not burn the CPU.
import { createHash } from 'node:crypto';
import { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { CloudConfig } from '../config/cloud-schema.js';
import type { Identity } from './acl.js';
import type { PoleRegistryView } from './registry.js';
import { verifySecret } from './secrets.js';

export type PlatformUser = NonNullable<CloudConfig['users']>[number];

export interface AuthOptions {
  registry: PoleRegistryView;
  users: PlatformUser[];
  log: Logger;
  /** How long a verified (hash, secret) pair is trusted without scrypt, ms. */
  cacheMs?: number;
}

export type AuthResult = { ok: true; identity: Identity } | { ok: false; reason: string; badCredentials: boolean };

const MAX_CACHE_ENTRIES = 10_000;

export class Authenticator {
  private readonly verified = new Map<string, number>();
  private readonly users: Map<string, PlatformUser>;
  private readonly cacheMs: number;

  constructor(private readonly options: AuthOptions) {
    this.users = new Map(options.users.map((u) => [u.username, u]));
    this.cacheMs = options.cacheMs ?? 60_000;
  }

  get hasUsers(): boolean {
    return this.users.size > 0;
  }

  /** Checks scrypt, or the cache of recent successes keyed by a digest of hash and secret. */
  private async verify(secret: string, hash: string): Promise<boolean> {
    const key = createHash('sha256').update(hash).update('\0').update(secret).digest('base64');
    const until = this.verified.get(key);
    if (until !== undefined && until > Date.now()) return true;
    if (!(await verifySecret(secret, hash))) return false;
    if (this.verified.size >= MAX_CACHE_ENTRIES) this.verified.clear();
    this.verified.set(key, Date.now() + this.cacheMs);
    return true;
  }

  /** A platform user by HTTP Basic or MQTT credentials. */
  async user(username: string, password: string): Promise<Identity | undefined> {
    const user = this.users.get(username);
    if (!user || !(await this.verify(password, user.passwordHash))) return undefined;
    return { kind: 'user', name: user.username, role: user.role };
  }

  /** An MQTT client at CONNECT. */
  async client(clientId: string, username: string | undefined, password: Buffer | undefined, conn: unknown): Promise<AuthResult> {
    const certName = conn instanceof TLSSocket && conn.authorized ? conn.getPeerCertificate().subject?.CN : undefined;
    if (certName !== undefined && username === undefined) {
      const entry = await this.options.registry.find(clientId);
      if (entry && (entry.certName ?? entry.id) === certName) return { ok: true, identity: { kind: 'pole', id: entry.id } };
      return { ok: false, reason: `client certificate CN "${certName}" is not registered for pole ${clientId}`, badCredentials: true };
    }
    if (username === undefined || password === undefined) return { ok: false, reason: 'no username or password', badCredentials: true };
    const secret = password.toString('utf8');
    if (this.users.has(username)) {
      const identity = await this.user(username, secret);
      return identity ? { ok: true, identity } : { ok: false, reason: 'wrong password for platform user', badCredentials: true };
    }
    const entry = await this.options.registry.find(username);
    if (!entry) return { ok: false, reason: `unknown pole or user "${username}"`, badCredentials: true };
    if (clientId !== username) return { ok: false, reason: `a pole's client id must be its pole id (${username})`, badCredentials: false };
    if (!entry.secretHash) return { ok: false, reason: 'pole has no secret in the registry (certificate only)', badCredentials: true };
    if (!(await this.verify(secret, entry.secretHash))) return { ok: false, reason: 'wrong secret for pole', badCredentials: true };
    return { ok: true, identity: { kind: 'pole', id: entry.id } };
  }
}
