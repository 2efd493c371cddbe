// POST /api/poles/:id/commands (role operate), GET /api/commands/:id and GET /api/poles/:id/commands.
// Sending, holding for offline poles and results are the cloud's Commands (../commands.ts).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { CommandPayload, CommandResultPayload } from '../../contract/schemas.js';
import { MAX_COMMAND_EXPIRY_MS, type Commands } from '../commands.js';
import type { Store } from '../store/store.js';
import { requireRole } from './auth.js';
import { ApiError, ErrorBody } from './errors.js';
import { encodeCursor, pageParams, pageQuery, pageResponse } from './pagination.js';

export const COMMAND_LIMIT = { default: 100, max: 1000 };

export const CommandRecord = Type.Object({
  id: Type.String(),
  pole: Type.String(),
  name: Type.String(),
  args: CommandPayload.properties.args,
  status: Type.Union([Type.Literal('pending'), Type.Literal('ok'), Type.Literal('error'), Type.Literal('expired')], { description: 'expired: not answered before expiresAt, or refused by the pole as expired.' }),
  createdAt: Type.Integer(),
  expiresAt: Type.Integer(),
  result: Type.Optional(CommandResultPayload),
}, { title: 'Command' });

const NewCommand = Type.Object({
  name: CommandPayload.properties.name,
  args: Type.Optional(CommandPayload.properties.args),
  expiresInMs: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_COMMAND_EXPIRY_MS, description: 'Not run after this long; default 5 minutes.' })),
}, { additionalProperties: false });

const PoleParams = Type.Object({ id: Type.String({ minLength: 1, description: 'Pole id.' }) });
const CommandParams = Type.Object({ id: Type.String({ minLength: 1, description: 'Command id.' }) });
const ListQuery = Type.Object(pageParams(COMMAND_LIMIT));

export async function commandRoutes(app: FastifyInstance, { store, commands }: { store: Store; commands: Commands }): Promise<void> {
  const knownPole = async (id: string) => {
    if (!(await store.getPole(id))) throw new ApiError(404, `no pole ${id} has reported yet`);
  };

  app.post<{ Params: Static<typeof PoleParams>; Body: Static<typeof NewCommand> }>('/api/poles/:id/commands', {
    preHandler: requireRole('operate'),
    schema: {
      summary: 'Send a command to a pole (held while the pole is offline, until it expires)',
      params: PoleParams,
      body: NewCommand,
      response: { 202: Type.Object({ id: Type.String() }), 400: ErrorBody, 403: ErrorBody, 404: ErrorBody },
    },
  }, async (req, reply) => {
    await knownPole(req.params.id);
    const command = await commands.send(req.params.id, req.body.name, req.body.args ?? {}, req.body.expiresInMs);
    return reply.code(202).send({ id: command.id });
  });

  app.get<{ Params: Static<typeof CommandParams> }>('/api/commands/:id', {
    schema: { summary: 'One command with its status and the pole\'s result', params: CommandParams, response: { 200: CommandRecord, 404: ErrorBody } },
  }, async (req) => {
    const command = await store.getCommand(req.params.id, commands.now());
    if (!command) throw new ApiError(404, `no command ${req.params.id}`);
    return command;
  });

  app.get<{ Params: Static<typeof PoleParams>; Querystring: Static<typeof ListQuery> }>('/api/poles/:id/commands', {
    schema: { summary: 'The pole\'s commands, newest first', params: PoleParams, querystring: ListQuery, response: { 200: pageResponse('commands', CommandRecord, { pole: Type.String() }), 400: ErrorBody, 404: ErrorBody } },
  }, async (req) => {
    await knownPole(req.params.id);
    const page = await store.listCommands(req.params.id, pageQuery(req.query, COMMAND_LIMIT, ['number', 'string']), commands.now());
    return { pole: req.params.id, commands: page.items, next: encodeCursor(page.next) };
  });
}
