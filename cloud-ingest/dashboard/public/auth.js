// Credentials for the dashboard's API calls, remembered for this tab in sessionStorage (forgotten
// when it closes): the session cookie (POST /api/session) when the cloud has sessions, otherwise
// HTTP Basic. Requests without a cookie go out with credentials 'omit', so that a 401 never opens
// the browser's own password dialog (the page has its sign-in form).
const KEY = 'polegate.auth';

/** 'session' | 'open' (a cloud without users) | 'basic <base64>' | null (not signed in). */
const mode = () => sessionStorage.getItem(KEY);

function requestInit(init) {
  const how = mode();
  const headers = { accept: 'application/json', ...init.headers };
  if (how?.startsWith('basic ')) headers.authorization = `Basic ${how.slice(6)}`;
  return { ...init, credentials: how === 'session' ? 'same-origin' : 'omit', headers };
}

/** fetch() of the API with the user's credentials; throws 'unauthorized' when there are none or they are refused. */
export async function api(path, init = {}) {
  if (mode() === null) {
    // Not signed in: an open cloud answers anyway, one with users asks for the sign-in form.
    const probe = await fetch('/api/poles?limit=1', { credentials: 'omit' });
    await probe.arrayBuffer();
    if (!probe.ok) throw new Error('unauthorized');
    sessionStorage.setItem(KEY, 'open');
  }
  const res = await fetch(path, requestInit(init));
  if (res.status === 401) {
    sessionStorage.removeItem(KEY);
    throw new Error('unauthorized');
  }
  return res;
}

/** Signs in; resolves true when the cloud accepted the user. */
export async function signIn(username, password) {
  const session = await fetch('/api/session', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  await session.arrayBuffer();
  if (session.ok) {
    sessionStorage.setItem(KEY, 'session');
    return true;
  }
  if (session.status !== 404) return false;
  // A cloud without sessions: check the credentials with Basic on a read, keep them for this tab.
  const basic = btoa(String.fromCharCode(...new TextEncoder().encode(`${username}:${password}`)));
  const check = await fetch('/api/poles?limit=1', { credentials: 'omit', headers: { authorization: `Basic ${basic}` } });
  // Read to the end: the sign-in page navigates next, which would abort a body still arriving.
  await check.arrayBuffer();
  if (!check.ok) return false;
  sessionStorage.setItem(KEY, `basic ${basic}`);
  return true;
}
