// GET /api/dead-letters: what the ingest refused and why, latest first (payloads as text).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/store.js';
import { ErrorBody } from './errors.js';
import { encodeCursor, pageParams, pageQuery, pageResponse } from './pagination.js';

export const DEAD_LETTER_LIMIT = { default: 100, max: 1000 };

const DeadLetter = Type.Object({
  id: Type.Integer(),
  pole: Type.Union([Type.String(), Type.Null()], { description: 'The publishing pole, or null when unknown.' }),
  topic: Type.String(),
  reason: Type.String(),
  payload: Type.String({ description: 'The start of the payload, as UTF-8.' }),
  size: Type.Integer({ description: 'Size of the whole payload in bytes.' }),
  receivedAt: Type.Integer(),
}, { title: 'Dead letter' });

const Querystring = Type.Object(pageParams(DEAD_LETTER_LIMIT));

export async function deadLetterRoutes(app: FastifyInstance, { store }: { store: Store }): Promise<void> {
  app.get<{ Querystring: Static<typeof Querystring> }>('/api/dead-letters', {
    schema: { summary: 'Messages the ingest refused, latest first', querystring: Querystring, response: { 200: pageResponse('deadLetters', DeadLetter), 400: ErrorBody } },
  }, async (req) => {
    const page = await store.deadLetters(pageQuery(req.query, DEAD_LETTER_LIMIT, ['number']));
    return { deadLetters: page.items.map((d) => ({ ...d, payload: d.payload.toString('utf8') })), next: encodeCursor(page.next) };
  });
}
