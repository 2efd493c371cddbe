// Defect 11 of the outside probe, against the real `polegate cloud`: broken percent-encoding in a
// path is the client's error (400 naming the segment), not an internal error.
import t from 'tap';
import { getJson } from '../cloud-ingest/fixture.js';
import { startCloudProcess } from './cloud-process.js';

t.test('GET /api/poles/%ZZ is a 400, and the cloud logs no internal error', async (t) => {
  const cloud = await startCloudProcess(t);
  const res = await getJson(`http://127.0.0.1:${cloud.httpPort}/api/poles/%ZZ`, `viewer:${cloud.users.viewer}`);
  t.equal(res.status, 400);
  t.same(res.body, { error: 'the path segment "%ZZ" is not valid percent-encoding' });
  t.equal((await getJson(`http://127.0.0.1:${cloud.httpPort}/api/poles/pole%2Da`, `viewer:${cloud.users.viewer}`)).status, 404, 'valid encoding still decodes');
  t.same(cloud.logged('HTTP API request failed'), []);
});
