// The built-in `onvif` driver: a camera's health and clock as metrics (read), its motion and tamper
// events (subscribe, through pull-point.ts), and its snapshot (snapshot(), fetch-snapshot.ts). The
// onvif package loads on the first open(), so that config/ (which pairs this module with its options
// schema) and poles without cameras never load it.
import type { DeviceDescription, Driver, DriverContext, DriverEvent, DriverRuntime, Sample } from '../sdk/index.js';
import type { OnvifDriverOptions } from './options.js';
import { CameraError, CameraSession, DEFAULT_PORT, type Cam, type Health } from './camera-session.js';
import { PullPointLoop } from './pull-point.js';
import { fetchSnapshot, SnapshotError } from './fetch-snapshot.js';
import { PolegateError } from '../sdk/index.js';
import type { CameraEventType } from './topics.js';

const DEFAULT_SNAPSHOT_MAX_BYTES = 2 * 1024 * 1024;
/** A clock further off than this is reported with a `clock-offset` event. */
export const CLOCK_EVENT_MS = 5000;

/**
 * The SOAP action of a request the package built: its Body's first element and that element's
 * namespace. The package otherwise finds it by parsing its own request with xml2js before every
 * send, which was about half of a PullMessages' CPU in the agent.
 */
export function soapAction(body: string): string | undefined {
  const match = /<s:Body[^>]*>\s*<([A-Za-z]\w*) xmlns="([^"]+)"/.exec(body);
  return match ? `${match[2]}/${match[1]}` : undefined;
}

type RequestCallback = (err: Error | null, ...rest: unknown[]) => void;
type RequestFn = (options: { action?: string; body: string }, callback: RequestCallback) => void;

/**
 * The package turns each answer into its result inside the HTTP response's callback, and an answer
 * of an unexpected shape can make that code throw (`linerase(...).x` of nothing), which would be an
 * uncaught exception. The agent runs this driver without a fault scope (edge-agent/driver-faults.ts),
 * so such a throw is caught here and handed to the same callback as the request's error: the call
 * fails, and the camera's health says why.
 */
export function guarded(callback: RequestCallback): RequestCallback {
  return (err, ...rest) => {
    try {
      callback(err, ...rest);
    } catch (thrown) {
      if (err) return;
      const message = thrown instanceof Error ? thrown.message : String(thrown);
      callback(new Error(`unexpected answer (${message})`));
    }
  };
}

async function newCam(options: OnvifDriverOptions, timeoutMs: number): Promise<Cam> {
  const { default: onvif } = await import('onvif');
  const cam = new onvif.Cam({
    hostname: options.host,
    port: options.port ?? DEFAULT_PORT,
    username: options.username,
    password: options.password,
    timeout: timeoutMs,
    autoconnect: false,
    // Service addresses a camera announces may be its own idea of itself (behind NAT, a DHCP change):
    // the manifest's host and port are the ones that reach it.
    preserveAddress: true,
  }) as unknown as Cam & { _request: RequestFn };
  const send = cam._request.bind(cam);
  cam._request = (request, callback) => send({ ...request, action: request.action ?? soapAction(request.body) }, guarded(callback));
  return cam;
}

