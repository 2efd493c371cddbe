// GET /api/series: one metric's points in time order, within [from, to], page by page.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/store.js';
import { ApiError, ErrorBody } from './errors.js';
import { encodeCursor, pageParams, pageQuery, pageResponse } from './pagination.js';
import { PoleDetail } from './poles.js';

export const SERIES_LIMIT = { default: 1000, max: 10_000 };

const EpochMs = (description: string) => Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description });

const SeriesQuerystring = Type.Object({
  pole: Type.String({ minLength: 1 }),
  device: Type.String({ minLength: 1 }),
  metric: Type.String({ minLength: 1 }),
  from: Type.Optional(EpochMs('Inclusive, epoch ms; default 0.')),
  to: Type.Optional(EpochMs('Inclusive, epoch ms; default the end of time.')),
  ...pageParams(SERIES_LIMIT),
});

const Point = PoleDetail.properties.devices.items.properties.metrics.items.properties.latest.anyOf[0];

export async function seriesRoutes(app: FastifyInstance, { store }: { store: Store }): Promise<void> {
  app.get<{ Querystring: Static<typeof SeriesQuerystring> }>('/api/series', {
    schema: {
      summary: 'One metric of one device of a pole, in time order',
      querystring: SeriesQuerystring,
      response: { 200: pageResponse('points', Point, { ...Type.Omit(SeriesQuerystring, ['cursor', 'from', 'to']).properties, from: EpochMs('As asked, or 0.'), to: EpochMs('As asked, or the end of time.') }), 400: ErrorBody, 404: ErrorBody },
    },
  }, async (req) => {
    const { pole, device, metric, cursor: _cursor, ...rest } = req.query;
    const { limit, after } = pageQuery(req.query, SERIES_LIMIT, ['number', 'number', 'number']);
    const query = { pole, device, metric, from: rest.from ?? 0, to: rest.to ?? Number.MAX_SAFE_INTEGER, limit };
    const page = await store.series({ ...query, after });
    if (!page) throw new ApiError(404, `no metric ${device}.${metric} on pole ${pole}`);
    return { ...query, points: page.items, next: encodeCursor(page.next) };
  });
}
