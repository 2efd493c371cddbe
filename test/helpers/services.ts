// Tests that need a running service (PostgreSQL, Redis, Mosquitto, Chromium) call `needService`:
// when the service is absent the test is skipped with a printed reason, unless
// POLEGATE_REQUIRE_SERVICES=1 (as in CI), where a missing service fails the run.
import net from 'node:net';
import { existsSync } from 'node:fs';

export type ServiceCheck = { ok: true } | { ok: false; reason: string };

function tcpReachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The PostgreSQL the tests and benches use: POLEGATE_TEST_POSTGRES, else the local one. */
export const POSTGRES_URL = process.env.POLEGATE_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

async function postgresCheck(): Promise<ServiceCheck> {
  const { hostname, port } = new URL(POSTGRES_URL);
  const where = `${hostname}:${port || 5432}`;
  return (await tcpReachable(hostname, Number(port || 5432))) ? { ok: true } : { ok: false, reason: `PostgreSQL is not listening on ${where} (POLEGATE_TEST_POSTGRES)` };
}

const SERVICES: Record<string, () => Promise<ServiceCheck>> = {
  mosquitto: async () => ((await tcpReachable('127.0.0.1', 1883)) ? { ok: true } : { ok: false, reason: 'Mosquitto is not listening on 127.0.0.1:1883' }),
  postgres: postgresCheck,
  redis: async () => ((await tcpReachable('127.0.0.1', 6379)) ? { ok: true } : { ok: false, reason: 'Redis is not listening on 127.0.0.1:6379' }),
  chromium: async () => (existsSync('/usr/bin/chromium') ? { ok: true } : { ok: false, reason: '/usr/bin/chromium is not installed (apt-get install chromium)' }),
  haproxy: async () => (existsSync('/usr/sbin/haproxy') ? { ok: true } : { ok: false, reason: 'haproxy is not installed (apt-get install haproxy)' }),
  'systemd-analyze': async () => (existsSync('/usr/bin/systemd-analyze') ? { ok: true } : { ok: false, reason: 'systemd-analyze is not installed (apt-get install systemd)' }),
  socat: async () => (existsSync('/usr/bin/socat') ? { ok: true } : { ok: false, reason: 'socat is not installed (apt-get install socat)' }),
  'mosquitto-binary': async () => (existsSync('/usr/sbin/mosquitto') ? { ok: true } : { ok: false, reason: '/usr/sbin/mosquitto is not installed (apt-get install mosquitto)' }),
  mbpoll: async () => (existsSync('/usr/bin/mbpoll') ? { ok: true } : { ok: false, reason: 'mbpoll is not installed (apt-get install mbpoll)' }),
  libonvif: async () => (existsSync('/usr/include/x86_64-linux-gnu/onvif.h') || existsSync('/usr/include/onvif.h') ? { ok: true } : { ok: false, reason: 'libonvif-dev is not installed (apt-get install libonvif-dev)' }),
  cc: async () => (existsSync('/usr/bin/cc') ? { ok: true } : { ok: false, reason: 'no C compiler at /usr/bin/cc (apt-get install gcc)' }),
  pymodbus: async () => (existsSync('/usr/lib/python3/dist-packages/pymodbus') ? { ok: true } : { ok: false, reason: 'python3-pymodbus is not installed (apt-get install python3-pymodbus python3-serial-asyncio)' }),
};

export type ServiceName = keyof typeof SERVICES;

/**
 * Returns undefined when the service is there; otherwise a skip reason. Throws under
 * POLEGATE_REQUIRE_SERVICES=1 so that CI cannot pass by skipping.
 */
export async function missingService(name: ServiceName): Promise<string | undefined> {
  const check = await SERVICES[name]!();
  if (check.ok) return undefined;
  if (process.env.POLEGATE_REQUIRE_SERVICES === '1') {
    throw new Error(`${check.reason}, and POLEGATE_REQUIRE_SERVICES=1 requires it`);
  }
  return `skipped: ${check.reason}`;
}
