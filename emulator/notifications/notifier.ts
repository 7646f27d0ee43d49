/**
 * Delivery of Graph change and lifecycle notifications to subscribers' HTTPS endpoints, as Graph does it:
 * the validation handshake, batched POSTs (`{ value: [...] }`), 2xx within 3 s counts as delivered, anything
 * else is retried with exponential backoff for up to 4 h and then discarded. Fault options (delay, loss,
 * duplication, reordering) are drawn from a seeded generator so a run is reproducible.
 *
 * Time is the emulator clock: a notification is due at its enqueue time plus the delay, and retries at
 * clock times; a pump (real timer) sends what is due, and `flush()` does it on demand, so a test on a
 * manual clock moves the clock and flushes.
 */
import crypto from "node:crypto";
import type { Clock } from "../../server/clock";
import type { ChangeNotification, LifecycleNotification } from "../state/subscriptions";
import { post } from "./https";

export interface NotificationFaults {
  /** Every change notification waits this long (emulator clock) before its first attempt. Default 0. */
  delayMs: number;
  /** Share (0..1) of change notifications silently lost. */
  dropRate: number;
  /** Share (0..1) of change notifications sent twice (the copy in a later POST). */
  duplicateRate: number;
  /** Shuffle each POST's notifications and spread first attempts over `reorderWindowMs`. */
  reorder: boolean;
  reorderWindowMs: number;
  /** Seed of the generator behind drop, duplicate and reorder decisions. */
  seed: number;
}

export interface NotifierTimings {
  /** A notification POST answered later than this (real ms) failed, as Graph counts > 3 s. */
  responseTimeoutMs: number;
  /** The validation handshake's limit (real ms): 10 s. */
  validationTimeoutMs: number;
  /** First retry after this (emulator ms), doubling per attempt, at most `retryMaxDelayMs`. */
  retryBaseMs: number;
  retryMaxDelayMs: number;
  /** Retries stop this long (emulator ms) after the first attempt: 4 h. */
  retryWindowMs: number;
}

export interface DeliveryAttempt {
  at: string;
  url: string;
  kind: "change" | "lifecycle";
  count: number;
  status: number | null;
  error?: string;
  elapsedMs: number;
  delivered: boolean;
}

interface Pending {
  url: string;
  kind: "change" | "lifecycle";
  item: ChangeNotification | LifecycleNotification;
  dueAt: number;
  attempts: number;
  firstAttemptAt: number | null;
}

export const DEFAULT_FAULTS: NotificationFaults = {
  delayMs: 0,
  dropRate: 0,
  duplicateRate: 0,
  reorder: false,
  reorderWindowMs: 2000,
  seed: 1,
};
export const DEFAULT_TIMINGS: NotifierTimings = {
  responseTimeoutMs: 3000,
  validationTimeoutMs: 10_000,
  retryBaseMs: 10_000,
  retryMaxDelayMs: 3600_000,
  retryWindowMs: 4 * 3600_000,
};

