// GET /api/openapi.json: the OpenAPI 3 document @fastify/swagger builds from the routes' schemas.
import type { FastifyInstance } from 'fastify';

export async function openapiRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
