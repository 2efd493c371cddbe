// GET /api/poles, /api/poles/:id and a pole's alarms and events. The alarm and event objects are
// the contract's own schemas; the pole views are the store's (store.ts).
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AlarmPayload, BirthPayload, EventPayload } from '../../contract/schemas.js';
import type { Page, PageQuery, Store } from '../store/store.js';
import { ApiError, ErrorBody } from './errors.js';
import { encodeCursor, pageParams, pageQuery, pageResponse } from './pagination.js';

export const POLE_LIMIT = { default: 100, max: 1000 };
export const HISTORY_LIMIT = { default: 100, max: 1000 };

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const { location, agent } = BirthPayload.properties;
const MetricDescription = BirthPayload.properties.devices.items.properties.metrics.items;

export const PoleSummary = Type.Object({
  id: Type.String(),
  state: Type.Union([Type.Literal('online'), Type.Literal('offline'), Type.Literal('unknown')]),
  lastSeen: Nullable(Type.Integer({ description: 'Server time of the last message from the pole, epoch ms.' })),
  location: Nullable(location),
  componentCode: Nullable(Type.String()),
  activeAlarms: Type.Integer({ description: 'Alarms raised and not yet cleared.' }),
}, { title: 'Pole summary' });

const Latest = Type.Object({ ts: Type.Integer(), value: AlarmPayload.properties.alarm.properties.value, quality: Type.Union([Type.Literal('good'), Type.Literal('uncertain'), Type.Literal('bad')]) });

export const PoleDetail = Type.Object({
  ...PoleSummary.properties,
  stateTs: Nullable(Type.Integer()),
  bootId: Nullable(Type.String()),
  birth: Nullable(Type.Object({ ts: Type.Integer(), bootId: Type.String(), agent, configHash: Type.String() })),
  devices: Type.Array(Type.Object({
    id: Type.String(),
    driver: Nullable(Type.String({ description: 'Null for a device that sent readings but is not in the birth.' })),
    model: Nullable(Type.String()),
    metrics: Type.Array(Type.Object({ ...MetricDescription.properties, latest: Nullable(Latest) })),
  })),
}, { title: 'Pole detail' });

const PoleParams = Type.Object({ id: Type.String({ minLength: 1, description: 'Pole id.' }) });
const PageQuerystring = (limits: typeof POLE_LIMIT) => Type.Object(pageParams(limits));
type PageQuerystring = Static<ReturnType<typeof PageQuerystring>>;

export async function polesRoutes(app: FastifyInstance, { store }: { store: Store }): Promise<void> {
  app.get<{ Querystring: PageQuerystring }>('/api/poles', {
    schema: { summary: 'Every pole that has reported, by id', querystring: PageQuerystring(POLE_LIMIT), response: { 200: pageResponse('poles', PoleSummary), 400: ErrorBody } },
  }, async (req) => {
    const page = await store.listPoles(pageQuery(req.query, POLE_LIMIT, ['string']));
    return { poles: page.items, next: encodeCursor(page.next) };
  });

  app.get<{ Params: Static<typeof PoleParams> }>('/api/poles/:id', {
    schema: { summary: 'One pole: presence, birth, devices with their latest values', params: PoleParams, response: { 200: PoleDetail, 404: ErrorBody } },
  }, async (req) => {
    const detail = await store.getPole(req.params.id);
    if (!detail) throw new ApiError(404, `no pole ${req.params.id} has reported yet`);
    return detail;
  });

  const history = (kind: 'alarms' | 'events', item: TSchema, read: (pole: string, page: PageQuery) => Promise<Page<unknown> | undefined>) => {
    app.get<{ Params: Static<typeof PoleParams>; Querystring: PageQuerystring }>(`/api/poles/:id/${kind}`, {
      schema: {
        summary: `The pole's ${kind}, newest first`,
        params: PoleParams,
        querystring: PageQuerystring(HISTORY_LIMIT),
        response: { 200: pageResponse(kind, item, { pole: Type.String() }), 400: ErrorBody, 404: ErrorBody },
      },
    }, async (req) => {
      const page = await read(req.params.id, pageQuery(req.query, HISTORY_LIMIT, ['number', 'number', 'number']));
      if (!page) throw new ApiError(404, `no pole ${req.params.id} has reported yet`);
      return { pole: req.params.id, [kind]: page.items, next: encodeCursor(page.next) };
    });
  };
  history('alarms', AlarmPayload.properties.alarm, (pole, page) => store.recentAlarms(pole, page));
  history('events', EventPayload.properties.event, (pole, page) => store.recentEvents(pole, page));
}
