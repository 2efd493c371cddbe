import t from 'tap';
import { hashGeneratedSecret, hashSecret, isGeneratedSecretHash, isSecretHash, newSecret, verifySecret } from '../../cloud-ingest/secrets.js';
import { publishRefusal, subscribeRefusal } from '../../cloud-ingest/acl.js';

t.test('secrets: hash, verify, and refuse malformed or expensive hashes', async (t) => {
  const secret = newSecret();
  t.match(secret, /^[A-Za-z0-9_-]{32}$/, '192 bits, URL-safe');
  t.not(newSecret(), secret);
  // One secret in 64 would start with '-' if drawn blindly: 2,000 draws catch that all but surely.
  const leading = Array.from({ length: 2000 }, newSecret).filter((s) => s.startsWith('-'));
  t.same(leading, [], "no secret starts with '-' (it would read as an option after -P)");
  const hash = await hashSecret(secret);
  t.match(hash, /^scrypt\$16384\$8\$1\$[^$]+\$[^$]+$/);
  t.ok(isSecretHash(hash));
  t.ok(await verifySecret(secret, hash));
  t.notOk(await verifySecret(`${secret}x`, hash));
  for (const bad of ['scrypt$1$8$1$a$b', 'bcrypt$x', `scrypt$${1 << 24}$8$1$${hash.split('$')[4]}$${hash.split('$')[5]}`, 'scrypt$16384$8$1$c2FsdA==$aGFzaA==']) {
    t.notOk(await verifySecret(secret, bad), bad);
    t.notOk(isSecretHash(bad));
  }
});

t.test('secrets: a generated secret is hashed with one HMAC, and both kinds verify', async (t) => {
  const secret = newSecret();
  const hash = hashGeneratedSecret(secret);
  t.match(hash, /^hmac-sha256\$[^$]+\$[^$]+$/);
  t.not(hashGeneratedSecret(secret), hash, 'salted');
  t.ok(isSecretHash(hash));
  t.ok(isGeneratedSecretHash(hash));
  t.notOk(isGeneratedSecretHash(await hashSecret(secret)), 'scrypt is not the cheap kind');
  t.ok(await verifySecret(secret, hash));
  t.notOk(await verifySecret(`${secret}x`, hash));
  t.notOk(await verifySecret(secret, hash.replace(/.{4}$/, 'AAA=')), 'a digest of the wrong length');
  t.notOk(await verifySecret(secret, `hmac-sha256$${hash.split('$')[1]}`), 'no digest');
});

t.test('acl: the rules in one table', async (t) => {
  const pole = { kind: 'pole' as const, id: 'pole-a' };
  const read = { kind: 'user' as const, name: 'v', role: 'read' as const };
  const operate = { kind: 'user' as const, name: 'o', role: 'operate' as const };
  const root = 'city/v1';
  const allowed = (reason: string | undefined) => reason === undefined;
  for (const kind of ['state', 'birth', 'telemetry', 'alarm', 'event', 'cmd/result', `blob/${'a'.repeat(64)}`]) {
    t.ok(allowed(publishRefusal(pole, root, `${root}/pole-a/${kind}`)), kind);
  }
  t.notOk(allowed(publishRefusal(pole, root, `${root}/pole-a/cmd`)));
  t.notOk(allowed(publishRefusal(pole, root, `${root}/pole-b/state`)));
  t.notOk(allowed(publishRefusal(pole, root, 'elsewhere/x')));
  t.ok(allowed(publishRefusal(operate, root, `${root}/pole-a/cmd`)));
  t.notOk(allowed(publishRefusal(operate, root, `${root}/pole-a/state`)));
  t.notOk(allowed(publishRefusal(read, root, `${root}/pole-a/cmd`)));
  t.ok(allowed(subscribeRefusal(pole, root, `${root}/pole-a/cmd`)));
  t.notOk(allowed(subscribeRefusal(pole, root, `${root}/+/cmd`)));
  t.ok(allowed(subscribeRefusal(read, root, `${root}/#`)));
  t.ok(allowed(subscribeRefusal(read, root, `${root}/+/alarm`)));
  t.notOk(allowed(subscribeRefusal(read, root, '#')));
  t.notOk(allowed(subscribeRefusal(read, root, 'city/v10/#')));
});
