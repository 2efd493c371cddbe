import t from 'tap';
import type { ProfileMetric } from '../../../config/profile-schema.js';
import { planProfile, planReads } from '../../../drivers/modbus/read-plan.js';

const m = (name: string, fields: Partial<ProfileMetric>): ProfileMetric => ({ name, table: 'holding', address: 0, ...fields });
const shape = (metrics: ProfileMetric[], options = {}) =>
  planReads(metrics, options).map((r) => ({ table: r.table, address: r.address, count: r.count, metrics: r.metrics.map((p) => `${p.metric.name}@${p.offset}`) }));

t.test('adjacent registers of one table become one request, tables apart', async (t) => {
  const metrics = [
    m('b', { address: 1 }),
    m('a', { address: 0 }),
    m('f', { address: 2, type: 'float32' }),
    m('t', { table: 'input', address: 4, type: 'float32' }),
    m('fault', { table: 'discrete', address: 0 }),
    m('relay', { table: 'coil', address: 3 }),
  ];
  t.same(shape(metrics), [
    { table: 'holding', address: 0, count: 4, metrics: ['a@0', 'b@1', 'f@2'] },
    { table: 'input', address: 4, count: 2, metrics: ['t@0'] },
    { table: 'coil', address: 3, count: 1, metrics: ['relay@0'] },
    { table: 'discrete', address: 0, count: 1, metrics: ['fault@0'] },
  ]);
});

t.test('a gap splits a request unless maxGap allows it', async (t) => {
  const metrics = [m('a', { address: 0 }), m('b', { address: 3 })];
  t.equal(planReads(metrics).length, 2, 'gap of 2 with maxGap 0');
  t.same(shape(metrics, { maxGap: 2 }), [{ table: 'holding', address: 0, count: 4, metrics: ['a@0', 'b@3'] }]);
  t.equal(planReads(metrics, { maxGap: 1 }).length, 2, 'gap of 2 with maxGap 1');
});

t.test('bits of one register and overlapping metrics share a request', async (t) => {
  const metrics = [m('x', { address: 7, bit: 0 }), m('y', { address: 7, bit: 1 }), m('z', { address: 8 })];
  t.same(shape(metrics), [{ table: 'holding', address: 7, count: 2, metrics: ['x@0', 'y@0', 'z@1'] }]);
});

t.test('no request is longer than the device accepts', async (t) => {
  const metrics = Array.from({ length: 10 }, (_, i) => m(`r${i}`, { address: i * 2, type: 'uint32' }));
  const plan = planReads(metrics, { maxRegistersPerRead: 5 });
  t.same(plan.map((r) => [r.address, r.count]), [[0, 4], [4, 4], [8, 4], [12, 4], [16, 4]], 'a uint32 is never split');
  t.same(planReads(metrics).map((r) => r.count), [20], '125 registers by default');
  const coils = Array.from({ length: 2500 }, (_, i) => m(`c${i}`, { table: 'coil', address: i }));
  t.same(planReads(coils).map((r) => [r.address, r.count]), [[0, 2000], [2000, 500]], '2000 bits by default');
  t.same(planReads(coils, { maxBitsPerRead: 1000 }).map((r) => r.count), [1000, 1000, 500]);
});

t.test('a long string is planned with its full length', async (t) => {
  t.same(shape([m('serial', { address: 10, type: 'string', length: 8 }), m('after', { address: 18 })]), [
    { table: 'holding', address: 10, count: 9, metrics: ['serial@0', 'after@8'] },
  ]);
});

t.test('planProfile applies the profile\'s maxRegistersPerRead and maxGapRegisters', async (t) => {
  const metrics = [m('a', { address: 0 }), m('b', { address: 3 }), m('c', { address: 6 })];
  t.equal(planProfile({ name: 'p', metrics }).length, 3, 'adjacent only by default');
  t.same(planProfile({ name: 'p', maxGapRegisters: 2, metrics }).map((r) => [r.address, r.count]), [[0, 7]]);
  t.same(planProfile({ name: 'p', maxGapRegisters: 2, maxRegistersPerRead: 4, metrics }).map((r) => [r.address, r.count]), [[0, 4], [6, 1]]);
});
