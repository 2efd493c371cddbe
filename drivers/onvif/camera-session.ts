// One ONVIF camera reached through the onvif package (0.8.3): our own connect sequence with a
// deadline of our own (the package's connect can wait forever, and throws from inside a callback when
// a profile names no video source), the camera's clock offset measured unauthenticated and used for
// the WS-UsernameToken, re-measured when a request is refused as NotAuthorized, and every failure
// classified as a health reason: unreachable, reachable without ONVIF, credentials refused.
import http from 'node:http';
import { PolegateError } from '../sdk/index.js';
import type { OnvifDriverOptions } from './options.js';

export type Health = 'up' | 'credentials-refused' | 'not-onvif' | 'unreachable';

export interface CameraInfo {
  manufacturer?: string;
  model?: string;
  firmware?: string;
  serial?: string;
}

/** The part of the onvif package's Cam this driver uses (its own types are loose). */
export interface Cam {
  timeShift?: number;
  getSystemDateAndTime(cb: (err: Error | null, date: Date) => void): void;
  getServices(include: boolean, cb: (err: Error | null) => void): void;
  getCapabilities(cb: (err: Error | null) => void): void;
  getDeviceInformation(cb: (err: Error | null, info: Record<string, unknown>) => void): void;
  getProfiles(cb: (err: Error | null, profiles: Array<{ $: { token: string } }>) => void): void;
  getSnapshotUri(options: { profileToken: string }, cb: (err: Error | null, uri: { uri: string }) => void): void;
  createPullPointSubscription(cb: (err: Error | null) => void): void;
  pullMessages(options: { messageLimit: number }, cb: (err: Error | null, data: Record<string, any>) => void): void;
  renew(options: object, cb: (err: Error | null) => void): void;
  unsubscribe(cb: (err: Error | null) => void, preserveListeners?: boolean): void;
  digestAuth(challenges: string[], request: { method: string; path: string }): string;
  /** The package's subscription state; `terminationTime` is in our clock. */
  events: { subscription?: unknown; terminationTime?: Date };
}

export const DEFAULT_PORT = 80;
export const DEFAULT_TIMEOUT_MS = 5000;

/** A failed request with the health it tells of. */
export class CameraError extends PolegateError {
  constructor(message: string, readonly health: Exclude<Health, 'up'>) {
    super(message, health === 'credentials-refused' ? 'DEVICE_AUTH' : 'DEVICE_UNREACHABLE', 1);
  }
}

const isAuthRefusal = (message: string) => /notauthorized|not authorized|unauthorized|authentication failed|sender not auth/i.test(message);
const isNotOnvif = (message: string) => /wrong onvif soap response|non-whitespace|unexpected|unclosed|invalid|attribute without value|text data outside/i.test(message);

/** Calls a callback-style Cam method with a deadline of our own. */
export function call<T>(what: string, timeoutMs: number, run: (cb: (err: Error | null, value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
    try {
      run((err, value) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(value);
      });
    } catch (err) {
      clearTimeout(timer);
      reject(err);
    }
  });
}

export class CameraSession {
  /** Camera clock minus ours, ms (second resolution: ONVIF gives whole seconds). */
  clockOffsetMs = 0;
  info: CameraInfo = {};
  profileToken = '';
  readonly where: string;
  readonly timeoutMs: number;
  /** Keep-alive connections: a PullPoint loop is a request a second on some cameras. */
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  private snapshotUri: string | undefined;

