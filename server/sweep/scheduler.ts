/**
 * The embedded (in-process) scheduler. Every active mailbox is swept once per interval at its own
 * stable offset within the interval (a hash of the user id), so a thousand mailboxes spread over the
 * hour instead of all starting at :00. At most `concurrency` scheduled sweeps run at once; one mailbox
 * is never swept twice at once (an in-process lock here, and the engine's DB guard against a
 * `running` sweep from another process). The timer only calls `tick(now)`; tests call it directly.
 */
import { createHash } from "node:crypto";
import type { Kysely } from "kysely";
import type { SweepView } from "../../shared/api/contract";
import type { Clock } from "../clock";
import type { Database } from "../db/schema";
import { listActiveConnections } from "../store/mailbox-connections";
import { SweepInProgressError, type SweepLogger, type SweepRunOptions, type SweepTarget } from "./engine";

const MINUTE_MS = 60_000;

/** Stable per-mailbox offset in [0, interval): the same user always sweeps at the same minute of the hour. */
export function sweepOffsetMs(userId: string, intervalMinutes: number): number {
  const interval = intervalMinutes * MINUTE_MS;
  const h = createHash("sha256").update(userId, "utf8").digest();
  return h.readUIntBE(0, 6) % interval;
}

/** The latest scheduled time ≤ now for this offset. */
export function slotAtOrBefore(now: Date, offsetMs: number, intervalMinutes: number): Date {
  const interval = intervalMinutes * MINUTE_MS;
  const t = now.getTime() - offsetMs;
  return new Date(Math.floor(t / interval) * interval + offsetMs);
}

/** The first scheduled time > now for this offset. */
export function slotAfter(now: Date, offsetMs: number, intervalMinutes: number): Date {
  return new Date(slotAtOrBefore(now, offsetMs, intervalMinutes).getTime() + intervalMinutes * MINUTE_MS);
}

/** Due when nothing ran since the latest slot (a failed sweep counts as ran: it is retried next slot). */
export function isDue(lastSweepAt: string | null, now: Date, offsetMs: number, intervalMinutes: number): boolean {
  if (!lastSweepAt) return true;
  return Date.parse(lastSweepAt) < slotAtOrBefore(now, offsetMs, intervalMinutes).getTime();
}

export interface Timers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface SchedulerDeps {
  db: Kysely<Database>;
  clock: Clock;
  logger: SweepLogger;
  intervalMinutes: number;
  concurrency: number;
  /** Runs one sweep (sweepMailbox bound to its deps). */
  run: (target: SweepTarget, opts: SweepRunOptions) => Promise<SweepView>;
  /** How often the timer calls tick (default 30 s). */
  tickMs?: number;
  timers?: Timers;
}

export interface StartedSweep {
  /** The sweep row as created (status running). Rejects when the sweep could not start (not connected, already running elsewhere). */
  started: Promise<SweepView>;
  /** The finished sweep. */
  done: Promise<SweepView>;
}

const keyOf = (t: { organizationId: string; userId: string }) => `${t.organizationId}/${t.userId}`;

export class SweepScheduler {
  private timer: unknown = null;
  private stopping = false;
  private readonly running = new Map<string, { controller: AbortController; done: Promise<SweepView | null> }>();
  private readonly queue: SweepTarget[] = [];
  private scheduledRunning = 0;
  private ticking: Promise<void> | null = null;

  constructor(private readonly deps: SchedulerDeps) {}

  start(): void {
    if (this.timer) return;
    this.stopping = false;
    const timers = this.deps.timers ?? {
      setInterval: (f, ms) => setInterval(f, ms),
      clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
    };
    this.timer = timers.setInterval(
      () =>
        void this.tick().catch((err) => this.deps.logger.error({ err: String(err) }, "sweep scheduler tick failed")),
      this.deps.tickMs ?? 30_000,
    );
    // Unref'd so a scheduler alone never keeps the process (or a test runner) alive.
    (this.timer as { unref?: () => void })?.unref?.();
    void this.tick().catch((err) => this.deps.logger.error({ err: String(err) }, "sweep scheduler tick failed"));
  }

