// The API's errors, all `{ error: "<what is wrong, what to do>" }`: a thrown ApiError keeps its
// status, a schema validation failure becomes a 400 naming the parameter, a broken percent-encoding
// a 400 naming the segment, an unknown path 404 and a known path with another method 405. Anything
// else is logged (as before the move to fastify: "HTTP API request failed") and answered 500.
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export const ErrorBody = Type.Object({ error: Type.String() }, { title: 'Error' });

const WHERE: Record<string, string> = { querystring: 'query parameter', params: 'path parameter', body: 'body field', headers: 'header' };

/** "query parameter from must be integer, not "yesterday"" from fastify's validation error. */
function validationMessage(err: FastifyError, req: FastifyRequest): string {
  const first = err.validation![0]!;
  const where = WHERE[err.validationContext ?? ''] ?? 'parameter';
  if (first.keyword === 'required') return `${where} ${String(first.params.missingProperty)} is required`;
  const name = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const source = (err.validationContext === 'params' ? req.params : err.validationContext === 'body' ? req.body : req.query) as Record<string, unknown> | undefined;
  const raw = source?.[name.split('.')[0]!];
  return `${where} ${name || '(whole)'} ${first.message ?? 'is not valid'}${raw === undefined ? '' : `, not ${JSON.stringify(raw)}`}`;
}

/** The first segment of `url`'s path that is not valid percent-encoding. */
function badSegment(url: string): string {
  const path = url.split('?')[0]!;
  return path.split('/').find((segment) => {
    try {
      decodeURIComponent(segment);
      return false;
    } catch {
      return true;
    }
  }) ?? path;
}

function send(reply: FastifyReply, status: number, error: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send({ error });
}

/** Installs the handlers; call before any route is registered (the 405 check mirrors the routes). */
export function installErrorHandling(app: FastifyInstance): void {
  // A second router holding only the paths: which methods a path has, for a 405 rather than a 404.
  const paths = FindMyWay({ ignoreTrailingSlash: true });
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) paths.on(method as HTTPMethod, route.url, () => undefined);
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    const allowed = (['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const).filter((m) => paths.find(m, path) !== null);
    if (allowed.length > 0) return send(reply.header('allow', allowed.join(', ')), 405, `${req.method} is not supported on ${path}; it accepts ${allowed.join(', ')}`);
    return send(reply, 404, `no such endpoint: ${path} (see /api/poles, or /api/openapi.json for every route)`);
  });
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof ApiError) return send(reply, err.status, err.message);
    if (err.validation) return send(reply, 400, validationMessage(err, req));
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return send(reply, err.statusCode, err.message);
    req.log.error({ err: err.message, url: req.url }, 'HTTP API request failed');
    return send(reply, 500, 'internal error; see the cloud log');
  });
}

/** fastify's `frameworkErrors`: errors raised before routing, such as a path that cannot be decoded. */
export function frameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  if (err.code === 'FST_ERR_BAD_URL') {
    send(reply, 400, `the path segment "${badSegment(req.url)}" is not valid percent-encoding`);
    return;
  }
  send(reply, 400, err.message);
}
