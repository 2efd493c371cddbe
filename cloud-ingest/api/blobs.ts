// GET /api/blobs/:sha256: a stored picture (image/jpeg) or other blob, by its content hash.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/store.js';
import { ApiError, ErrorBody } from './errors.js';

const Params = Type.Object({ sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'Hex sha256 of the bytes (the blob ref without "sha256:").' }) });

export async function blobRoutes(app: FastifyInstance, { store }: { store: Store }): Promise<void> {
  app.get<{ Params: Static<typeof Params> }>('/api/blobs/:sha256', {
    schema: {
      summary: 'A blob by its sha256',
      params: Params,
      response: { 200: { description: 'The bytes: image/jpeg for a JPEG, else application/octet-stream.', content: { 'image/jpeg': { schema: Type.String({ format: 'binary' }) }, 'application/octet-stream': { schema: Type.String({ format: 'binary' }) } } }, 400: ErrorBody, 404: ErrorBody },
    },
  }, async (req, reply) => {
    const bytes = await store.blob(req.params.sha256);
    if (!bytes) throw new ApiError(404, `no blob ${req.params.sha256}`);
    const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
    return reply.type(jpeg ? 'image/jpeg' : 'application/octet-stream').send(bytes);
  });
}
