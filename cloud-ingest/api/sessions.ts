// Session cookies for browsers, whose EventSource cannot send an Authorization header: the
// credentials of a platform user are given once to POST /api/session, which answers a random
// token in the cookie polegate_session (HttpOnly, SameSite=Strict, Secure over HTTPS). Sessions
// live in this process's memory: a cloud restart, or another node of a cluster, asks for a new
// sign-in. The page that signs in from a link (/login#u=&p=) is the dashboard's
// (cloud-ingest/dashboard/).
import { randomBytes } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authenticator } from '../auth.js';
import type { Caller } from './auth.js';
import { ErrorBody } from './errors.js';

export const SESSION_COOKIE = 'polegate_session';
export const SESSION_TTL_MS = 8 * 60 * 60_000;

export class Sessions {
  private readonly byToken = new Map<string, { caller: Caller; expiresAt: number }>();

  open(caller: Caller): string {
    const now = Date.now();
    for (const [token, s] of this.byToken) if (s.expiresAt <= now) this.byToken.delete(token);
    const token = randomBytes(32).toString('base64url');
    this.byToken.set(token, { caller, expiresAt: now + SESSION_TTL_MS });
    return token;
  }

  /** The caller of the request's session cookie, if it holds a live one. */
  caller(req: FastifyRequest): Caller | undefined {
    const token = cookieToken(req);
    const session = token === undefined ? undefined : this.byToken.get(token);
    return session && session.expiresAt > Date.now() ? session.caller : undefined;
  }

  close(req: FastifyRequest): void {
    const token = cookieToken(req);
    if (token !== undefined) this.byToken.delete(token);
  }
}

function cookieToken(req: FastifyRequest): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return value.join('=');
  }
  return undefined;
}

const Credentials = Type.Object({ username: Type.String({ minLength: 1 }), password: Type.String({ minLength: 1 }) });

export async function sessionRoutes(app: FastifyInstance, { auth, sessions, secure }: { auth: Authenticator; sessions: Sessions; secure: boolean }): Promise<void> {
  const cookie = (value: string, maxAgeS: number) => `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;

  app.post<{ Body: Static<typeof Credentials> }>('/api/session', {
    config: { public: true },
    schema: { summary: 'Sign in: a session cookie for the same credentials as HTTP Basic', security: [], body: Credentials, response: { 401: ErrorBody, 400: ErrorBody } },
  }, async (req, reply) => {
    const who = auth.hasUsers ? await auth.user(req.body.username, req.body.password, req.socket.remoteAddress ?? 'unknown') : undefined;
    if (auth.hasUsers && who?.kind !== 'user') return reply.code(401).send({ error: 'unknown username or wrong password (see users in the cloud config)' });
    const caller: Caller = who?.kind === 'user' ? { name: who.name, role: who.role } : { name: 'anonymous', role: 'read' };
    return reply.code(204).header('set-cookie', cookie(sessions.open(caller), SESSION_TTL_MS / 1000)).send();
  });

  app.delete('/api/session', { config: { public: true }, schema: { summary: 'Sign out', security: [] } }, async (req, reply) => {
    sessions.close(req);
    return reply.code(204).header('set-cookie', cookie('', 0)).send();
  });
}
