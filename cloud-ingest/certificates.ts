// The city's own certificate authority for MQTT over TLS: `polegate cloud issue-cert --ca` creates
// it (tls/ca.pem and tls/ca.key beside the cloud config), `polegate cloud issue-cert ID` signs a
// certificate for a pole (CN and DNS SAN = the pole id, for mTLS) or, with `server`, for the
// cloud's listeners (SANs = its host names and addresses). Built on @peculiar/x509 over Node's
// WebCrypto: ECDSA P-256 keys, SHA-256 signatures. Keys are written 0600, certificates 0644.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { PolegateError } from '../config/errors.js';
import { PRIVATE_FILE_MODE, makePrivateDirs } from '../config/private-files.js';

x509.cryptoProvider.set(webcrypto as Crypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY_MS = 24 * 3600 * 1000;
/** A host name a server certificate may carry: letters, digits, '-' and '.', or an IP address. */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export interface CaFiles {
  cert: string;
  key: string;
}

/** Where the CA lives for a cloud whose config is in `dir`. */
export function caFiles(dir: string): CaFiles {
  return { cert: join(dir, 'tls', 'ca.pem'), key: join(dir, 'tls', 'ca.key') };
}

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

/** From now (less a minute, for clocks slightly behind) for `days` days. */
export function validFor(days: number, now = Date.now()): Validity {
  return { notBefore: new Date(now - 60_000), notAfter: new Date(now + days * DAY_MS) };
}

/** A positive serial number of 16 random bytes, as hex. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f;
  return bytes.toString('hex');
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

async function writeKeyAndCert(certFile: string, keyFile: string, cert: x509.X509Certificate, key: CryptoKey): Promise<void> {
  makePrivateDirs(keyFile);
  await writeFile(keyFile, await privateKeyPem(key), { mode: PRIVATE_FILE_MODE });
  // The mode given on create is narrowed by the umask, never widened; chmod states it exactly.
  await chmod(keyFile, PRIVATE_FILE_MODE);
  await writeFile(certFile, cert.toString('pem'), { mode: 0o644 });
}

function refuseExisting(files: string[], hint: string): void {
  const existing = files.filter((f) => existsSync(f));
  if (existing.length > 0) throw new PolegateError(`${existing.join(' and ')} already ${existing.length === 1 ? 'exists' : 'exist'}; ${hint}`, 'CERT_EXISTS', 2);
}

/** Creates the CA (self-signed, for signing certificates only) into `files`; refuses to overwrite one. */
export async function createCa(files: CaFiles, name: string, validity: Validity): Promise<x509.X509Certificate> {
  refuseExisting([files.cert, files.key], 'a CA is made once: every certificate it signed depends on it (move it away to start a new one)');
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${name}`,
    ...validity,
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  await writeKeyAndCert(files.cert, files.key, cert, keys.privateKey);
  return cert;
}

interface Ca {
  cert: x509.X509Certificate;
  key: CryptoKey;
}

async function loadCa(files: CaFiles): Promise<Ca> {
  if (!existsSync(files.cert) || !existsSync(files.key)) {
    throw new PolegateError(`no CA at ${files.cert} and ${files.key}; create it first with \`polegate cloud issue-cert --ca --config …\``, 'CA_MISSING', 2);
  }
  try {
    const cert = new x509.X509Certificate(await readFile(files.cert, 'utf8'));
    const der = x509.PemConverter.decode(await readFile(files.key, 'utf8'))[0];
    if (!der) throw new Error('no PEM block');
    const key = await webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign']);
    return { cert, key };
  } catch (err) {
    throw new PolegateError(`cannot use the CA ${files.cert} / ${files.key}: ${(err as Error).message}; these must be the files issue-cert --ca wrote`, 'CA_UNREADABLE', 2);
  }
}

export interface IssueOptions {
  /** A server certificate (serverAuth, SANs = `hosts`) rather than a pole's client certificate. */
  server?: boolean;
  /** Host names and IP addresses of a server certificate. */
  hosts?: string[];
  validity: Validity;
}

/** The names (SANs) a certificate for `name` carries; throws on one that is not a host name or IP address. */
export function certificateNames(name: string, options: Pick<IssueOptions, 'server' | 'hosts'>): string[] {
  const hosts = options.server ? (options.hosts?.length ? options.hosts : [name]) : [name];
  for (const host of hosts) {
    if (!isIP(host) && !HOST_NAME.test(host)) throw new PolegateError(`"${host}" is not a host name or IP address for a certificate`, 'CERT_NAME_INVALID', 2);
  }
  return hosts;
}

export interface Issued {
  cert: string;
  key: string;
}

/**
 * Signs a new key for `name` with the CA: a pole's certificate (CN and DNS SAN = the pole id,
 * clientAuth) or a server's (CN = name, SANs = hosts, serverAuth). Writes NAME.pem and NAME.key
 * (0600) into `outDir`; refuses to overwrite them.
 */
export async function issueCert(ca: CaFiles, name: string, outDir: string, options: IssueOptions): Promise<Issued> {
  const hosts = certificateNames(name, options);
  const files = { cert: join(outDir, `${name}.pem`), key: join(outDir, `${name}.key`) };
  refuseExisting([files.cert, files.key], 'move them away to issue a new certificate');
  const authority = await loadCa(ca);
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${name}`,
    issuer: authority.cert.subject,
    ...options.validity,
    publicKey: keys.publicKey,
    signingKey: authority.key,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([options.server ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(hosts.map((h): x509.JsonGeneralName => ({ type: isIP(h) ? 'ip' : 'dns', value: h }))),
      await x509.AuthorityKeyIdentifierExtension.create(authority.cert.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  await writeKeyAndCert(files.cert, files.key, cert, keys.privateKey);
  return files;
}
