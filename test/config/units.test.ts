import t from 'tap';
import { checkUnit, unitTable } from '../../config/units.js';

/** The conversion of one unit, as the agent gets it. */
const toCanonical = (unit: string) => unitTable([unit])[unit]!;

const convert = (c: { factor: number; offset: number }, value: number) => value * c.factor + c.offset;

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
    t.equal(c.canonical, unit, `${from} is a ${unit} quantity`);
    t.ok(Math.abs(convert(c, value) - expected) < 1e-3, `${value} ${from} = ${expected} ${unit} (got ${convert(c, value)})`);
  }
});

t.test('field units pass through unchanged', async (t) => {
  for (const unit of ['%LEL', 'ppm', '%vol', '%RH', '']) {
    const c = toCanonical(unit);
    t.equal(c.canonical, unit);
    t.equal(convert(c, 12.5), 12.5);
  }
});

t.test('bad units are refused with a hint', async (t) => {
  t.equal(checkUnit('kPa'), undefined);
  t.match(checkUnit('furlongs'), /unknown unit 'furlongs'/);
  t.match(checkUnit('degC'), /unknown unit/);
  t.notMatch(checkUnit('furlongs'), /did you mean/, 'no suggestion when nothing is close');
  t.match(checkUnit('nope'), /unknown unit 'nope'/);
  t.notOk('nope' in unitTable(['nope']), 'left out of the table');
});

t.test('the unit table: the given units and the common ones, as plain data, without invalid units', async (t) => {
  const table = unitTable(['L/min', 'furlongs']);
  t.equal(table['L/min']!.canonical, 'm3/h');
  t.ok(Math.abs(table['L/min']!.factor - 0.06) < 1e-9, 'L/min → m3/h is × 0.06');
  t.equal(table['L/min']!.offset, 0);
  t.same(table.bar, { canonical: 'kPa', factor: 100, offset: 0 });
  t.same(table['%LEL'], { canonical: '%LEL', factor: 1, offset: 0 });
  t.notOk('furlongs' in table);
  t.same(structuredClone(table), table, 'crosses threads unchanged');
});

t.test('common misspellings get the UCUM code meant', async (t) => {
  const cases: Array<[string, string]> = [
    ['degC', 'Cel'], ['deg C', 'Cel'], ['°C', 'Cel'], ['celsius', 'Cel'], ['meters', 'm'], ['metre', 'm'], ['psig', '[psi]'],
    ['m3/hr', 'm3/h'], ['KPA', 'kPa'], ['Mpa', 'MPa'], ['hpa', 'hPa'], ['%rh', '%RH'], ['volts', 'V'], ['mps', 'm/s'],
  ];
  for (const [written, meant] of cases) t.match(checkUnit(written), `unknown unit '${written}' — did you mean '${meant}'?`, written);
});

t.test('valid UCUM codes that mean something else in the field are refused with what to write', async (t) => {
  t.equal(checkUnit('C'), "'C' is the coulomb (electric charge) in UCUM; for degrees Celsius write 'Cel'");
  t.match(checkUnit('F'), /farad .* write '\[degF\]'/);
  t.equal(checkUnit('Cel'), undefined);
});
