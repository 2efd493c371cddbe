// TLS options of the cloud's listeners from their config keys (mqtts:, http.tls): the files read
// once at start, relative to the config, with one clear error naming the key when one cannot be.
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { resolve } from 'node:path';
import type { TlsOptions } from 'node:tls';
import { PolegateError } from '../config/errors.js';

export interface ServerTlsKeys {
  cert: string;
  key: string;
  ca?: string;
  requireClientCert?: boolean;
}

async function readTlsFile(dir: string, file: string, key: string): Promise<Buffer> {
  try {
    return await readFile(resolve(dir, file));
  } catch (err) {
    throw new PolegateError(`cannot read ${key} ${resolve(dir, file)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; check ${key} in the cloud config`, 'TLS_FILE_UNREADABLE', 2);
  }
}

/**
 * Node TLS server options for `keys` (the config section `section`, e.g. `mqtts`). With a `ca`,
 * clients are asked for a certificate signed by it; `requireClientCert` refuses, during the
 * handshake, a client without one (or with an expired or foreign one).
 */
export async function serverTlsOptions(dir: string, section: string, keys: ServerTlsKeys): Promise<TlsOptions> {
  return {
    cert: await readTlsFile(dir, keys.cert, `${section}.cert`),
    key: await readTlsFile(dir, keys.key, `${section}.key`),
    ...(keys.ca ? { ca: await readTlsFile(dir, keys.ca, `${section}.ca`), requestCert: true, rejectUnauthorized: keys.requireClientCert ?? false } : {}),
  };
}

/** An HTTP server, or HTTPS with `tls`. */
export function createWebServer(tls: TlsOptions | undefined, handler: RequestListener): Server {
  return tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
}
