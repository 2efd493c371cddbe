// Secrets at rest: only hashes are kept, and a secret is shown to a human once, when it is generated.
// - `scrypt$N$r$p$<salt b64>$<hash b64>`: for whatever a human may choose (platform passwords), and
//   every pole registered before generated secrets had a hash of their own. ~36 ms of CPU each.
// - `hmac-sha256$<salt b64>$<digest b64>`: only for secrets from `newSecret()` (pole secrets from
//   `add-pole`). Scrypt's cost protects guessable passwords against offline guessing; 192 random
//   bits need no such help (2^191 guesses on average), so one HMAC (microseconds) is as safe and lets
//   a node take back a whole district's poles after a restart without a scrypt each
//   (docs/cloud.md, "Many poles on one node").
import { createHmac, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const DEFAULTS = { N: 16384, r: 8, p: 1 };
const KEY_LENGTH = 32;
// A hash string comes from a file someone may have edited: bound the work it can ask for.
const MAX_N = 1 << 20;
const MAX_RP = 16;

function derive(secret: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, length, { ...options, maxmem: 256 * options.N! * options.r! + (32 << 20) }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/**
 * A new random secret: 192 bits, URL-safe base64 (no padding). Never starting with '-', so it can
 * follow an option on a command line (`mosquitto_sub -P <secret>`) without being read as one.
 */
export function newSecret(): string {
  for (;;) {
    const secret = randomBytes(24).toString('base64url');
    if (!secret.startsWith('-')) return secret;
  }
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt, KEY_LENGTH, DEFAULTS);
  return `scrypt$${DEFAULTS.N}$${DEFAULTS.r}$${DEFAULTS.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** The hash of a secret from `newSecret()`, never of a password a human chose. */
export function hashGeneratedSecret(secret: string): string {
  const salt = randomBytes(16);
  return `hmac-sha256$${salt.toString('base64')}$${hmac(secret, salt).toString('base64')}`;
}

function hmac(secret: string, salt: Buffer): Buffer {
  return createHmac('sha256', salt).update(secret).digest();
}

/** The salt and digest of an `hmac-sha256$` hash, or undefined when it is not one. */
function parseGenerated(hash: string): { salt: Buffer; digest: Buffer } | undefined {
  const parts = hash.split('$');
  if (parts.length !== 3 || parts[0] !== 'hmac-sha256') return undefined;
  const salt = Buffer.from(parts[1]!, 'base64');
  const digest = Buffer.from(parts[2]!, 'base64');
  if (salt.length < 8 || digest.length !== 32) return undefined;
  return { salt, digest };
}

/** Whether a hash is of the cheap kind: `verifyGeneratedSecret` answers it in microseconds. */
export function isGeneratedSecretHash(hash: string): boolean {
  return parseGenerated(hash) !== undefined;
}

/** Verifies a secret against an `hmac-sha256$` hash, synchronously; false for any other hash. */
export function verifyGeneratedSecret(secret: string, hash: string): boolean {
  const parsed = parseGenerated(hash);
  return parsed !== undefined && timingSafeEqual(hmac(secret, parsed.salt), parsed.digest);
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parseHash(hash: string): ParsedHash | undefined {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (!Number.isInteger(N) || N < 2 || N > MAX_N || (N & (N - 1)) !== 0) return undefined;
  if (!Number.isInteger(r) || r < 1 || r > MAX_RP || !Number.isInteger(p) || p < 1 || p > MAX_RP) return undefined;
  const salt = Buffer.from(parts[4]!, 'base64');
  const key = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8 || key.length < 16) return undefined;
  return { N, r, p, salt, key };
}

/** Whether a string is a hash this module can verify. */
export function isSecretHash(hash: string): boolean {
  return parseHash(hash) !== undefined || isGeneratedSecretHash(hash);
}

/** Verifies a secret against a stored hash of either kind; false (never a throw) for a malformed hash. */
export async function verifySecret(secret: string, hash: string): Promise<boolean> {
  if (isGeneratedSecretHash(hash)) return verifyGeneratedSecret(secret, hash);
  const parsed = parseHash(hash);
  if (!parsed) return false;
  const key = await derive(secret, parsed.salt, parsed.key.length, { N: parsed.N, r: parsed.r, p: parsed.p });
  return timingSafeEqual(key, parsed.key);
}
