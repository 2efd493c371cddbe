// The HTTP JSON API for the central platform (node:http, no framework). When platform users are
// configured every /api request needs HTTP Basic with one of them (any role); with none the API
// is open and the cloud warns at start. /health is always open, for load balancers.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { TlsOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { Authenticator } from './auth.js';
import { createWebServer } from './server-tls.js';
import { HISTORY_LIMIT } from './store/history.js';
import type { Store } from './store/store.js';

export const SERIES_LIMIT = { default: 1000, max: 10_000 };
export const DEAD_LETTER_LIMIT = { default: 100, max: 1000 };

export interface HttpApiOptions {
  store: Store;
  auth: Authenticator;
  log: Logger;
  /** Serve HTTPS with these (http.tls in the cloud config): Basic credentials never cross in clear. */
  tls?: TlsOptions;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function integer(params: URLSearchParams, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new HttpError(400, `${name} must be a non-negative integer (epoch ms for from/to), not "${raw}"`);
  return Math.min(value, max);
}

function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (!value) throw new HttpError(400, `query parameter ${name} is required`);
  return value;
}

/** A path segment, percent-decoded; broken encoding (`%ZZ`) is the client's error. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `the path segment "${segment}" is not valid percent-encoding`);
  }
}

async function authorized(req: IncomingMessage, auth: Authenticator): Promise<boolean> {
  if (!auth.hasUsers) return true;
  const header = req.headers.authorization ?? '';
  if (!header.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon > 0 && (await auth.user(decoded.slice(0, colon), decoded.slice(colon + 1), req.socket.remoteAddress ?? 'unknown')) !== undefined;
}

async function route(req: IncomingMessage, res: ServerResponse, options: HttpApiOptions): Promise<void> {
  const { store, auth } = options;
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `${req.method} is not supported; the API is read-only (GET)`);
  if (path === '/health') return send(res, 200, { status: 'ok' });
  if (!path.startsWith('/api/')) throw new HttpError(404, `no such endpoint: ${path} (see /api/poles)`);
  if (!(await authorized(req, auth))) {
    return send(res, 401, { error: 'HTTP Basic credentials of a platform user are required' }, { 'www-authenticate': 'Basic realm="polegate", charset="UTF-8"' });
  }
  const params = url.searchParams;
  if (path === '/api/poles') return send(res, 200, { poles: await store.listPoles() });
  const pole = /^\/api\/poles\/([^/]+)$/.exec(path);
  if (pole) {
    const id = decodeSegment(pole[1]!);
    const detail = await store.getPole(id);
    if (!detail) throw new HttpError(404, `no pole ${id} has reported yet`);
    return send(res, 200, detail);
  }
  const history = /^\/api\/poles\/([^/]+)\/(alarms|events)$/.exec(path);
  if (history) {
    const id = decodeURIComponent(history[1]!);
    const limit = integer(params, 'limit', HISTORY_LIMIT.default, HISTORY_LIMIT.max) || 1;
    const found = history[2] === 'alarms' ? await store.recentAlarms(id, limit) : await store.recentEvents(id, limit);
    if (!found) throw new HttpError(404, `no pole ${id} has reported yet`);
    return send(res, 200, { pole: id, [history[2]!]: found });
  }
  if (path === '/api/series') {
    const query = {
      pole: required(params, 'pole'),
      device: required(params, 'device'),
      metric: required(params, 'metric'),
      from: integer(params, 'from', 0),
      to: integer(params, 'to', Number.MAX_SAFE_INTEGER),
      limit: integer(params, 'limit', SERIES_LIMIT.default, SERIES_LIMIT.max) || 1,
    };
    const points = await store.series(query);
    if (!points) throw new HttpError(404, `no metric ${query.device}.${query.metric} on pole ${query.pole}`);
    return send(res, 200, { ...query, points });
  }
  if (path === '/api/dead-letters') {
    const letters = await store.deadLetters(integer(params, 'limit', DEAD_LETTER_LIMIT.default, DEAD_LETTER_LIMIT.max) || 1);
    return send(res, 200, { deadLetters: letters.map((d) => ({ ...d, payload: d.payload.toString('utf8') })) });
  }
  const blob = /^\/api\/blobs\/([0-9a-f]{64})$/.exec(path);
  if (blob) {
    const bytes = await store.blob(blob[1]!);
    if (!bytes) throw new HttpError(404, `no blob ${blob[1]}`);
    const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
    res.writeHead(200, { 'content-type': jpeg ? 'image/jpeg' : 'application/octet-stream', 'content-length': bytes.length });
    res.end(bytes);
    return;
  }
  throw new HttpError(404, `no such endpoint: ${path} (see /api/poles)`);
}

export function createHttpApi(options: HttpApiOptions): Server {
  return createWebServer(options.tls, (req, res) => {
    route(req, res, options).catch((err: Error) => {
      if (err instanceof HttpError) return send(res, err.status, { error: err.message });
      options.log.error({ err: err.message, url: req.url }, 'HTTP API request failed');
      send(res, 500, { error: 'internal error; see the cloud log' });
    });
  });
}