  constructor(readonly cam: Cam, private readonly options: OnvifDriverOptions, deviceId: string) {
    this.where = `device ${deviceId} (ONVIF ${options.host}:${options.port ?? DEFAULT_PORT})`;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** The health a failure tells of, as an error that says where and what to do. */
  classify(err: unknown, doing: string): CameraError {
    if (err instanceof CameraError) return err;
    const message = (err as Error)?.message ?? String(err);
    if (isAuthRefusal(message)) {
      return new CameraError(`${this.where}: ${doing}: credentials refused (${message}); check username and password in the manifest (clock offset ${Math.round(this.clockOffsetMs / 1000)} s was allowed for)`, 'credentials-refused');
    }
    if (isNotOnvif(message)) {
      return new CameraError(`${this.where}: ${doing}: reachable, but not answering ONVIF (${message}); check port: (the camera's ONVIF service port, often 80, 8000 or 8080)`, 'not-onvif');
    }
    return new CameraError(`${this.where}: ${doing}: unreachable (${message}); check that the camera is powered and on the network`, 'unreachable');
  }

  /** Measures the clock offset (unauthenticated GetSystemDateAndTime) and makes tokens in the camera's time. */
  async measureClock(): Promise<number> {
    this.cam.timeShift = undefined;
    try {
      const cameraTime = await call<Date>('GetSystemDateAndTime', this.timeoutMs, (cb) => this.cam.getSystemDateAndTime(cb));
      // The camera gives whole seconds: its clock is half a second past the one it states, on average.
      // `|| 0`: no -0 in a reading.
      this.clockOffsetMs = Math.round((cameraTime.getTime() + 500 - Date.now()) / 1000) * 1000 || 0;
    } catch (err) {
      throw this.classify(err, 'GetSystemDateAndTime');
    }
    return this.clockOffsetMs;
  }

  /**
   * An authenticated request; NotAuthorized once means the camera's clock may have jumped (a reboot),
   * so the offset is measured again and the request retried before credentials are called refused.
   */
  async authenticated<T>(what: string, run: (cb: (err: Error | null, value: T) => void) => void, timeoutMs = this.timeoutMs): Promise<T> {
    try {
      return await call<T>(what, timeoutMs, run);
    } catch (err) {
      if (!isAuthRefusal((err as Error)?.message ?? '')) throw this.classify(err, what);
      await this.measureClock();
      try {
        return await call<T>(what, timeoutMs, run);
      } catch (again) {
        throw this.classify(again, what);
      }
    }
  }

  /** Clock, services, device information and the profile: what every later request relies on. */
  async connect(): Promise<void> {
    this.snapshotUri = undefined;
    await this.measureClock();
    try {
      await this.authenticated<void>('GetServices', (cb) => this.cam.getServices(true, cb));
    } catch (err) {
      if ((err as CameraError).health === 'credentials-refused' || (err as CameraError).health === 'unreachable') throw err;
      // Cameras before ONVIF 2.0 have no GetServices.
      await this.authenticated<void>('GetCapabilities', (cb) => this.cam.getCapabilities(cb));
    }
    await this.readInfo();
    const profiles = await this.authenticated<Array<{ $: { token: string } }>>('GetProfiles', (cb) => this.cam.getProfiles(cb));
    const tokens = (profiles ?? []).map((p) => p?.$?.token).filter((t): t is string => typeof t === 'string');
    const wanted = this.options.profile;
    if (wanted !== undefined && !tokens.includes(wanted)) {
      throw new PolegateError(`${this.where}: no media profile '${wanted}' (the camera has ${tokens.join(', ') || 'none'}); set profile: to one of them`, 'CONFIG_INVALID', 2);
    }
    if (tokens.length === 0) throw new CameraError(`${this.where}: the camera lists no media profile; check its media configuration`, 'not-onvif');
    this.profileToken = wanted ?? tokens[0]!;
  }

  async readInfo(): Promise<CameraInfo> {
    const raw = await this.authenticated<Record<string, unknown>>('GetDeviceInformation', (cb) => this.cam.getDeviceInformation(cb));
    const text = (value: unknown) => (value === undefined || value === null || value === '' ? undefined : String(value));
    this.info = { manufacturer: text(raw?.manufacturer), model: text(raw?.model), firmware: text(raw?.firmwareVersion), serial: text(raw?.serialNumber) };
    return this.info;
  }

  async snapshotUrl(): Promise<string> {
    if (this.snapshotUri) return this.snapshotUri;
    const answer = await this.authenticated<{ uri: string }>('GetSnapshotUri', (cb) => this.cam.getSnapshotUri({ profileToken: this.profileToken }, cb));
    if (typeof answer?.uri !== 'string') throw new CameraError(`${this.where}: GetSnapshotUri gave no URI`, 'not-onvif');
    // The URI names the camera as it sees itself; behind NAT that address is not ours to reach.
    const url = new URL(answer.uri);
    url.hostname = this.options.host;
    this.snapshotUri = url.toString();
    return this.snapshotUri;
  }

  close(): void {
    this.agent.destroy();
  }
}
