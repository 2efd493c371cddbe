// Who is calling: HTTP Basic with a platform user of the cloud config (or its session cookie, sessions.ts), put on the request as
// `request.user` ({ name, role }). With no users configured the API is open (the cloud warns at
// start) and every caller is the anonymous reader. Routes marked `config: { public: true }`
// (/health) and unknown paths skip the check. Routes that change things add `preHandler: requireRole('operate')`.
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Role } from '../acl.js';
import type { Authenticator } from '../auth.js';
import { ApiError } from './errors.js';
import type { Sessions } from './sessions.js';

export interface Caller {
  name: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    user: Caller;
  }
  interface FastifyContextConfig {
    /** Served without credentials. */
    public?: boolean;
  }
}

/** The caller when no platform users are configured: it may read, not command. */
export const ANONYMOUS: Caller = { name: 'anonymous', role: 'read' };

const RANK: Record<Role, number> = { read: 0, operate: 1 };

async function caller(req: FastifyRequest, auth: Authenticator, sessions: Sessions): Promise<Caller | undefined> {
  if (!auth.hasUsers) return ANONYMOUS;
  const session = sessions.caller(req);
  if (session) return session;
  const header = req.headers.authorization ?? '';
  if (!header.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  const identity = await auth.user(decoded.slice(0, colon), decoded.slice(colon + 1), req.socket.remoteAddress ?? 'unknown');
  return identity?.kind === 'user' ? { name: identity.name, role: identity.role } : undefined;
}

export function installAuth(app: FastifyInstance, auth: Authenticator, sessions: Sessions): void {
  app.decorateRequest('user', undefined as unknown as Caller);
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    // An unknown path or method answers 404 / 405 before any credentials, as it tells nothing.
    if (req.routeOptions.config.public || req.is404) return;
    const who = await caller(req, auth, sessions);
    if (!who) {
      return reply.code(401).header('www-authenticate', 'Basic realm="polegate", charset="UTF-8"').send({ error: 'HTTP Basic credentials of a platform user are required' });
    }
    req.user = who;
  });
}

/** A preHandler refusing (403) callers below `role`. */
export function requireRole(role: Role): preHandlerAsyncHookHandler {
  return async (req) => {
    if (RANK[req.user.role] < RANK[role]) throw new ApiError(403, `user ${req.user.name} has role ${req.user.role}; this needs role ${role} (see users in the cloud config)`);
  };
}
