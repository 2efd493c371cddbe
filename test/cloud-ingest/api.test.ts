// The HTTP API on fastify, over a real socket of a real cloud: the OpenAPI document parses and
// names every route, a list walked with ?cursor= gives every item once, and a bad parameter is a
// 400 naming it.
import SwaggerParser from '@apidevtools/swagger-parser';
import t from 'tap';
import { ANONYMOUS, requireRole, type Caller } from '../../cloud-ingest/api/auth.js';
import { emptyBatch } from '../../cloud-ingest/store/store.js';
import { getJson, reading, startTestCloud, statePayload, telemetryPayload, type TestCloud } from './fixture.js';

/** Every item of a paged list under `key`, following `next`; and the number of pages. */
async function walk(tc: TestCloud, auth: string, path: string, key: string): Promise<{ items: unknown[]; pages: number }> {
  const items: unknown[] = [];
  let cursor: string | null = null;
  for (let pages = 1; ; pages++) {
    const sep = path.includes('?') ? '&' : '?';
    const res = await getJson(`${tc.http}${path}${cursor === null ? '' : `${sep}cursor=${encodeURIComponent(cursor)}`}`, auth);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    items.push(...res.body[key]);
    cursor = res.body.next;
    if (cursor === null) return { items, pages };
  }
}

t.test('the OpenAPI document parses as OpenAPI 3 and describes every route', async (t) => {
  const tc = await startTestCloud(t);
  const auth = `viewer:${tc.users.viewer}`;
  const res = await getJson(`${tc.http}/api/openapi.json`, auth);
  t.equal(res.status, 200);
  const doc = await SwaggerParser.validate(res.body);
  t.match((doc as { openapi: string }).openapi, /^3\./);
  t.same(Object.keys(doc.paths!).sort(), ['/api/alarms', '/api/blobs/{sha256}', '/api/commands/{id}', '/api/dead-letters', '/api/events', '/api/poles', '/api/poles/{id}', '/api/poles/{id}/alarms', '/api/poles/{id}/commands', '/api/poles/{id}/events', '/api/series', '/api/session', '/api/stream', '/health']);
  t.ok(res.body.paths['/api/series'].get.parameters.some((p: { name: string }) => p.name === 'cursor'), 'pagination parameters are documented');
  t.equal((await getJson(`${tc.http}/api/openapi.json`)).status, 401, 'behind the same credentials as the API');
});

t.test('a long pole list and a long series walk page by page without gaps or doubles', async (t) => {
  const tc = await startTestCloud(t);
  const auth = `viewer:${tc.users.viewer}`;
  const poles = Array.from({ length: 57 }, (_, i) => `pole-${String(i).padStart(2, '0')}`);
  const readings = Array.from({ length: 3000 }, (_, i) => reading(i + 1, { ts: 1_700_000_000_000 + Math.floor(i / 3) * 1000 }));
  await tc.cloud.store.writeBatch({ ...emptyBatch(Date.now()), states: poles.map((p) => statePayload(p, 'online')), telemetry: [telemetryPayload('pole-00', 's1', readings)] });

  const first = await getJson(`${tc.http}/api/poles?limit=10`, auth);
  t.equal(first.body.poles.length, 10);
  t.type(first.body.next, 'string');
  const list = await walk(tc, auth, '/api/poles?limit=10', 'poles');
  t.same(list.items.map((p) => (p as { id: string }).id), poles);
  t.equal(list.pages, 6);

  const series = await walk(tc, auth, '/api/series?pole=pole-00&device=gas-1&metric=lel&limit=700', 'points');
  t.equal(series.items.length, 3000);
  t.same(series.items.map((p) => (p as { value: number }).value), readings.map((r) => r.value), 'every point once, in order, across ties in ts');
  t.equal(series.pages, 5);
  const last = await getJson(`${tc.http}/api/series?pole=pole-00&device=gas-1&metric=lel&limit=10000`, auth);
  t.equal(last.body.next, null, 'a page holding the rest has no next');
  const capped = await getJson(`${tc.http}/api/series?pole=pole-00&device=gas-1&metric=lel&limit=100000`, auth);
  t.match(capped.body, { limit: 10000, next: null }, 'a limit above the maximum is served as the maximum, as before');
  t.match(last.body, { pole: 'pole-00', device: 'gas-1', metric: 'lel', from: 0, limit: 10000 });
});

t.test('bad parameters are 400s naming the parameter', async (t) => {
  const tc = await startTestCloud(t);
  const auth = `viewer:${tc.users.viewer}`;
  const cases: [string, string][] = [
    ['/api/series?pole=p&device=d', 'query parameter metric is required'],
    ['/api/series?pole=p&device=d&metric=m&from=yesterday', 'query parameter from must be integer, not "yesterday"'],
    ['/api/series?pole=p&device=d&metric=m&to=-5', 'query parameter to must be >= 0, not -5'],
    ['/api/poles?limit=0', 'query parameter limit must be >= 1, not 0'],
    ['/api/dead-letters?limit=-3', 'query parameter limit must be >= 1, not -3'],
    ['/api/poles?cursor=bm9wZQ', 'query parameter cursor is not one this API returned; pass the `next` of a page, or omit it to start again'],
    ['/api/poles/pole-a/alarms?cursor=WyJ4Il0', 'query parameter cursor is not one this API returned; pass the `next` of a page, or omit it to start again'],
    ['/api/blobs/zz', 'path parameter sha256 must match pattern "^[0-9a-f]{64}$", not "zz"'],
  ];
  for (const [path, error] of cases) t.same(await getJson(`${tc.http}${path}`, auth), { status: 400, body: { error } }, path);
  t.match(await getJson(`${tc.http}/api/nothing`, auth), { status: 404, body: { error: /no such endpoint: \/api\/nothing/ } });
  const post = await fetch(`${tc.http}/api/poles/pole-a`, { method: 'DELETE', headers: { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } });
  t.equal(post.status, 405);
  t.match(await post.json(), { error: 'DELETE is not supported on /api/poles/pole-a; it accepts GET' });
  t.equal((await fetch(`${tc.http}/api/poles`, { method: 'POST' })).status, 405, 'a wrong method is a 405 before any credentials');
  t.equal((await getJson(`${tc.http}/api/poles`)).status, 401, 'a known route needs them');
  t.same(tc.lines.filter((l) => l.includes('HTTP API request failed')), [], 'no bad parameter is an internal error');
});

t.test('requireRole refuses a reader with a 403 naming the role needed, and lets an operator through', async (t) => {
  const guard = requireRole('operate') as unknown as (req: { user: Caller }) => Promise<void>;
  await t.rejects(guard({ user: { name: 'viewer', role: 'read' } }), { status: 403, message: /user viewer has role read; this needs role operate/ });
  await t.resolves(guard({ user: { name: 'ops', role: 'operate' } }));
  await t.rejects(guard({ user: ANONYMOUS }), { status: 403, message: /anonymous has role read/ }, 'an open API reads, it does not command');
});
