import t from 'tap';
import { unitTable } from '../../config/units.js';
import { describeForBirth, normalizeSample, normalizeSamples, unknownUnits } from '../../edge-agent/normalizer.js';

// The pole's table as config/ computes it: the common units (kPa, MPa, bar, cm, mm, [degF], …).
const units = unitTable([]);

t.test('numbers are converted into the canonical unit of their quantity', async (t) => {
  const r = normalizeSample('p1', { metric: 'pressure', value: 0.25, unit: 'MPa', ts: 1000, quality: 'good' }, units);
  t.same(r, { device: 'p1', metric: 'pressure', value: 250, unit: 'kPa', ts: 1000, quality: 'good' });
  const f = normalizeSample('t1', { metric: 'temp', value: 212, unit: '[degF]', ts: 5, quality: 'uncertain' }, units);
  t.equal(f.unit, 'Cel');
  t.ok(Math.abs((f.value as number) - 100) < 1e-9);
  t.equal(f.quality, 'uncertain', 'quality is kept');
  t.equal(f.ts, 5, 'source ts is kept');
  t.equal(normalizeSample('l', { metric: 'level', value: 150, unit: 'cm', ts: 1, quality: 'good' }, units).value, 1.5);
});

t.test('field units pass through unchanged', async (t) => {
  t.same(normalizeSample('g', { metric: 'lel', value: 12.5, unit: '%LEL', ts: 1, quality: 'good' }, units), { device: 'g', metric: 'lel', value: 12.5, unit: '%LEL', ts: 1, quality: 'good' });
});

t.test('booleans and strings pass through; their unit is still canonical', async (t) => {
  t.same(normalizeSample('d', { metric: 'fault', value: true, unit: '', ts: 2, quality: 'good' }, units).value, true);
  const s = normalizeSample('d', { metric: 'mode', value: 'auto', unit: '', ts: 2, quality: 'good' }, units);
  t.equal(s.value, 'auto');
  t.equal(s.unit, '');
});

t.test('a missing or non-finite value is a bad reading with a string value saying why', async (t) => {
  const withReason = normalizeSample('d', { metric: 'x', value: null, unit: 'bar', ts: 3, quality: 'bad', reason: 'Modbus exception 2' }, units);
  t.same(withReason, { device: 'd', metric: 'x', value: 'Modbus exception 2', unit: 'kPa', ts: 3, quality: 'bad', reason: 'Modbus exception 2' });
  t.equal(normalizeSample('d', { metric: 'x', value: null, unit: 'm', ts: 3, quality: 'bad' }, units).value, 'no value');
  const nan = normalizeSample('d', { metric: 'x', value: Number.NaN, unit: 'm', ts: 3, quality: 'good' }, units);
  t.equal(nan.quality, 'bad', 'a NaN that claims to be good is bad');
  t.equal(nan.value, 'NaN');
  t.equal(normalizeSample('d', { metric: 'x', value: Infinity, unit: 'm', ts: 3, quality: 'good' }, units).value, 'Infinity');
});

t.test('an unknown unit is kept as written and the reading is no better than uncertain', async (t) => {
  const r = normalizeSample('d', { metric: 'x', value: 4, unit: 'furlongs-ish', ts: 1, quality: 'good' }, units);
  t.same(r, { device: 'd', metric: 'x', value: 4, unit: 'furlongs-ish', ts: 1, quality: 'uncertain', reason: "unit furlongs-ish is not in the pole's unit table: sent as written, not converted" });
});

t.test('a sample that is not good carries its reason to the wire; a good one carries none', async (t) => {
  t.same(normalizeSample('d', { metric: 'l', value: 2.5, unit: 'm', ts: 1, quality: 'uncertain', reason: 'UncertainLastUsableValue' }, units), { device: 'd', metric: 'l', value: 2.5, unit: 'm', ts: 1, quality: 'uncertain', reason: 'UncertainLastUsableValue' });
  t.notOk('reason' in normalizeSample('d', { metric: 'l', value: 2.5, unit: 'm', ts: 1, quality: 'good', reason: 'ignored' }, units));
});

