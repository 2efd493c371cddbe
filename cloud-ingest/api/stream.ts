// GET /api/stream: server-sent events of what the cloud ingests (../live.ts), `?pole=` narrowing
// to one pole; a `: keepalive` comment every 15 s keeps proxies from closing an idle stream.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { LiveFeed, LiveMessage } from '../live.js';

export const KEEPALIVE_MS = 15_000;

const StreamQuery = Type.Object({ pole: Type.Optional(Type.String({ minLength: 1, description: 'Only this pole.' })) });

export async function streamRoutes(app: FastifyInstance, { live }: { live: LiveFeed }): Promise<void> {
  app.get<{ Querystring: Static<typeof StreamQuery> }>('/api/stream', {
    schema: { summary: 'Live telemetry, alarms, events, presence, births and commands as server-sent events', querystring: StreamQuery },
  }, async (req, reply) => {
    const { pole } = req.query;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    res.write(': stream open\n\n');
    const send = (m: LiveMessage) => {
      if (pole === undefined || m.pole === pole) res.write(`event: ${m.kind}\ndata: ${JSON.stringify(m.data)}\n\n`);
    };
    live.on('message', send);
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    res.on('close', () => {
      live.off('message', send);
      clearInterval(keepalive);
    });
  });
}
