// The checks of incoming commands: the contract's cmd schema and each command's args. Loaded on
// the first command only (edge-agent/commands.ts), so that a pole that is never commanded does not
// carry the schema compiler in its heap.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
export { decodePayload } from '../contract/validate.js';
import { CommandError } from './command-error.js';
import { LOG_LEVELS } from './log-level.js';

const Device = Type.String({ minLength: 1 });
export const ARGS = {
  write: Type.Object({ device: Device, metric: Type.String({ minLength: 1 }), value: Type.Union([Type.Number(), Type.Boolean(), Type.String()]) }),
  poll: Type.Object({ device: Type.Optional(Device) }),
  'set-interval': Type.Object({ device: Device, pollMs: Type.Integer({ minimum: 100, maximum: 86_400_000 }) }),
  rebirth: Type.Object({}),
  snapshot: Type.Object({ device: Device }),
  'restart-device': Type.Object({ device: Device }),
  'set-log-level': Type.Object({
    level: Type.Union(LOG_LEVELS.map((level) => Type.Literal(level))),
    forMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 86_400_000 })),
  }),
  'apply-config': Type.Object({
    manifest: Type.String({ minLength: 1, maxLength: 1_048_576 }),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 600_000 })),
  }),
} satisfies Record<string, TSchema>;
export type CommandName = keyof typeof ARGS;

export function argsOf<N extends CommandName>(name: N, args: unknown): Static<(typeof ARGS)[N]> {
  const schema = ARGS[name];
  if (Value.Check(schema, args)) return args as Static<(typeof ARGS)[N]>;
  const first = Value.Errors(schema, args).First();
  throw new CommandError('BAD_COMMAND', `${name}: args${first?.path || ''} ${first?.message.toLowerCase() ?? 'are invalid'}`);
}

export type WriteArgs = Static<typeof ARGS.write>;
export type ApplyConfigArgs = Static<(typeof ARGS)['apply-config']>;
