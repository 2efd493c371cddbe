// GET /api/alarms and /api/events over a real socket, fed by poles publishing over MQTT.
import t from 'tap';
import { waitFor } from '../helpers/wait.js';
import { connectPole, getJson, publish, ROOT, startTestCloud } from './fixture.js';

t.test('city alarms and events: filters, one row per alarm from raised to cleared, 400 for bad filters', async (t) => {
  const tc = await startTestCloud(t);
  const auth = `viewer:${tc.users.viewer}`;
  const a = await connectPole(t, tc, 'pole-a');
  const b = await connectPole(t, tc, 'pole-b');
  const alarm = (pole: string, seq: number, id: string, state: 'raised' | 'cleared', severity: 'critical' | 'minor', ts: number) =>
    ({ v: 1, pole, stream: 's', seq, alarm: { id, rule: 'lel-high', device: 'gas-1', metric: 'lel', state, severity, value: 30, ts } });
  await publish(a, `${ROOT}/pole-a/alarm`, alarm('pole-a', 1, 'a1', 'raised', 'critical', 1000));
  await publish(a, `${ROOT}/pole-a/alarm`, alarm('pole-a', 2, 'a2', 'raised', 'minor', 2000));
  await publish(b, `${ROOT}/pole-b/alarm`, alarm('pole-b', 1, 'b1', 'raised', 'critical', 3000));
  await publish(a, `${ROOT}/pole-a/alarm`, alarm('pole-a', 3, 'a1', 'cleared', 'critical', 4000));
  await publish(a, `${ROOT}/pole-a/event`, { v: 1, pole: 'pole-a', stream: 's', seq: 4, event: { type: 'tamper', device: 'box', ts: 1500, open: true } });
  await publish(b, `${ROOT}/pole-b/event`, { v: 1, pole: 'pole-b', stream: 's', seq: 2, event: { type: 'motion', ts: 2500 } });

  const ids = async (query: string) => {
    const res = await getJson(`${tc.http}/api/alarms${query}`, auth);
    return res.body.alarms.map((x: { pole: string; id: string }) => `${x.pole}/${x.id}`);
  };
  t.same(await waitFor('every alarm stored', async () => {
    const all = await ids('');
    return all.length === 3 && all;
  }), ['pole-b/b1', 'pole-a/a2', 'pole-a/a1'], 'newest raised first, one row per alarm');
  t.same(await ids('?active=true'), ['pole-b/b1', 'pole-a/a2']);
  t.same(await ids('?active=false'), ['pole-a/a1']);
  t.same(await ids('?active=true&severity=critical'), ['pole-b/b1']);
  t.same(await ids('?pole=pole-a'), ['pole-a/a2', 'pole-a/a1']);
  const cleared = (await getJson(`${tc.http}/api/alarms?active=false`, auth)).body.alarms[0];
  t.same(cleared, { id: 'a1', pole: 'pole-a', rule: 'lel-high', device: 'gas-1', metric: 'lel', severity: 'critical', state: 'cleared', raisedAt: 1000, clearedAt: 4000, value: 30 });
  const paged = (await getJson(`${tc.http}/api/alarms?limit=2`, auth)).body;
  t.equal(paged.alarms.length, 2);
  t.same((await getJson(`${tc.http}/api/alarms?limit=2&cursor=${paged.next}`, auth)).body, { alarms: [cleared], next: null });

  const events = await waitFor('both events stored', async () => {
    const res = (await getJson(`${tc.http}/api/events`, auth)).body.events;
    return res.length === 2 && res;
  });
  t.same(events, [{ pole: 'pole-b', type: 'motion', ts: 2500 }, { pole: 'pole-a', type: 'tamper', device: 'box', ts: 1500, open: true }], 'newest first, the payload\'s own fields kept');
  t.same((await getJson(`${tc.http}/api/events?type=tamper`, auth)).body.events.map((e: { pole: string }) => e.pole), ['pole-a']);
  t.same((await getJson(`${tc.http}/api/events?pole=pole-b&from=2000&to=3000`, auth)).body.events.map((e: { ts: number }) => e.ts), [2500]);
  t.same((await getJson(`${tc.http}/api/events?to=2000`, auth)).body.events.map((e: { ts: number }) => e.ts), [1500]);

  t.match(await getJson(`${tc.http}/api/alarms?active=maybe`, auth), { status: 400, body: { error: /active/ } });
  t.match(await getJson(`${tc.http}/api/alarms?severity=loud`, auth), { status: 400, body: { error: /severity/ } });
  t.match(await getJson(`${tc.http}/api/events?from=yesterday`, auth), { status: 400, body: { error: /from/ } });
  t.equal((await getJson(`${tc.http}/api/alarms`)).status, 401, 'behind the API credentials');
});
