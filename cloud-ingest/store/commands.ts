// Commands sent to poles (POST /api/poles/:id/commands) as both stores keep them: one row per
// command, its result written when the pole's cmd/result arrives. Shared by both stores: the
// queries differ only in placeholders. A pending command past its expiresAt reads back as
// expired (the view decides with the caller's clock), so no timer has to mark it.
import type { CommandResultPayload } from '../../contract/schemas.js';

export type CommandStatus = 'pending' | 'ok' | 'error' | 'expired';

export interface CommandRecord {
  id: string;
  pole: string;
  name: string;
  args: Record<string, unknown>;
  status: CommandStatus;
  /** Server time, epoch ms. */
  createdAt: number;
  expiresAt: number;
  /** The pole's cmd/result payload, once it answered. */
  result?: CommandResultPayload;
}

export interface CommandRow {
  id: string;
  pole: string;
  name: string;
  args: string;
  status: CommandStatus;
  created_at: number;
  expires_at: number;
  result: string | null;
}

export const COMMANDS_TABLE = `CREATE TABLE IF NOT EXISTS commands (
  id TEXT PRIMARY KEY, pole TEXT NOT NULL, name TEXT NOT NULL, args TEXT NOT NULL, status TEXT NOT NULL,
  created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, result TEXT);
CREATE INDEX IF NOT EXISTS commands_by_pole ON commands (pole, created_at, id);
`;

type Placeholder = (n: number) => string;

export const commandSql = (p: Placeholder) => ({
  insert: `INSERT INTO commands (id, pole, name, args, status, created_at, expires_at) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, 'pending', ${p(5)}, ${p(6)})`,
  get: `SELECT * FROM commands WHERE id = ${p(1)}`,
  // A result is taken while the command waits, and also after it read back as expired: the pole
  // ran it in time (it refuses expired ones) and its answer was late, so the answer is the truth.
  result: `UPDATE commands SET status = ${p(1)}, result = ${p(2)} WHERE id = ${p(3)} AND pole = ${p(4)} AND status = 'pending'`,
  pending: `SELECT * FROM commands WHERE pole = ${p(1)} AND status = 'pending' AND expires_at > ${p(2)} ORDER BY created_at, id`,
  /** Newest first, key [createdAt, id]. */
  list: `SELECT * FROM commands WHERE pole = ${p(1)} AND (created_at < ${p(2)} OR (created_at = ${p(2)} AND id < ${p(3)})) ORDER BY created_at DESC, id DESC LIMIT ${p(4)}`,
});

/** The status a result gives its command: a pole's EXPIRED refusal means expired, not failed. */
export function resultStatus(result: CommandResultPayload): CommandStatus {
  if (result.ok) return 'ok';
  return result.error?.code === 'EXPIRED' ? 'expired' : 'error';
}

export function commandView(row: CommandRow, now: number): CommandRecord {
  const status = row.status === 'pending' && row.expires_at <= now ? 'expired' : row.status;
  return {
    id: row.id,
    pole: row.pole,
    name: row.name,
    args: JSON.parse(row.args) as Record<string, unknown>,
    status,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    ...(row.result === null ? {} : { result: JSON.parse(row.result) as CommandResultPayload }),
  };
}

export function commandKey(row: CommandRow): [number, string] {
  return [Number(row.created_at), row.id];
}
