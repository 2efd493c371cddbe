// What `polegate status` runs: find the status server (--url, or status: in the manifest), read its
// facts and health, print them. Exit 0 healthy, 1 unhealthy or no agent answering, 2 bad input.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { PolegateError } from '../config/errors.js';
import type { StatusReport } from '../edge-agent/status/facts.js';
import type { Health } from '../edge-agent/status/health.js';
import { DEFAULT_STATUS_HOST, statusUrl } from '../edge-agent/status/server.js';
import { formatStatus } from './status-view.js';

const TIMEOUT_MS = 5000;

/** The status URL a manifest's `status:` key gives; only that key is read, so no secret needs to be set. */
export function urlFromManifest(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PolegateError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): pass the pole manifest with --config, or the status URL with --url`, 'FILE_UNREADABLE', 2);
  }
  const status = (parse(text) as { status?: { port?: unknown; host?: unknown } } | null)?.status;
  if (!status || typeof status.port !== 'number') throw new PolegateError(`${file} has no status: { port: … }, so the agent serves no status; add one (docs/manifest.md, status) and restart it`, 'STATUS_UNSET', 2);
  if (status.port === 0) throw new PolegateError(`status.port in ${file} is 0 (a free port chosen at each start): pass --url with the URL from the agent's start-up log line`, 'STATUS_PORT_UNKNOWN', 2);
  const host = typeof status.host === 'string' ? status.host : DEFAULT_STATUS_HOST;
  // An agent listening on every address is reached on the pole itself.
  return statusUrl(host === '0.0.0.0' || host === '::' ? DEFAULT_STATUS_HOST : host, status.port);
}

async function get<T>(base: string, path: string): Promise<{ code: number; body: T }> {
  let res: Response;
  try {
    res = await fetch(new URL(path, base), { signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    throw new PolegateError(`no status server answers at ${base} (${cause}): polegate edge is not running there; start it (systemctl start polegate-edge) or check status: in the manifest`, 'AGENT_NOT_RUNNING', 1);
  }
  if (res.status !== 200 && res.status !== 503) throw new PolegateError(`${base} answered ${res.status} to ${path}: is this a polegate status server?`, 'STATUS_UNEXPECTED', 1);
  return { code: res.status, body: (await res.json()) as T };
}

export async function status(opts: { config: string; url?: string; json?: boolean }): Promise<void> {
  const base = opts.url ?? urlFromManifest(opts.config);
  const [report, health] = await Promise.all([get<StatusReport>(base, '/api/status'), get<Health>(base, '/health')]);
  if (report.code !== 200) throw new PolegateError(`the agent at ${base} is still starting: try again in a moment`, 'AGENT_STARTING', 1);
  process.stdout.write(opts.json ? `${JSON.stringify({ url: base, health: health.body, status: report.body }, null, 2)}\n` : formatStatus(base, report.body, health.body));
  if (!health.body.ok) process.exitCode = 1;
}
