// The cloud's HTTP API as one fastify instance: our pino logger (no per-request lines, as before),
// HTTPS with http.tls, HTTP Basic for platform users (auth.ts), one plugin per route group, and an
// OpenAPI document built from the same schemas that validate the requests. See README.md here.
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import type { TlsOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { Authenticator } from '../auth.js';
import type { Commands } from '../commands.js';
import type { LiveFeed } from '../live.js';
import { createWebServer } from '../server-tls.js';
import { dashboardRoutes } from '../dashboard/routes.js';
import type { Store } from '../store/store.js';
import { installAuth } from './auth.js';
import { blobRoutes } from './blobs.js';
import { cityRoutes } from './city.js';
import { commandRoutes } from './commands.js';
import { deadLetterRoutes } from './dead-letters.js';
import { frameworkError, installErrorHandling } from './errors.js';
import { openapiRoutes } from './openapi.js';
import { polesRoutes } from './poles.js';
import { seriesRoutes } from './series.js';
import { sessionRoutes, Sessions } from './sessions.js';
import { streamRoutes } from './stream.js';

export interface ApiOptions {
  store: Store;
  commands: Commands;
  live: LiveFeed;
  auth: Authenticator;
  log: Logger;
  /** Serve HTTPS with these (http.tls in the cloud config): Basic credentials never cross in clear. */
  tls?: TlsOptions;
}

/** The API, ready: listen on `app.server` (the cloud's own listen() does). */
export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.log,
    disableRequestLogging: true,
    serverFactory: (handler) => createWebServer(options.tls, handler),
    routerOptions: { ignoreTrailingSlash: true },
    frameworkErrors: frameworkError,
  }) as unknown as FastifyInstance;
  installErrorHandling(app);
  const sessions = new Sessions();
  installAuth(app, options.auth, sessions);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'polegate cloud API', version: '1', description: 'Read the city: poles, series, alarms, events, blobs. Lists page with ?limit=&cursor= and answer { <items>: [...], next }.' },
      components: { securitySchemes: { basic: { type: 'http', scheme: 'basic' } } },
      security: [{ basic: [] }],
    },
  });
  app.get('/health', { config: { public: true }, schema: { summary: 'Liveness, without credentials', security: [] } }, async () => ({ status: 'ok' }));
  const deps = { store: options.store };
  await app.register(polesRoutes, deps);
  await app.register(seriesRoutes, deps);
  await app.register(blobRoutes, deps);
  await app.register(deadLetterRoutes, deps);
  await app.register(cityRoutes, deps);
  await app.register(commandRoutes, { store: options.store, commands: options.commands });
  await app.register(sessionRoutes, { auth: options.auth, sessions, secure: options.tls !== undefined });
  await app.register(streamRoutes, { live: options.live });
  await app.register(openapiRoutes);
  await app.register(dashboardRoutes);
  await app.ready();
  return app;
}
