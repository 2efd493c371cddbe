import t from 'tap';
import { parseSize, parseDeadband } from '../../config/size.js';
import { PolegateError } from '../../config/errors.js';

t.test('sizes', async (t) => {
  t.equal(parseSize('256MiB'), 256 * 1024 * 1024);
  t.equal(parseSize('10MB'), 10_000_000);
  t.equal(parseSize('512KiB'), 524_288);
  t.equal(parseSize('2kB'), 2000);
  t.equal(parseSize('1.5 GiB'), 1.5 * 2 ** 30);
  t.equal(parseSize('100'), 100);
  t.equal(parseSize('100B'), 100);
  t.equal(parseSize(4096), 4096);
  for (const bad of ['256MB2', '10 mb', 'MiB', '-1', '', '0.1B']) {
    t.throws(() => parseSize(bad), PolegateError, `'${bad}' is refused`);
  }
  t.throws(() => parseSize(0), /greater than 0/);
  t.throws(() => parseSize(1.5), /whole number/);
  t.throws(() => parseSize('1TB'), /256MiB/);
});

t.test('deadbands', async (t) => {
  t.same(parseDeadband('0.5%'), { percent: 0.5 });
  t.same(parseDeadband('2 %'), { percent: 2 });
  t.same(parseDeadband(0.2), { absolute: 0.2 });
  t.same(parseDeadband(0), { absolute: 0 });
  for (const bad of ['0.5', 'x%', -1, Number.NaN, '%']) t.throws(() => parseDeadband(bad), PolegateError, `${String(bad)} is refused`);
});
