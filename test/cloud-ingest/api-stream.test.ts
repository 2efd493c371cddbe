// GET /api/stream (server-sent events) and the session cookie of POST /api/session, over real
// sockets: poles publish over MQTT, the stream carries what was ingested, ?pole= narrows it.
import t from 'tap';
import { waitFor } from '../helpers/wait.js';
import { connectPole, publish, reading, ROOT, startTestCloud, telemetryPayload } from './fixture.js';

interface Stream {
  status: number;
  /** Parsed messages so far. */
  messages: { event: string; data: any }[];
  text: () => string;
}

async function openStream(t: { teardown(fn: () => void): void }, url: string, headers: Record<string, string>): Promise<Stream> {
  const abort = new AbortController();
  t.teardown(() => abort.abort());
  const res = await fetch(url, { headers, signal: abort.signal });
  let text = '';
  const stream: Stream = { status: res.status, messages: [], text: () => text };
  if (res.status !== 200) return stream;
  void (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body!) {
        text += decoder.decode(chunk as Uint8Array, { stream: true });
        const blocks = text.split('\n\n');
        stream.messages = blocks.slice(0, -1).filter((b) => b.startsWith('event: ')).map((b) => {
          const [event, data] = b.split('\n');
          return { event: event!.slice(7), data: JSON.parse(data!.slice(6)) };
        });
      }
    } catch {
      // aborted at teardown
    }
  })();
  return stream;
}

const sessionCookie = (res: Response) => (res.headers.get('set-cookie') ?? '').split(';')[0]!;

t.test('a session cookie opens the stream; it carries ingested messages with their pole, ?pole= narrows it', async (t) => {
  const tc = await startTestCloud(t);
  const signIn = (username: string, password: string) =>
    fetch(`${tc.http}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });

  t.equal((await signIn('viewer', 'wrong')).status, 401, 'a wrong password gets no session');
  const res = await signIn('viewer', tc.users.viewer!);
  t.equal(res.status, 204);
  t.match(res.headers.get('set-cookie'), /^polegate_session=[\w-]{20,}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
  const cookie = sessionCookie(res);
  t.equal((await fetch(`${tc.http}/api/poles`, { headers: { cookie } })).status, 200, 'the cookie stands for the credentials on every GET');
  t.equal((await fetch(`${tc.http}/api/stream`)).status, 401, 'no stream without credentials');

  const all = await openStream(t, `${tc.http}/api/stream`, { cookie });
  const onlyB = await openStream(t, `${tc.http}/api/stream?pole=pole-b`, { authorization: `Basic ${Buffer.from(`viewer:${tc.users.viewer}`).toString('base64')}` });
  t.equal(all.status, 200);
  await waitFor('both streams open', () => all.text().startsWith(':') && onlyB.text().startsWith(':'));

  const a = await connectPole(t, tc, 'pole-a');
  const b = await connectPole(t, tc, 'pole-b');
  await publish(a, `${ROOT}/pole-a/telemetry`, telemetryPayload('pole-a', 's1', [reading(1)]));
  await publish(a, `${ROOT}/pole-a/telemetry`, { v: 1, pole: 'pole-b', stream: 's1', readings: [reading(2)] }); // dead-lettered: never streamed
  await publish(b, `${ROOT}/pole-b/event`, { v: 1, pole: 'pole-b', stream: 's', seq: 9, event: { type: 'motion', ts: 5 } });
  await waitFor('the event on the full stream', () => all.messages.some((m) => m.event === 'event'));
  t.same(all.messages.map((m) => [m.event, m.data.pole]), [['telemetry', 'pole-a'], ['event', 'pole-b']], 'what was ingested, in order; the dead letter is not streamed');
  t.match(all.messages[0]!.data, { v: 1, pole: 'pole-a', stream: 's1', readings: [{ seq: 1 }] }, 'the contract payload');
  await waitFor('the event on the narrowed stream', () => onlyB.messages.length > 0);
  t.same(onlyB.messages.map((m) => [m.event, m.data.pole]), [['event', 'pole-b']], '?pole= narrows to one pole');

  const out = await fetch(`${tc.http}/api/session`, { method: 'DELETE', headers: { cookie } });
  t.equal(out.status, 204);
  t.match(out.headers.get('set-cookie'), /Max-Age=0/);
  t.equal((await fetch(`${tc.http}/api/poles`, { headers: { cookie } })).status, 401, 'the cookie is void after sign-out');

  const login = await fetch(`${tc.http}/login`);
  t.equal(login.status, 200, 'the dashboard serves the sign-in page');
  t.match(await (await fetch(`${tc.http}/dashboard/auth.js`)).text(), /\/api\/session/, 'and its script signs in with a session');
});
