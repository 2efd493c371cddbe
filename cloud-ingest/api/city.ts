// GET /api/alarms and GET /api/events: the whole city's alarms (one row per alarm, active from
// raised to cleared) and events, filtered, newest first. A pole's own history of alarm messages
// stays at /api/poles/:id/alarms (poles.ts).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AlarmPayload, EventPayload } from '../../contract/schemas.js';
import type { Store } from '../store/store.js';
import { ErrorBody } from './errors.js';
import { encodeCursor, pageParams, pageQuery, pageResponse } from './pagination.js';

export const CITY_LIST_LIMIT = { default: 100, max: 1000 };

const { severity, state, value, snapshot } = AlarmPayload.properties.alarm.properties;
const Ts = Type.Integer({ description: 'Epoch ms.' });

export const AlarmRecord = Type.Object({
  id: Type.String(),
  pole: Type.String(),
  rule: Type.Optional(Type.String()),
  device: Type.Optional(Type.String()),
  metric: Type.Optional(Type.String()),
  severity,
  state,
  raisedAt: Ts,
  clearedAt: Type.Optional(Ts),
  value: Type.Optional(value),
  snapshot: Type.Optional(snapshot),
}, { title: 'Alarm (raised to cleared)' });

export const CityEvent = Type.Object({ pole: Type.String(), ...EventPayload.properties.event.properties }, { additionalProperties: true, title: 'Event' });

const AlarmQuery = Type.Object({
  ...pageParams(CITY_LIST_LIMIT),
  active: Type.Optional(Type.Boolean({ description: 'true: raised and not cleared; false: cleared.' })),
  pole: Type.Optional(Type.String({ minLength: 1 })),
  severity: Type.Optional(severity),
});

const EventQuery = Type.Object({
  ...pageParams(CITY_LIST_LIMIT),
  pole: Type.Optional(Type.String({ minLength: 1 })),
  type: Type.Optional(Type.String({ minLength: 1 })),
  from: Type.Optional(Type.Integer({ description: 'Inclusive, epoch ms.' })),
  to: Type.Optional(Type.Integer({ description: 'Inclusive, epoch ms.' })),
});

export async function cityRoutes(app: FastifyInstance, { store }: { store: Store }): Promise<void> {
  app.get<{ Querystring: Static<typeof AlarmQuery> }>('/api/alarms', {
    schema: { summary: 'Alarms of every pole, newest raised first', querystring: AlarmQuery, response: { 200: pageResponse('alarms', AlarmRecord), 400: ErrorBody } },
  }, async (req) => {
    const { active, pole, severity } = req.query;
    const page = await store.alarms({ active, pole, severity }, pageQuery(req.query, CITY_LIST_LIMIT, ['number', 'string', 'string']));
    return { alarms: page.items, next: encodeCursor(page.next) };
  });

  app.get<{ Querystring: Static<typeof EventQuery> }>('/api/events', {
    schema: { summary: 'Events of every pole, newest first', querystring: EventQuery, response: { 200: pageResponse('events', CityEvent), 400: ErrorBody } },
  }, async (req) => {
    const { pole, type, from, to } = req.query;
    const page = await store.events({ pole, type, from, to }, pageQuery(req.query, CITY_LIST_LIMIT, ['number', 'number', 'number']));
    return { events: page.items, next: encodeCursor(page.next) };
  });
}
