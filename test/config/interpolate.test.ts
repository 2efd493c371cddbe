import t from 'tap';
import { interpolate, maskReferences, unmaskReferences } from '../../config/interpolate.js';
import { parseYamlSource } from '../../config/yaml-source.js';

t.test('interpolate replaces set variables and reports the rest', async (t) => {
  t.same(interpolate('${A}/x/${B}', { A: 'a', B: 'b' }), { value: 'a/x/b', missing: [], malformed: [] });
  t.same(interpolate('pw=${SECRET}', {}), { value: 'pw=${SECRET}', missing: ['SECRET'], malformed: [] });
  t.same(interpolate('costs $${PRICE} and ${A}', { A: '1', PRICE: 'no' }).value, 'costs ${PRICE} and 1', '$${ escapes');
  t.same(interpolate('${bad-name} ${OPEN', {}).malformed, ['${bad-name}', '${OPEN']);
  t.equal(interpolate('$HOME and {x}', {}).value, '$HOME and {x}', 'only ${…} is a reference');
});

t.test('masking keeps length and round-trips', async (t) => {
  const text = 'a: { p: ${X}, q: $${Y} }';
  const masked = maskReferences(text);
  t.equal(masked.length, text.length);
  t.notMatch(masked, /\$\{/);
  t.equal(unmaskReferences(masked), text);
});

t.test('references work in flow mappings and never change the structure', async (t) => {
  const source = parseYamlSource('a: { p: ${X}, q: 1 }\nb: [x, "${X}-y"]\n', 'f.yaml', { X: 'p#ss, {w}: z' });
  t.same(source.syntaxIssues, []);
  t.same(source.value, { a: { p: 'p#ss, {w}: z', q: 1 }, b: ['x', 'p#ss, {w}: z-y'] });
  t.equal(source.interpolatedText, 'a: { p: p#ss, {w}: z, q: 1 }\nb: [x, "p#ss, {w}: z-y"]\n');
});

t.test('an unset variable is an issue at its path and column; keys are never interpolated', async (t) => {
  const source = parseYamlSource('uplink:\n  password: x${POLE_SECRET}\n${K}: 1\n', 'pole.yaml', {});
  t.same(source.referenceIssues, [
    {
      file: 'pole.yaml',
      path: 'uplink.password',
      line: 2,
      column: 14,
      message: 'environment variable POLE_SECRET is not set; export it or remove ${POLE_SECRET} from uplink.password',
    },
  ]);
  t.same(Object.keys(source.value as object), ['uplink', '${K}']);
});

t.test('every YAML syntax error is reported with its line', async (t) => {
  const source = parseYamlSource('a: [1, 2\nb: {\nc: "x\n', 'bad.yaml', {});
  t.ok(source.syntaxIssues.length >= 2, `several errors: ${source.syntaxIssues.map((i) => i.message).join(' | ')}`);
  t.ok(source.syntaxIssues.every((i) => i.file === 'bad.yaml' && typeof i.line === 'number' && i.message.startsWith('YAML syntax error: ')));
  t.equal(source.value, undefined);
  const duplicate = parseYamlSource('a: 1\na: 2\n', 'dup.yaml', {});
  t.match(duplicate.syntaxIssues, [{ line: 2, message: /unique/ }]);
});
