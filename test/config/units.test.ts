import t from 'tap';
import { checkUnit, toCanonical } from '../../config/units.js';

t.test('units convert into the canonical unit of their quantity', async (t) => {
  const cases: Array<[string, number, string, number]> = [
    ['MPa', 1.2, 'kPa', 1200],
    ['bar', 1, 'kPa', 100],
    ['psi', 10, 'kPa', 68.9476],
    ['kPa', 5, 'kPa', 5],
    ['cm', 150, 'm', 1.5],
    ['mm', 2500, 'm', 2.5],
    ['[degF]', 212, 'Cel', 100],
    ['K', 273.15, 'Cel', 0],
    ['L/min', 1000, 'm3/h', 60],
    ['mV', 1500, 'V', 1.5],
  ];
  for (const [from, value, unit, expected] of cases) {
    const c = toCanonical(from);
    t.equal(c.unit, unit, `${from} is a ${unit} quantity`);
    t.ok(Math.abs(c.convert(value) - expected) < 1e-3, `${value} ${from} = ${expected} ${unit} (got ${c.convert(value)})`);
  }
});

t.test('field units pass through unchanged', async (t) => {
  for (const unit of ['%LEL', 'ppm', '%vol', '%RH', '']) {
    const c = toCanonical(unit);
    t.equal(c.unit, unit);
    t.equal(c.convert(12.5), 12.5);
  }
});

t.test('bad units are refused with a hint', async (t) => {
  t.equal(checkUnit('kPa'), undefined);
  t.match(checkUnit('furlongs'), /unknown unit 'furlongs'/);
  t.match(checkUnit('degC'), /unknown unit/);
  t.throws(() => toCanonical('nope'), /unknown unit 'nope'/);
});