function create(options: OnvifDriverOptions, context: DriverContext): Driver {
  const { deviceId, log } = context;
  const types = new Set<CameraEventType>(options.events ?? ['motion', 'tamper']);
  let session: CameraSession | undefined;
  let events: PullPointLoop | undefined;
  let health: Health = 'unreachable';
  let onEvent: ((event: DriverEvent) => void) | undefined;
  /** Events raised before the agent subscribed (the clock measured on the first open). */
  const early: DriverEvent[] = [];
  let reportedOffset = 0;

  const emit = (event: DriverEvent) => (onEvent ? onEvent(event) : early.push(event));

  function checkClock(offsetMs: number): void {
    const off = Math.abs(offsetMs) > CLOCK_EVENT_MS;
    const wasOff = Math.abs(reportedOffset) > CLOCK_EVENT_MS;
    // Once when it goes off (or moves by more than the threshold), once when it is right again.
    if (off ? Math.abs(offsetMs - reportedOffset) > CLOCK_EVENT_MS : wasOff) {
      reportedOffset = offsetMs;
      emit({ type: 'clock-offset', ts: context.clock.now(), offsetMs, message: off ? `camera clock is ${Math.round(offsetMs / 1000)} s off; tokens and event times are corrected by it` : 'camera clock is right again' });
    }
  }

  async function connect(): Promise<CameraSession> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const fresh = new CameraSession(await newCam(options, timeoutMs), options, deviceId);
    try {
      await fresh.connect();
    } catch (err) {
      fresh.close();
      health = err instanceof CameraError ? err.health : health;
      throw err;
    }
    health = 'up';
    session = fresh;
    checkClock(fresh.clockOffsetMs);
    log.info({ offsetMs: fresh.clockOffsetMs, profile: fresh.profileToken, ...fresh.info }, 'camera connected');
    if (onEvent && types.size > 0) startEvents(fresh);
    return fresh;
  }

  function startEvents(on: CameraSession): void {
    events = new PullPointLoop({
      session: on,
      types,
      onChange: ({ type, state, topic, ts }) => emit({ type, ts, state, topic }),
      onTrouble: (message) => log.warn({ device: deviceId }, message),
    });
    events.start();
  }

  async function drop(): Promise<void> {
    const old = session;
    const loop = events;
    session = undefined;
    events = undefined;
    // Closing the session first aborts a pull the camera is holding.
    old?.close();
    await loop?.stop();
  }

  const describe = (): DeviceDescription => {
    const info = session?.info ?? {};
    return {
      ...(info.model ? { model: info.model } : {}),
      ...(info.manufacturer ? { manufacturer: info.manufacturer } : {}),
      ...(info.firmware ? { firmware: info.firmware } : {}),
      ...(info.serial ? { serial: info.serial } : {}),
      metrics: [
        { name: 'online', unit: '', type: 'boolean' },
        { name: 'clockOffset', unit: 's', type: 'number' },
      ],
    };
  };

  return {
    async open() {
      if (!session) await connect();
    },
    describe,
    /** A health check: the clock (unauthenticated), then device information (authenticated). */
    async read(): Promise<Sample[]> {
      let on = session;
      try {
        if (!on) on = await connect();
        else {
          checkClock(await on.measureClock());
          await on.readInfo();
        }
      } catch (err) {
        health = err instanceof CameraError ? err.health : 'unreachable';
        // A camera that failed is connected afresh on the next poll: it may have restarted.
        await drop();
        throw err;
      }
      const ts = context.clock.now();
      return [
        { metric: 'online', value: true, unit: '', ts, quality: 'good' },
        { metric: 'clockOffset', value: on.clockOffsetMs / 1000, unit: 's', ts, quality: 'good' },
      ];
    },
    subscribe(listener) {
      onEvent = listener;
      for (const event of early.splice(0)) listener(event);
      if (session && !events && types.size > 0) startEvents(session);
    },
    async snapshot(): Promise<Buffer> {
      const on = session ?? (await connect());
      const uri = await on.snapshotUrl();
      return fetchSnapshot(uri, {
        username: options.username,
        password: options.password,
        timeoutMs: on.timeoutMs,
        maxBytes: options.snapshotMaxBytes ?? DEFAULT_SNAPSHOT_MAX_BYTES,
        agent: on.agent,
        digest: (challenges, request) => on.cam.digestAuth(challenges, request),
      }).catch((err: unknown) => {
        if (!(err instanceof SnapshotError)) throw on.classify(err, 'snapshot');
        throw new PolegateError(`${on.where}: ${err.message}`, err.reason === 'too-large' ? 'SNAPSHOT_TOO_LARGE' : 'SNAPSHOT_FAILED', 1);
      });
    },
    async close() {
      await drop();
    },
    /** For tests and the status page: what the last contact told. */
    get health() {
      return health;
    },
  } as Driver & { readonly health: Health };
}

const onvifDriver: DriverRuntime<OnvifDriverOptions> = { kind: 'onvif', create };
export default onvifDriver;