  /** Stop the timer; wait for sweeps in flight, or abort them (they record themselves failed). */
  async stop(opts: { abort?: boolean } = {}): Promise<void> {
    this.stopping = true;
    if (this.timer) {
      const timers = this.deps.timers ?? {
        setInterval: (f, ms) => setInterval(f, ms),
        clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
      };
      timers.clearInterval(this.timer);
      this.timer = null;
    }
    this.queue.length = 0;
    if (opts.abort) for (const r of this.running.values()) r.controller.abort();
    await this.ticking?.catch(() => undefined);
    await this.idle();
  }

  /** Resolves when nothing is running or queued. */
  async idle(): Promise<void> {
    while (this.running.size || this.queue.length) {
      await Promise.all([...this.running.values()].map((r) => r.done));
    }
  }

  isSweeping(organizationId: string, userId: string): boolean {
    return this.running.has(keyOf({ organizationId, userId }));
  }

  /** Queue every active mailbox whose slot has come and start as many as the concurrency allows. */
  tick(now: Date = this.deps.clock.now()): Promise<void> {
    const run = (async () => {
      if (this.stopping) return;
      const connections = await listActiveConnections(this.deps.db);
      for (const c of connections) {
        const target: SweepTarget = { organizationId: c.organizationId, userId: c.userId, trigger: "schedule" };
        const key = keyOf(target);
        if (this.running.has(key) || this.queue.some((q) => keyOf(q) === key)) continue;
        if (isDue(c.lastSweepAt, now, sweepOffsetMs(c.userId, this.deps.intervalMinutes), this.deps.intervalMinutes))
          this.queue.push(target);
      }
      this.pump();
    })();
    this.ticking = run;
    return run;
  }

  private pump(): void {
    while (!this.stopping && this.scheduledRunning < this.deps.concurrency && this.queue.length) {
      const target = this.queue.shift()!;
      if (this.running.has(keyOf(target))) continue;
      this.scheduledRunning++;
      const s = this.launch(target);
      void s.done
        .catch(() => null)
        .finally(() => {
          this.scheduledRunning--;
          this.pump();
        });
      s.started.catch(() => undefined);
    }
  }

  /**
   * Sweep this mailbox now (after connect, "sweep now", the CLI), outside the scheduled concurrency
   * bound. Throws SweepInProgressError when it is already being swept in this process.
   */
  sweepNow(target: SweepTarget, extra: Pick<SweepRunOptions, "onProgress" | "full"> = {}): StartedSweep {
    const key = keyOf(target);
    if (this.running.has(key)) throw new SweepInProgressError("in-process");
    return this.launch(target, extra);
  }

  private launch(target: SweepTarget, extra: Pick<SweepRunOptions, "onProgress" | "full"> = {}): StartedSweep {
    const key = keyOf(target);
    const controller = new AbortController();
    let onStarted!: (s: SweepView) => void;
    const started = new Promise<SweepView>((resolve) => (onStarted = resolve));
    const done = this.deps.run(target, {
      signal: controller.signal,
      onStarted,
      onProgress: extra.onProgress,
      full: extra.full,
    });
    const tracked = done.then(
      (v) => v,
      (err: unknown) => {
        if (!(err instanceof SweepInProgressError)) {
          this.deps.logger.warn(
            {
              organizationId: target.organizationId,
              userId: target.userId,
              err: err instanceof Error ? err.message : String(err),
            },
            "sweep did not start",
          );
        }
        return null;
      },
    );
    this.running.set(key, { controller, done: tracked });
    void tracked.finally(() => {
      if (this.running.get(key)?.done === tracked) this.running.delete(key);
    });
    // started settles with the row, or rejects with the reason the sweep never got a row.
    const startedOrFailed = Promise.race([started, done.then((v) => v)]);
    return { started: startedOrFailed, done };
  }
}
