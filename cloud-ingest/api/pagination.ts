// One page shape for every list of the API: `?limit=&cursor=` in, `{ <key>: [...], next }` out.
// The cursor is the store's page key (store.ts) as base64url JSON: opaque to clients, who only
// hand back what they were given, and checked on the way in so a forged one is a 400, not a 500.
import { Type, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';
import type { PageKey, PageQuery } from '../store/store.js';
import { ApiError } from './errors.js';

export interface Limits {
  default: number;
  max: number;
}

/** The querystring properties of a paginated route, to spread into its querystring schema. */
export function pageParams(limits: Limits) {
  return {
    limit: Type.Integer({ minimum: 1, default: limits.default, description: `Items per page; more than ${limits.max} is served as ${limits.max}.` }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'The `next` of the previous page; omit for the first page.' })),
  };
}

/** A page response: `key` holds the items, `next` the cursor of the following page or null at the end. */
export function pageResponse<P extends TProperties>(key: string, item: TSchema, extra?: P, options: { title?: string } = {}): TObject {
  return Type.Object({
    ...extra,
    [key]: Type.Array(item),
    next: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last page.' }),
  }, options);
}

export function encodeCursor(key: PageKey | null): string | null {
  return key === null ? null : Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * The store's page query for `limit` (capped at the list's maximum, as the API always did) and
 * `cursor`; `shape` says what each part of the key must be.
 */
export function pageQuery(query: { limit: number; cursor?: string }, limits: Limits, shape: ('string' | 'number')[]): PageQuery {
  const limit = Math.min(query.limit, limits.max);
  if (query.cursor === undefined) return { limit };
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(query.cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const fits = Array.isArray(key) && key.length === shape.length && key.every((part, i) => typeof part === shape[i] && (typeof part !== 'number' || Number.isSafeInteger(part)));
  if (!fits) throw new ApiError(400, 'query parameter cursor is not one this API returned; pass the `next` of a page, or omit it to start again');
  return { limit, after: key as PageKey };
}
