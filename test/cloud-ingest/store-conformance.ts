// The store conformance suite: every Store implementation (SQLite, PostgreSQL) must pass it.
// Call it with a factory that returns a fresh, empty store.
import type { Test } from 'tap';
import { emptyBatch, type IngestBatch, type Page, type PageKey, type Store } from '../../cloud-ingest/store/store.js';
import { birthPayload, reading, statePayload, telemetryPayload } from './fixture.js';

export type StoreFactory = (t: Test) => Promise<Store>;

function batch(fill: Partial<IngestBatch>, receivedAt = 1000): IngestBatch {
  return { ...emptyBatch(receivedAt), ...fill };
}

/** Every item of a list, page by page from the first; also how many pages that took. */
async function walk<T>(fetch: (after: PageKey | undefined) => Promise<Page<T> | undefined>): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let after: PageKey | undefined;
  for (let pages = 1; ; pages++) {
    const page = (await fetch(after))!;
    items.push(...page.items);
    if (page.next === null) return { items, pages };
    after = page.next;
  }
}

export function storeConformance(t: Test, name: string, open: StoreFactory): void {
  t.test(`${name}: readings are kept once per (pole, stream, seq)`, async (t) => {
    const store = await open(t);
    const first = telemetryPayload('pole-a', 's1', [reading(1), reading(2)]);
    const overlap = telemetryPayload('pole-a', 's1', [reading(2), reading(3)]);
    const otherStream = telemetryPayload('pole-a', 's2', [reading(1)]);
    const otherPole = telemetryPayload('pole-b', 's1', [reading(1)]);
    t.same((await store.writeBatch(batch({ telemetry: [first] }))).telemetryDuplicates, [0]);
    t.same((await store.writeBatch(batch({ telemetry: [overlap, otherStream, otherPole, first] }))).telemetryDuplicates, [1, 0, 0, 2]);
    t.equal((await store.counts()).readings, 5);
  });

  t.test(`${name}: seq is unique per (pole, stream) across readings, alarms and events, and within a payload`, async (t) => {
    const store = await open(t);
    const alarm = { v: 1 as const, pole: 'pole-a', stream: 's1', seq: 5, alarm: { id: 'a1', rule: 'r', device: 'gas-1', metric: 'lel', state: 'raised' as const, severity: 'major' as const, value: 1, ts: 1 } };
    const event = { v: 1 as const, pole: 'pole-a', stream: 's1', seq: 6, event: { type: 'motion', ts: 2 } };
    await store.writeBatch(batch({ alarms: [alarm], events: [event] }));
    const result = await store.writeBatch(batch({ telemetry: [telemetryPayload('pole-a', 's1', [reading(4), reading(5), reading(6), reading(7), reading(7, { value: 99 })])] }));
    t.same(result.telemetryDuplicates, [3]);
    t.same((await store.writeBatch(batch({ events: [{ ...event, seq: 4 }] }))).eventDuplicates, [true]);
    const points = (await store.series({ pole: 'pole-a', device: 'gas-1', metric: 'lel', from: 0, to: Number.MAX_SAFE_INTEGER, limit: 10 }))!.items;
    t.same(points!.map((p) => p.value), [0.4, 0.7]);
  });

  t.test(`${name}: a batch that fails stores nothing, and its resend is stored whole`, async (t) => {
    const store = await open(t);
    const telemetry = [telemetryPayload('pole-new', 's1', [reading(1), reading(2)])];
    // A dead letter without a topic breaks a NOT NULL column, after the readings were written.
    const broken = { pole: null, topic: null, reason: 'x', payload: Buffer.from('x'), size: 1 } as unknown as IngestBatch['deadLetters'][number];
    await t.rejects(store.writeBatch(batch({ telemetry, deadLetters: [broken] })));
    t.same((await store.listPoles({ limit: 100 })).items, []);
    t.same((await store.writeBatch(batch({ telemetry }))).telemetryDuplicates, [0]);
    await store.writeBatch(batch({ telemetry: [telemetryPayload('pole-other', 's1', [reading(1)])] }));
    t.same((await store.listPoles({ limit: 100 })).items.map((p) => p.id), ['pole-new', 'pole-other']);
    t.equal((await store.series({ pole: 'pole-new', device: 'gas-1', metric: 'lel', from: 0, to: Number.MAX_SAFE_INTEGER, limit: 10 }))!.items.length, 2);
    t.equal((await store.counts()).readings, 3);
  });

  t.test(`${name}: large batches keep every reading once, in several statements`, async (t) => {
    const store = await open(t);
    const many = (from: number, n: number) => Array.from({ length: n }, (_, i) => reading(from + i, { metric: `m${(from + i) % 7}` }));
    t.same((await store.writeBatch(batch({ telemetry: [telemetryPayload('pole-a', 's1', many(0, 700)), telemetryPayload('pole-a', 's2', many(0, 300))] }))).telemetryDuplicates, [0, 0]);
    t.same((await store.writeBatch(batch({ telemetry: [telemetryPayload('pole-a', 's1', many(650, 400))] }))).telemetryDuplicates, [50]);
    t.equal((await store.counts()).readings, 1350);
    const m3 = (await store.series({ pole: 'pole-a', device: 'gas-1', metric: 'm3', from: 0, to: Number.MAX_SAFE_INTEGER, limit: 1000 }))!.items;
    t.equal(m3!.length, 150 + 43);
  });

  t.test(`${name}: series in time order within bounds and limit, values keep their type`, async (t) => {
    const store = await open(t);
    await store.writeBatch(batch({ telemetry: [telemetryPayload('pole-a', 's1', [
      reading(3), reading(1), reading(2, { quality: 'uncertain' }),
      reading(4, { metric: 'fault', value: false, unit: '' }), reading(5, { metric: 'mode', value: 'auto', unit: '' }),
    ])] }));
    const q = { pole: 'pole-a', device: 'gas-1', from: 0, to: Number.MAX_SAFE_INTEGER, limit: 100 };
    t.same((await store.series({ ...q, metric: 'lel' }))!.items.map((p) => p.value), [0.1, 0.2, 0.3]);
    t.same((await store.series({ ...q, metric: 'lel', from: 1_700_000_002_000, limit: 1 }))?.items, [{ ts: 1_700_000_002_000, value: 0.2, quality: 'uncertain' }]);
    t.same((await store.series({ ...q, metric: 'fault' }))!.items.map((p) => p.value), [false]);
    t.same((await store.series({ ...q, metric: 'mode' }))!.items.map((p) => p.value), ['auto']);
    t.equal(await store.series({ ...q, metric: 'nope' }), undefined);
    t.equal(await store.series({ ...q, pole: 'nope', metric: 'lel' }), undefined);
  });

  t.test(`${name}: every value keeps its own type when a series' type changes`, async (t) => {
    const store = await open(t);
    // A `bad` reading of a numeric metric may carry a string; a string that looks like a number stays a string.
    const values = [312.5, 1, 0, true, false, 'E42 sensor fault', '042', 7];
    await store.writeBatch(batch({ telemetry: [telemetryPayload('pole-a', 's1', values.slice(0, 4).map((value, i) => reading(i + 1, { value })))] }));
    await store.writeBatch(batch({ telemetry: [telemetryPayload('pole-a', 's1', values.slice(4).map((value, i) => reading(i + 5, { value })))] }));
    const points = (await store.series({ pole: 'pole-a', device: 'gas-1', metric: 'lel', from: 0, to: Number.MAX_SAFE_INTEGER, limit: 100 }))!.items;
    t.same(points!.map((p) => p.value), values);
    t.same(points!.map((p) => typeof p.value), values.map((v) => typeof v));
    await store.writeBatch(batch({ telemetry: [telemetryPayload('pole-a', 's1', [reading(9, { value: true })])] }));
    const lel = (await store.getPole('pole-a'))!.devices[0]!.metrics.find((m) => m.name === 'lel')!;
    t.match(lel, { type: 'boolean', latest: { value: true } });
    t.same((await store.series({ pole: 'pole-a', device: 'gas-1', metric: 'lel', from: 0, to: Number.MAX_SAFE_INTEGER, limit: 100 }))!.items.map((p) => p.value), [...values, true]);
  });

  t.test(`${name}: birth, state and latest values make the pole view`, async (t) => {
    const store = await open(t);
    await store.writeBatch(batch({ births: [birthPayload('pole-a')], states: [statePayload('pole-a', 'online')] }, 1000));
    await store.writeBatch(batch({ telemetry: [telemetryPayload('pole-a', 's1', [reading(2), reading(1), reading(3, { device: 'extra-1', metric: 'x' })])] }, 2000));
    await store.writeBatch(batch({ states: [statePayload('pole-a', 'online'), statePayload('pole-a', 'offline')] }, 3000));
    const poles = (await store.listPoles({ limit: 100 })).items;
    t.match(poles, [{ id: 'pole-a', state: 'offline', lastSeen: 3000, componentCode: '1101050101000123', location: { lat: 39.92, lon: 116.44, grid: '110105001001' }, activeAlarms: 0 }]);
    const pole = (await store.getPole('pole-a'))!;
    t.match(pole, { bootId: 'boot-1', birth: { bootId: 'boot-1', agent: { version: '0.1.0' }, configHash: 'abc' } });
    t.match(pole.devices, [
      { id: 'gas-1', driver: 'modbus', metrics: [{ name: 'lel', latest: { value: 0.2, ts: 1_700_000_002_000 } }, { name: 'fault', latest: null }] },
      { id: 'extra-1', driver: null, metrics: [{ name: 'x', latest: { value: 0.3 } }] },
    ]);
    t.equal(await store.getPole('nope'), undefined);
  });

  t.test(`${name}: alarms are kept once and drive the active count; events, blobs and dead letters`, async (t) => {
    const store = await open(t);
    const alarm = (seq: number, state: 'raised' | 'cleared', ts: number) => ({ v: 1 as const, pole: 'pole-a', stream: 's1', seq, alarm: { id: 'a1', rule: 'gas-high', device: 'gas-1', metric: 'lel', state, severity: 'critical' as const, value: 25, ts } });
    const event = { v: 1 as const, pole: 'pole-a', stream: 's1', seq: 9, event: { type: 'motion', device: 'cam-1', ts: 5 } };
    t.same((await store.writeBatch(batch({ alarms: [alarm(1, 'raised', 10)], events: [event] }))).eventDuplicates, [false]);
    t.equal((await store.listPoles({ limit: 100 })).items[0]!.activeAlarms, 1);
    const again = await store.writeBatch(batch({ alarms: [alarm(1, 'raised', 10), alarm(2, 'cleared', 20)], events: [event] }));
    t.same(again.alarmDuplicates, [true, false]);
    t.same(again.eventDuplicates, [true]);
    t.equal((await store.listPoles({ limit: 100 })).items[0]!.activeAlarms, 0);
    await store.writeBatch(batch({ blobs: [{ pole: 'pole-a', sha256: 'ab'.repeat(32), bytes: Buffer.from('jpeg') }] }));
    t.same(await store.blob('ab'.repeat(32)), Buffer.from('jpeg'));
    t.equal(await store.blob('cd'.repeat(32)), undefined);
    await store.writeBatch(batch({ deadLetters: [
      { pole: 'pole-a', topic: 't/1', reason: 'first', payload: Buffer.from('x'), size: 1 },
      { pole: null, topic: 't/2', reason: 'second', payload: Buffer.from('y'), size: 9 },
    ] }, 4000));
    t.match((await store.deadLetters({ limit: 10 })).items, [{ reason: 'second', pole: null, size: 9, receivedAt: 4000 }, { reason: 'first', pole: 'pole-a' }]);
    t.equal((await store.deadLetters({ limit: 1 })).items.length, 1);
  });

  t.test(`${name}: blobs are kept once by hash; recent alarms and events show their snapshots, newest first`, async (t) => {
    const store = await open(t);
    const ref = `sha256:${'ab'.repeat(32)}`;
    const picture = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    await store.writeBatch(batch({ blobs: [{ pole: 'pole-a', sha256: 'ab'.repeat(32), bytes: picture }] }));
    await store.writeBatch(batch({ blobs: [{ pole: 'pole-a', sha256: 'ab'.repeat(32), bytes: picture }] }));
    t.equal((await store.counts()).blobs, 1, 'a resent blob is kept once');
    t.same(await store.blob('ab'.repeat(32)), picture);
    const raised = { v: 1 as const, pole: 'pole-a', stream: 's1', seq: 1, alarm: { id: 'a1', rule: 'gas-high', device: 'gas-1', metric: 'lel', state: 'raised' as const, severity: 'critical' as const, value: 25.5, threshold: 20, ts: 10, snapshot: ref } };
    const cleared = { v: 1 as const, pole: 'pole-a', stream: 's1', seq: 3, alarm: { id: 'a1', rule: 'gas-high', device: 'gas-1', metric: 'lel', state: 'cleared' as const, severity: 'critical' as const, value: 'low', ts: 30 } };
    const snapshot = { v: 1 as const, pole: 'pole-a', stream: 's1', seq: 2, event: { type: 'snapshot', device: 'cam-1', ts: 20, snapshot: ref, size: 7, cause: 'command' } };
    const other = { v: 1 as const, pole: 'pole-b', stream: 's9', seq: 1, event: { type: 'motion', device: 'cam-1', ts: 25 } };
    await store.writeBatch(batch({ alarms: [raised, cleared], events: [snapshot, other] }));
    t.same((await store.recentAlarms('pole-a', { limit: 10 }))?.items, [cleared.alarm, raised.alarm], 'newest first, with the snapshot ref');
    t.same((await store.recentAlarms('pole-a', { limit: 1 }))?.items, [cleared.alarm]);
    t.same((await store.recentEvents('pole-a', { limit: 10 }))?.items, [snapshot.event], 'only the pole\'s own events');
    t.same((await store.recentAlarms('pole-b', { limit: 10 }))?.items, []);
    t.equal(await store.recentAlarms('nope', { limit: 10 }), undefined);
    t.equal(await store.recentEvents('nope', { limit: 10 }), undefined);
  });

  t.test(`${name}: pages walk a long series, pole list, history and dead letters without gaps or doubles`, async (t) => {
    const store = await open(t);
    // Two streams with readings at the same instants: the key must break ties past ts.
    const s1 = Array.from({ length: 1500 }, (_, i) => reading(i + 1, { ts: 1_700_000_000_000 + Math.floor(i / 2) * 1000 }));
    const s2 = Array.from({ length: 500 }, (_, i) => reading(i + 1, { ts: 1_700_000_000_000 + i * 1000, value: -i }));
    const poles = Array.from({ length: 130 }, (_, i) => statePayload(`pole-${String(i).padStart(3, '0')}`, 'online'));
    const alarms = Array.from({ length: 45 }, (_, i) => ({ v: 1 as const, pole: 'pole-000', stream: `a${i % 2}`, seq: i, alarm: { id: `a${i}`, rule: 'r', device: 'gas-1', metric: 'lel', state: 'raised' as const, severity: 'major' as const, value: i, ts: Math.floor(i / 3) } }));
    const events = Array.from({ length: 45 }, (_, i) => ({ v: 1 as const, pole: 'pole-000', stream: `e${i % 3}`, seq: i, event: { type: 'motion', ts: Math.floor(i / 4), n: i } }));
    const letters = Array.from({ length: 33 }, (_, i) => ({ pole: null, topic: `t/${i}`, reason: 'r', payload: Buffer.from('x'), size: 1 }));
    await store.writeBatch(batch({ telemetry: [telemetryPayload('pole-000', 's1', s1), telemetryPayload('pole-000', 's2', s2)], states: poles, alarms, events, deadLetters: letters }));

    const q = { pole: 'pole-000', device: 'gas-1', metric: 'lel', from: 0, to: Number.MAX_SAFE_INTEGER };
    const all = (await store.series({ ...q, limit: 10_000 }))!;
    t.equal(all.items.length, 2000);
    t.equal(all.next, null, 'one page holds it all: no next');
    const series = await walk((after) => store.series({ ...q, limit: 7, after }));
    t.same(series.items, all.items, 'the pages of 7 join into the one page, in order');
    t.equal(series.pages, Math.ceil(2000 / 7));
    const window = { ...q, from: 1_700_000_100_000, to: 1_700_000_199_000 };
    t.same((await walk((after) => store.series({ ...window, limit: 9, after }))).items, (await store.series({ ...window, limit: 10_000 }))!.items, 'from and to hold on every page');

    const poleList = await walk((after) => store.listPoles({ limit: 11, after }));
    t.same(poleList.items.map((p) => p.id), poles.map((p) => p.pole));
    const alarmList = await walk((after) => store.recentAlarms('pole-000', { limit: 4, after }));
    t.same(alarmList.items.map((a) => a.id).sort(), alarms.map((a) => a.alarm.id).sort(), 'every alarm once');
    t.same(alarmList.items.map((a) => a.ts), [...alarmList.items.map((a) => a.ts)].sort((a, b) => b - a), 'newest first');
    const eventList = await walk((after) => store.recentEvents('pole-000', { limit: 4, after }));
    t.same(eventList.items.map((e) => (e as { n?: number }).n).sort((a, b) => a! - b!), events.map((e) => e.event.n));
    const letterList = await walk((after) => store.deadLetters({ limit: 5, after }));
    t.same(letterList.items.map((d) => d.topic), letters.map((d) => d.topic).reverse(), 'latest first, each once');
  });

  t.test(`${name}: commands are kept pending, take their pole's result once, read as expired after expiresAt, and page newest first`, async (t) => {
    const store = await open(t);
    const cmd = (id: string, createdAt: number, pole = 'pole-a') => ({ id, pole, name: 'poll', args: { device: 'gas-1' }, createdAt, expiresAt: createdAt + 100 });
    for (let i = 0; i < 9; i++) await store.addCommand(cmd(`c${i}`, 1000 + Math.floor(i / 2)));
    await store.addCommand(cmd('other', 1000, 'pole-b'));
    t.same(await store.getCommand('c0', 1050), { ...cmd('c0', 1000), status: 'pending' });
    t.equal((await store.getCommand('c0', 1100))!.status, 'expired', 'pending past expiresAt reads as expired');
    t.equal(await store.getCommand('nope', 0), undefined);
    t.same((await store.pendingCommands('pole-a', 1100)).map((c) => c.id), ['c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8'], 'unexpired pending ones, oldest first');

    const ok = { v: 1 as const, id: 'c1', ok: true, result: { readings: [] } };
    t.equal(await store.commandResult('pole-b', ok), false, 'another pole cannot answer it');
    t.equal(await store.commandResult('pole-a', ok), true);
    t.equal(await store.commandResult('pole-a', { ...ok, ok: false }), false, 'answered once');
    t.same(await store.getCommand('c1', 5000), { ...cmd('c1', 1000), status: 'ok', result: ok }, 'a result stays after expiry');
    await store.commandResult('pole-a', { v: 1, id: 'c2', ok: false, error: { code: 'UNKNOWN_DEVICE', message: 'no' } });
    await store.commandResult('pole-a', { v: 1, id: 'c3', ok: false, error: { code: 'EXPIRED', message: 'late' } });
    t.equal((await store.getCommand('c2', 0))!.status, 'error');
    t.equal((await store.getCommand('c3', 0))!.status, 'expired', 'the pole refusing it as expired');
    t.notOk((await store.pendingCommands('pole-a', 0)).some((c) => ['c1', 'c2', 'c3'].includes(c.id)), 'answered ones are not pending');

    const list = await walk((after) => store.listCommands('pole-a', { limit: 2, after }, 0));
    t.same(list.items.map((c) => c.id), ['c8', 'c7', 'c6', 'c5', 'c4', 'c3', 'c2', 'c1', 'c0'], 'newest first, ties by id, each once');
    t.equal(list.pages, 5);
    t.same((await store.listCommands('pole-c', { limit: 2 }, 0)).items, []);
  });

  t.test(`${name}: city alarms are one row from raised to cleared, filtered, with a later snapshot linked; city events filtered and paged`, async (t) => {
    const store = await open(t);
    const alarm = (pole: string, seq: number, id: string, state: 'raised' | 'cleared', ts: number, severity: 'major' | 'minor' = 'major', snapshot?: string) =>
      ({ v: 1 as const, pole, stream: 'a', seq, alarm: { id, rule: 'lel-high', device: 'gas-1', metric: 'lel', state, severity, value: 20 + seq, ts, ...(snapshot ? { snapshot } : {}) } });
    const snap = 'b'.repeat(64);
    const events = [
      { v: 1 as const, pole: 'pole-a', stream: 'e', seq: 1, event: { type: 'motion', device: 'cam-1', ts: 100 } },
      { v: 1 as const, pole: 'pole-a', stream: 'e', seq: 2, event: { type: 'snapshot', device: 'cam-1', ts: 250, snapshot: snap, size: 10, cause: 'alarm', alarm: 'x2' } },
      { v: 1 as const, pole: 'pole-b', stream: 'e', seq: 1, event: { type: 'motion', ts: 300 } },
    ];
    await store.writeBatch(batch({ alarms: [alarm('pole-a', 1, 'x1', 'raised', 100), alarm('pole-a', 2, 'x2', 'raised', 200), alarm('pole-b', 1, 'y1', 'raised', 150, 'minor', 'c'.repeat(64))], events }));
    await store.writeBatch(batch({ alarms: [alarm('pole-a', 3, 'x1', 'cleared', 400)] }));
    const all = await store.alarms({}, { limit: 10 });
    t.same(all.items, [
      { id: 'x2', pole: 'pole-a', rule: 'lel-high', device: 'gas-1', metric: 'lel', severity: 'major', state: 'raised', raisedAt: 200, value: 22, snapshot: snap },
      { id: 'y1', pole: 'pole-b', rule: 'lel-high', device: 'gas-1', metric: 'lel', severity: 'minor', state: 'raised', raisedAt: 150, value: 21, snapshot: 'c'.repeat(64) },
      { id: 'x1', pole: 'pole-a', rule: 'lel-high', device: 'gas-1', metric: 'lel', severity: 'major', state: 'cleared', raisedAt: 100, clearedAt: 400, value: 21 },
    ], 'one row per alarm, newest raised first, the later snapshot linked');
    t.same((await store.alarms({ active: true }, { limit: 10 })).items.map((a) => a.id), ['x2', 'y1']);
    t.same((await store.alarms({ active: false }, { limit: 10 })).items.map((a) => a.id), ['x1']);
    t.same((await store.alarms({ active: true, pole: 'pole-a', severity: 'major' }, { limit: 10 })).items.map((a) => a.id), ['x2']);
    t.same((await store.alarms({ severity: 'minor' }, { limit: 10 })).items.map((a) => a.id), ['y1']);
    t.same((await walk((after) => store.alarms({}, { limit: 1, after }))).items, all.items, 'pages of one join into the list');

    const allEvents = await store.events({}, { limit: 10 });
    t.same(allEvents.items.map((e) => [e.pole, e.type, e.ts]), [['pole-b', 'motion', 300], ['pole-a', 'snapshot', 250], ['pole-a', 'motion', 100]]);
    t.same(allEvents.items[2], { pole: 'pole-a', type: 'motion', device: 'cam-1', ts: 100 });
    t.same((await store.events({ pole: 'pole-a', type: 'motion' }, { limit: 10 })).items.map((e) => e.ts), [100]);
    t.same((await store.events({ from: 200, to: 300 }, { limit: 10 })).items.map((e) => e.ts), [300, 250]);
    t.same((await walk((after) => store.events({}, { limit: 2, after }))).items, allEvents.items);
  });
}
