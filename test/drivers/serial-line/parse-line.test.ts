import t from 'tap';
import type { SerialLineProfile } from '../../../config/profile-schema.js';
import { lineParser, parseValue } from '../../../drivers/serial-line/parse-line.js';

const profile: SerialLineProfile = {
  kind: 'serial-line',
  name: 'test',
  line: '^H=(?<height>\\S+) N=(?<count>\\S+) P=(?<pump>\\S+) S=(?<state>.*)$',
  metrics: [
    { name: 'height', type: 'float', unit: 'cm', scale: 10, offset: -1 },
    { name: 'count', type: 'int' },
    { name: 'pump', type: 'bool' },
    { name: 'state', type: 'string' },
  ],
};

t.test('values by type, with scale and offset', async (t) => {
  const samples = lineParser(profile).samples('H=1.25 N=-42 P=ON S=auto mode', 7);
  t.same(samples.map((s) => [s.metric, s.value, s.unit, s.quality]), [['height', 11.5, 'cm', 'good'], ['count', -42, '', 'good'], ['pump', true, '', 'good'], ['state', 'auto mode', '', 'good']]);
  t.ok(samples.every((s) => s.ts === 7));
});

t.test('a group that does not parse makes its metric bad; the others stay good', async (t) => {
  const samples = lineParser(profile).samples('H=1e3x N=4.5 P=maybe S=', 1);
  t.same(samples.map((s) => [s.metric, s.quality, s.reason]), [
    ['height', 'bad', '"1e3x" is not a number'],
    ['count', 'bad', '"4.5" is not an integer'],
    ['pump', 'bad', '"maybe" is not a bool (1/0, true/false, on/off, yes/no)'],
    ['state', 'good', undefined],
  ]);
});

t.test('a line that does not match: every metric bad with the line quoted', async (t) => {
  const parser = lineParser(profile);
  t.equal(parser.refuse('H=1 N=2'), 'line "H=1 N=2" does not match the profile\'s line: pattern');
  t.equal(parser.refuse('H=1 N=2 P=0 S=x'), undefined);
  t.ok(parser.samples('garbage', 1).every((s) => s.quality === 'bad' && s.value === null && /line "garbage" does not match/.test(s.reason!)));
});

t.test('parseValue edge cases', async (t) => {
  t.same(parseValue({ name: 'x', type: 'float' }, ' -.5 '), { value: -0.5 });
  t.same(parseValue({ name: 'x', type: 'float' }, '1.5E-3'), { value: 0.0015 });
  t.same(parseValue({ name: 'x', type: 'float' }, ''), { reason: '"" is not a number' });
  t.same(parseValue({ name: 'x', type: 'bool' }, '0'), { value: false });
  t.same(parseValue({ name: 'x', type: 'string' }, ' padded '), { value: ' padded ' });
});
