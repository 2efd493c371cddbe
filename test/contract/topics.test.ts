import t from 'tap';
import { parseTopic, topicFor, blobTopic, isPoleId } from '../../contract/topics.js';
import { validatePayload, decodePayload } from '../../contract/validate.js';

t.test('topics round-trip through the parser', async (t) => {
  t.same(parseTopic('city/v1', topicFor('city/v1', 'bj-cy-000123', 'telemetry')), { pole: 'bj-cy-000123', kind: 'telemetry' });
  t.same(parseTopic('city/v1', topicFor('city/v1', 'bj-cy-000123', 'cmd/result')), { pole: 'bj-cy-000123', kind: 'cmd/result' });
  const sha = 'a'.repeat(64);
  t.same(parseTopic('city/v1', blobTopic('city/v1', 'p-01', sha)), { pole: 'p-01', kind: 'blob', sha256: sha });
});

t.test('topics outside the tree are not parsed', async (t) => {
  for (const topic of ['city/v2/p-01/state', 'city/v1/P-01/state', 'city/v1/p-01/nope', 'city/v1/p-01', 'city/v1/p-01/blob/xyz', 'city/v1/ab/state']) {
    t.equal(parseTopic('city/v1', topic), undefined, topic);
  }
  t.notOk(isPoleId('-bad'));
  t.ok(isPoleId('bj-cy-000123'));
});

t.test('payload validation names the bad field', async (t) => {
  const good = { v: 1, pole: 'p-01', state: 'online', ts: 1, bootId: 'b' };
  t.ok(validatePayload('state', good).ok);
  const bad = validatePayload('state', { ...good, state: 'maybe' });
  t.equal(bad.ok, false);
  if (!bad.ok) t.match(bad.reason, /\/state/);
  const notJson = decodePayload('telemetry', Buffer.from('{nope'));
  t.equal(notJson.ok, false);
  if (!notJson.ok) t.match(notJson.reason, /not JSON/);
  const empty = validatePayload('telemetry', { v: 1, pole: 'p-01', stream: 's', readings: [] });
  t.equal(empty.ok, false);
});
