// The dashboard: static HTML/CSS/JS (no build step) served by the cloud's own API at `/`, with the
// sign-in page at `/login`. These files are public (they hold nothing); every API call they make
// carries the user's credentials. Files are read once at start, from a fixed folder, by name: no
// path from a request ever reaches the file system.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiError } from '../api/errors.js';

// The files are not compiled: from source they sit beside this module, from dist/cloud-ingest/dashboard
// they are three levels up in the package (package.json `files` ships cloud-ingest/dashboard/public).
const PUBLIC_DIR = [new URL('./public/', import.meta.url), new URL('../../../cloud-ingest/dashboard/public/', import.meta.url)]
  .map((url) => fileURLToPath(url))
  .find((dir) => existsSync(dir)) ?? fileURLToPath(new URL('./public/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

// Scripts and styles only from the cloud itself, images also as blob: URLs (alarm snapshots are
// fetched with credentials, then shown), no framing.
const CSP = "default-src 'self'; img-src 'self' blob: data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

interface StaticFile {
  type: string;
  body: Buffer;
}

function loadFiles(): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(PUBLIC_DIR)) {
    const type = TYPES[extname(name)];
    if (type) files.set(name, { type, body: readFileSync(join(PUBLIC_DIR, name)) });
  }
  return files;
}

export async function dashboardRoutes(app: FastifyInstance): Promise<void> {
  const files = loadFiles();
  const serve = (name: string) => {
    const file = files.get(name);
    if (!file) throw new ApiError(404, `the dashboard has no file ${name}`);
    return file;
  };
  const schema = { hide: true, security: [] };
  const reply = (name: string) => async (_req: unknown, res: FastifyReply) => {
    const file = serve(name);
    return res.type(file.type).header('content-security-policy', CSP).header('cache-control', 'no-cache').send(file.body);
  };
  app.get('/', { config: { public: true }, schema }, reply('index.html'));
  app.get('/login', { config: { public: true }, schema }, reply('login.html'));
  app.get<{ Params: { file: string } }>('/dashboard/:file', { config: { public: true }, schema }, async (req, res) => reply(req.params.file)(req, res));
}