t.test('normalizeSamples keeps order', async (t) => {
  const rs = normalizeSamples('d', [
    { metric: 'a', value: 1, unit: 'mm', ts: 1, quality: 'good' },
    { metric: 'b', value: 2, unit: 'V', ts: 1, quality: 'good' },
  ], units);
  t.same(rs.map((r) => [r.metric, r.value, r.unit]), [['a', 0.001, 'm'], ['b', 2, 'V']]);
});

t.test('birth description lists canonical units', async (t) => {
  t.same(describeForBirth('p1', 'modbus', { model: 'PT-1', metrics: [{ name: 'pressure', unit: 'bar', type: 'number' }, { name: 'fault', unit: '', type: 'boolean' }] }, units), {
    id: 'p1', driver: 'modbus', model: 'PT-1', metrics: [{ name: 'pressure', type: 'number', unit: 'kPa' }, { name: 'fault', type: 'boolean', unit: '' }],
  });
  t.notOk('model' in describeForBirth('x', 'y', { metrics: [] }, units), 'no model key when the driver has none');
});

t.test('a unit the table lacks is kept as written, at best uncertain', async (t) => {
  const only = unitTable(['hPa']);
  t.same(normalizeSample('d', { metric: 'p', value: 2000, unit: 'hPa', ts: 1, quality: 'good' }, only), { device: 'd', metric: 'p', value: 200, unit: 'kPa', ts: 1, quality: 'good' }, 'a profile unit is in the table');
  t.match(normalizeSample('d', { metric: 'p', value: 1013, unit: 'hPa', ts: 1, quality: 'good' }, units), { device: 'd', metric: 'p', value: 1013, unit: 'hPa', ts: 1, quality: 'uncertain', reason: /unit hPa is not in the pole's unit table/ });
  t.equal(normalizeSample('d', { metric: 'x', value: 1, unit: 'constructor', ts: 1, quality: 'good' }, units).quality, 'uncertain', 'no inherited keys');
});

t.test('a converted value keeps the resolution of the source, without binary noise', async (t) => {
  const value = (v: number, unit: string) => normalizeSample('d', { metric: 'x', value: v, unit, ts: 1, quality: 'good' }, units).value;
  t.equal(value(0.35031587, 'MPa'), 350.31587, 'not 350.31586999999996');
  t.equal(normalizeSample('d', { metric: 'x', value: 1013.2, unit: 'hPa', ts: 1, quality: 'good' }, unitTable(['hPa'])).value, 101.32, 'not 101.32000000000001');
  t.equal(value(3.3, 'bar'), 330);
  t.equal(value(2500, 'mm'), 2.5);
  t.equal(value(1, 'mm'), 0.001, 'a whole mm is a thousandth of a metre, not rounded away');
  t.equal(value(212, '[degF]'), 100, 'not 99.99999999999997');
  t.equal(value(70.3, '[degF]'), 21.28, 'one decimal of °F is about a twentieth of a degree Celsius: two places');
  t.equal(value(298.15, 'K'), 25);
  t.equal(value(1.5e-7, 'MPa'), 0.00015, 'exponent notation counts its decimals');
  t.equal(value(5, 'MPa'), 5000, 'never coarser than a whole unit');
  t.equal(value(12.25, 'kPa'), 12.25, 'no conversion, no rounding');
});

t.test('unknownUnits: the units of a description the table lacks, once each', async (t) => {
  t.same(unknownUnits({ metrics: [{ name: 'a', unit: 'furlong', type: 'number' }, { name: 'b', unit: 'kPa', type: 'number' }, { name: 'c', unit: 'furlong', type: 'number' }] }, units), ['furlong']);
  t.same(unknownUnits({ metrics: [{ name: 'a', unit: '', type: 'boolean' }] }, units), []);
});