/** mulberry32: small, seedable, good enough for fault decisions. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Notifier {
  faults: NotificationFaults = { ...DEFAULT_FAULTS };
  timings: NotifierTimings = { ...DEFAULT_TIMINGS };
  /** Extra CAs trusted for notification URLs (the server under test's). */
  readonly trustedCas: string[] = [];
  readonly log: DeliveryAttempt[] = [];
  readonly stats = { enqueued: 0, delivered: 0, dropped: 0, duplicated: 0, failedAttempts: 0, discarded: 0 };
  private queue: Pending[] = [];
  private random = generator(DEFAULT_FAULTS.seed);
  private running: Promise<void> | null = null;
  private pump: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly clock: Clock) {}

  setFaults(f: Partial<NotificationFaults>): NotificationFaults {
    this.faults = { ...this.faults, ...f };
    if (f.seed !== undefined) this.random = generator(f.seed);
    return this.faults;
  }

  resetFaults(): void {
    this.faults = { ...DEFAULT_FAULTS };
    this.random = generator(DEFAULT_FAULTS.seed);
  }

  get pending(): number {
    return this.queue.length;
  }

  /** The validation handshake: POST url?validationToken=… (text/plain); the endpoint must echo it with 200 text/plain in time. */
  async validate(url: string): Promise<string | null> {
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${crypto.randomUUID()}`;
    const target = `${url}${url.includes("?") ? "&" : "?"}validationToken=${encodeURIComponent(token)}`;
    const r = await post(target, "", {
      contentType: "text/plain; charset=utf-8",
      timeoutMs: this.timings.validationTimeoutMs,
      ca: this.trustedCas,
    });
    if (r.status !== 200 || !/^text\/plain\b/i.test(r.contentType ?? "")) {
      return "Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.";
    }
    if (r.body !== token)
      return "Subscription validation request failed. Response must exactly match validationToken query parameter.";
    return null;
  }

  enqueueChanges(url: string, items: ChangeNotification[]): void {
    const now = this.clock.now().getTime();
    for (const item of items) {
      this.stats.enqueued += 1;
      if (this.faults.dropRate > 0 && this.random() < this.faults.dropRate) {
        this.stats.dropped += 1;
        continue;
      }
      const jitter = this.faults.reorder ? Math.floor(this.random() * this.faults.reorderWindowMs) : 0;
      const dueAt = now + this.faults.delayMs + jitter;
      this.queue.push({ url, kind: "change", item, dueAt, attempts: 0, firstAttemptAt: null });
      if (this.faults.duplicateRate > 0 && this.random() < this.faults.duplicateRate) {
        this.stats.duplicated += 1;
        this.queue.push({
          url,
          kind: "change",
          item,
          dueAt: dueAt + Math.max(1000, this.faults.delayMs),
          attempts: 0,
          firstAttemptAt: null,
        });
      }
    }
  }

  enqueueLifecycle(url: string, item: LifecycleNotification): void {
    this.queue.push({
      url,
      kind: "lifecycle",
      item,
      dueAt: this.clock.now().getTime(),
      attempts: 0,
      firstAttemptAt: null,
    });
  }

  /** Send everything due now (one POST per URL and kind); resolves when those attempts are over. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    this.running = this.sendDue().finally(() => (this.running = null));
    await this.running;
  }

  /** Start the pump that sends due notifications every `intervalMs` of real time. */
  start(intervalMs = 25): void {
    if (this.pump) return;
    this.pump = setInterval(() => {
      if (!this.running && this.queue.some((p) => p.dueAt <= this.clock.now().getTime())) void this.flush();
    }, intervalMs);
    this.pump.unref();
  }

  async stop(): Promise<void> {
    if (this.pump) clearInterval(this.pump);
    this.pump = null;
    while (this.running) await this.running;
  }

  private async sendDue(): Promise<void> {
    const now = this.clock.now().getTime();
    const due = this.queue.filter((p) => p.dueAt <= now);
    if (!due.length) return;
    this.queue = this.queue.filter((p) => p.dueAt > now);
    const batches = new Map<string, Pending[]>();
    for (const p of due.sort((a, b) => a.dueAt - b.dueAt)) {
      const key = `${p.kind} ${p.url}`;
      const b = batches.get(key);
      if (b) b.push(p);
      else batches.set(key, [p]);
    }
    await Promise.all([...batches.values()].map((b) => this.send(b)));
  }

  private shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return xs;
  }

  private async send(batch: Pending[]): Promise<void> {
    const { url, kind } = batch[0];
    const items = this.faults.reorder && kind === "change" ? this.shuffle([...batch]) : batch;
    const r = await post(url, JSON.stringify({ value: items.map((p) => p.item) }), {
      contentType: "application/json; charset=utf-8",
      timeoutMs: this.timings.responseTimeoutMs,
      ca: this.trustedCas,
    });
    const delivered = r.status !== null && r.status >= 200 && r.status < 300;
    const now = this.clock.now().getTime();
    this.log.push({
      at: new Date(now).toISOString(),
      url,
      kind,
      count: items.length,
      status: r.status,
      error: r.error,
      elapsedMs: r.elapsedMs,
      delivered,
    });
    if (this.log.length > 1000) this.log.splice(0, this.log.length - 1000);
    if (delivered) {
      this.stats.delivered += items.length;
      return;
    }
    this.stats.failedAttempts += 1;
    for (const p of items) {
      p.attempts += 1;
      p.firstAttemptAt ??= now;
      const delay = Math.min(this.timings.retryBaseMs * 2 ** (p.attempts - 1), this.timings.retryMaxDelayMs);
      if (now + delay - p.firstAttemptAt > this.timings.retryWindowMs) {
        this.stats.discarded += 1;
        continue;
      }
      p.dueAt = now + delay;
      this.queue.push(p);
    }
  }
}
