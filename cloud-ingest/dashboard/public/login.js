// /login#u=<user>&p=<password>: signs in with the credentials in the fragment (never sent to a
// server, so never in a log), drops them from the address bar and history, and opens the dashboard.
import { signIn } from './auth.js';

const params = new URLSearchParams(location.hash.slice(1));
history.replaceState(null, '', '/login');
const ok = await signIn(params.get('u') ?? '', params.get('p') ?? '');
if (ok) location.replace('/');
else document.getElementById('status').textContent = 'Sign-in failed: the link\'s user or password is wrong. Sign in on the dashboard instead.';
