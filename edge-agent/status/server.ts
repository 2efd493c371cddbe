// The local status server (docs/operations.md, "The status page"): the page, its JSON, /health and
// /metrics, on `status.host` (127.0.0.1 unless the manifest names another address) and `status.port`.
// The agent loads this module only when the manifest has `status:` (cli/edge-action.ts). The port is
// bound before the agent starts, so a taken port stops start-up with one line, before any device is
// opened; requests that come before the agent is attached are answered 503.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { PolegateError } from '../../config/errors.js';
import type { LoadedManifest } from '../../config/loaded.js';
import { closeServer, listen } from '../../cloud-ingest/listen.js';
import type { EdgeAgent } from '../agent.js';
import { StatusFacts } from './facts.js';
import { DEFAULT_UNHEALTHY_AFTER_MS, health } from './health.js';
import { statusMetrics } from './metrics.js';
import { STATUS_PAGE } from './page.js';

/** Where the status server listens when the manifest names no host: the pole itself, never the uplink's side. */
export const DEFAULT_STATUS_HOST = '127.0.0.1';

export interface StatusServer {
  url: string;
  /** Starts answering for this agent. */
  attach(agent: EdgeAgent): void;
  close(): Promise<void>;
}

/** http://host:port/ as a browser writes it (IPv6 in brackets). */
export function statusUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

const json = (res: ServerResponse, status: number, value: unknown) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));

export async function openStatusServer(loaded: LoadedManifest): Promise<StatusServer> {
  const config = loaded.manifest.status!;
  const host = config.host ?? DEFAULT_STATUS_HOST;
  const unhealthyAfterMs = config.unhealthyAfterMs ?? DEFAULT_UNHEALTHY_AFTER_MS;
  let handle: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined;
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'only GET' });
    if (!handle) return json(res, 503, { error: 'the agent is starting' });
    handle(req, res).catch((err: Error) => json(res, 500, { error: err.message }));
  });
  let port: number;
  try {
    port = await listen(server, {
      host,
      port: config.port,
      origin: `status.port in ${loaded.file}`,
      hint: 'another program (or another polegate edge) holds it: stop it, or set another status.port in the manifest (0 picks a free one)',
    });
  } catch (err) {
    // A taken or impossible port is a mistake in the manifest, like any other: exit 2.
    if (err instanceof PolegateError && err.code === 'PORT_IN_USE') throw new PolegateError(err.message, err.code, 2);
    throw err;
  }
  return {
    url: statusUrl(host, port),
    attach(agent) {
      const facts = new StatusFacts(agent, loaded);
      const registry = statusMetrics(agent, facts);
      handle = async (req, res) => {
        const path = new URL(req.url ?? '/', 'http://status').pathname;
        if (path === '/') return send(res, 200, 'text/html; charset=utf-8', STATUS_PAGE);
        if (path === '/api/status') return json(res, 200, facts.report());
        if (path === '/health') {
          const verdict = health(facts, unhealthyAfterMs, Date.now());
          return json(res, verdict.ok ? 200 : 503, verdict);
        }
        if (path === '/metrics') return send(res, 200, registry.contentType, await registry.metrics());
        const camera = /^\/snapshots\/([a-z0-9][a-z0-9_-]*)\.jpg$/.exec(path);
        const jpeg = camera ? facts.camera(camera[1]!)?.jpeg : undefined;
        if (jpeg) return send(res, 200, 'image/jpeg', jpeg);
        return json(res, 404, { error: `nothing at ${path}: try /, /api/status, /health or /metrics` });
      };
    },
    close: () => closeServer(server),
  };
}
