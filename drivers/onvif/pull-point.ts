// Camera events through an ONVIF PullPoint subscription, in a loop of our own instead of the onvif
// package's (which stops for good on a fault when subscribing, and cannot be stopped mid-pull):
// subscribe, pull (the camera holds each pull until an event or its timeout), renew before the
// subscription runs out, and subscribe again when a pull or a renew is refused or the connection
// drops (a camera that restarted forgets its subscriptions). Each topic's state is reported once per
// change: a camera that repeats itself, or the `Initialized` states of a new subscription, are not
// new events.
import type { CameraSession } from './camera-session.js';
import { mapNotification, type CameraEventType, type CameraNotification } from './topics.js';

export interface PullPointOptions {
  session: CameraSession;
  types: ReadonlySet<CameraEventType>;
  onChange: (change: CameraNotification & { ts: number }) => void;
  onTrouble: (message: string) => void;
}

/**
 * The package asks the camera to hold a pull up to a minute (PT1M) when nothing happens; a pull is
 * given that and a margin before it counts as lost (the package's own reply timeout is 80 s).
 */
const PULL_DEADLINE_MS = 75_000;

/** Wait before subscribing again after the n-th failure in a row, ms. */
const retryDelayMs = (failures: number) => Math.min(30_000, 500 * 2 ** failures);

export class PullPointLoop {
  private running = false;
  private subscribed = false;
  private renewAt = 0;
  private failures = 0;
  private readonly last = new Map<CameraEventType, boolean>();
  private wake: (() => void) | undefined;
  private done: Promise<void> | undefined;

  constructor(private readonly options: PullPointOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.done = this.loop();
  }

  /** Stops the loop; a pull in flight is aborted by closing the session, or waited for at most `graceMs`. */
  async stop(graceMs = 250): Promise<void> {
    this.running = false;
    this.wake?.();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
  }

  /** Subscriptions made so far (the first, and one after every refusal or restart). */
  subscriptions = 0;

  private async loop(): Promise<void> {
    const { session } = this.options;
    while (this.running) {
      try {
        if (!this.subscribed) {
          await session.authenticated<void>('CreatePullPointSubscription', (cb) => session.cam.createPullPointSubscription(cb));
          // The package sends pulls with the subscription's parsed address as the request options,
          // and so on no agent of ours: give it the session's, so that closing the session aborts a
          // held pull (a camera may hold one a minute; a stopping agent must not wait for it).
          const address = (session.cam.events.subscription as { subscriptionReference?: { address?: { agent?: unknown } } } | undefined)?.subscriptionReference?.address;
          if (address) address.agent = session.agent;
          this.subscribed = true;
          this.subscriptions++;
          this.scheduleRenew();
        }
        const answer = await session.authenticated<Record<string, any>>('PullMessages', (cb) => session.cam.pullMessages({ messageLimit: 10 }, cb), PULL_DEADLINE_MS);
        if (!this.running) break;
        this.handle(answer);
        this.failures = 0;
        if (Date.now() >= this.renewAt) {
          await session.authenticated<void>('Renew', (cb) => session.cam.renew({}, cb));
          this.scheduleRenew();
        }
      } catch (err) {
        if (!this.running) break;
        // The subscription is gone or unusable (refused renew, restart, dropped connection): make a new one.
        this.subscribed = false;
        session.cam.events.subscription = undefined;
        this.options.onTrouble(`events: ${(err as Error).message}; subscribing again`);
        await this.pause(retryDelayMs(this.failures++));
      }
    }
  }

  /** Renew when half of the subscription's life is gone (the camera said when it ends). */
  private scheduleRenew(): void {
    const ends = this.options.session.cam.events.terminationTime?.getTime();
    const left = ends === undefined || !Number.isFinite(ends) ? 60_000 : Math.max(0, ends - Date.now());
    this.renewAt = Date.now() + left / 2;
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private handle(answer: Record<string, any> | undefined): void {
    const raw = answer?.notificationMessage;
    const messages = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    for (const message of messages) {
      const change = mapNotification(message);
      if (!change || !this.options.types.has(change.type)) continue;
      const before = this.last.get(change.type);
      this.last.set(change.type, change.state);
      if (before === change.state) continue;
      // The state found at subscription time is news only if it is not the quiet state we assume.
      if (before === undefined && change.operation === 'Initialized' && !change.state) continue;
      const ts = change.cameraTs === undefined ? Date.now() : change.cameraTs - this.options.session.clockOffsetMs;
      this.options.onChange({ ...change, ts });
    }
  }
}
