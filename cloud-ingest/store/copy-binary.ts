// Rows in PostgreSQL's binary COPY format (the "Binary Format" section of the COPY reference):
// a signature and two zero words, then per row a field count and each field as a length and its
// bytes in network order (-1 for NULL), then -1 as the end. Binary, not text, because numbers
// then need no formatting in Node and no parsing in the server, and strings no escaping.
import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** One column's PostgreSQL type as binary COPY writes it. */
export type CopyType = 'int2' | 'int4' | 'int8' | 'float8' | 'bool' | 'text';

const WIDTH: Record<Exclude<CopyType, 'text'>, number> = { int2: 2, int4: 4, int8: 8, float8: 8, bool: 1 };

/** A cell: null, a number (int and float types), a boolean (bool) or a string (text). */
export type CopyValue = number | string | boolean | null;

/** The COPY data for `rows`, each with one value per column of `types`, in that order. */
export function copyBinary(types: readonly CopyType[], rows: readonly (readonly CopyValue[])[]): Buffer {
  let size = SIGNATURE.length + 8 + 2;
  for (const row of rows) {
    size += 2;
    for (let c = 0; c < types.length; c++) {
      const value = row[c];
      const type = types[c]!;
      size += 4 + (value === null || value === undefined ? 0 : type === 'text' ? Buffer.byteLength(value as string) : WIDTH[type]);
    }
  }
  const out = Buffer.allocUnsafe(size);
  let at = SIGNATURE.copy(out, 0);
  at = out.writeInt32BE(0, at); // flags: no OIDs
  at = out.writeInt32BE(0, at); // no header extension
  for (const row of rows) {
    at = out.writeInt16BE(types.length, at);
    for (let c = 0; c < types.length; c++) {
      const value = row[c];
      if (value === null || value === undefined) {
        at = out.writeInt32BE(-1, at);
        continue;
      }
      const type = types[c]!;
      if (type === 'text') {
        const length = out.write(value as string, at + 4);
        out.writeInt32BE(length, at);
        at += 4 + length;
        continue;
      }
      at = out.writeInt32BE(WIDTH[type], at);
      switch (type) {
        case 'int2': at = out.writeInt16BE(value as number, at); break;
        case 'int4': at = out.writeInt32BE(value as number, at); break;
        // Two words rather than a BigInt per cell: a safe integer's high word is its quotient by
        // 2^32 (floored, so negatives come out in two's complement), its low word the rest.
        case 'int8': at = out.writeUInt32BE((value as number) >>> 0, out.writeInt32BE(Math.floor((value as number) / 2 ** 32), at)); break;
        case 'float8': at = out.writeDoubleBE(value as number, at); break;
        case 'bool': at = out.writeUInt8(value ? 1 : 0, at); break;
      }
    }
  }
  out.writeInt16BE(-1, at);
  return out;
}

/** Sends `rows` through `copy` (a `COPY … FROM STDIN (FORMAT binary)` statement) on `db`, in its transaction. */
export async function copyRows(db: pg.ClientBase, copy: string, types: readonly CopyType[], rows: readonly (readonly CopyValue[])[]): Promise<void> {
  const stream = db.query(copyFrom(copy));
  stream.end(copyBinary(types, rows));
  await finished(stream);
}
