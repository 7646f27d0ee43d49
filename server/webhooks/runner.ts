/**
 * Runs webhook deliveries: each pass turns new feed changes into deliveries (dispatcher.ts) and disables
 * endpoints failing too long even when nothing new is sent to them (health.ts), then attempts
 * the deliveries that are due (sender.ts), at most `concurrency` at once and `perEndpoint` per endpoint,
 * so one organization's slow or failing endpoint holds at most its own slots, never another's. The state
 * is in the database (deliveries, locks), so any number of processes may run passes: a claim decides who
 * attempts, and a process that dies leaves only a lock that expires.
 */
import type { Logger } from "../logger";
import { dueDeliveries, type WebhookDeliveryRecord } from "../store/webhook-deliveries";
import { dispatchFeed } from "./dispatcher";
import { disableLongFailing } from "./health";
import { attemptDelivery, type AttemptResult, type SenderDeps } from "./sender";

export interface RunnerOptions {
  /** Attempts in flight in this process (WEBHOOK_CONCURRENCY). */
  concurrency: number;
  /** Attempts in flight per endpoint in this process. */
  perEndpoint: number;
  /** Time between passes when idle (WEBHOOK_POLL_INTERVAL_MS). */
  pollIntervalMs: number;
}

export interface WebhookRunner {
  /** One pass: dispatch, then attempt what is due; resolves when those attempts finished. */
  tick(): Promise<AttemptResult[]>;
  start(): void;
  /** Stop polling and wait for attempts in flight (abort: do not wait, as a killed process would not). */
  stop(opts?: { abort?: boolean }): Promise<void>;
  /**
   * Run a pass soon: a capture just recorded changes, or (reconcile) an administrator made deliveries
   * due again (replay, enable) — the queued runner then also gives due deliveries their jobs at once.
   */
  nudge(opts?: { reconcile?: boolean }): void;
}

export function createWebhookRunner(deps: SenderDeps & { logger: Logger }, opts: RunnerOptions): WebhookRunner {
  const inFlight = new Map<string, Promise<AttemptResult>>();
  const perEndpoint = new Map<string, number>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running = false;
  let passing: Promise<unknown> | null = null;

  function launch(d: WebhookDeliveryRecord): Promise<AttemptResult> {
    perEndpoint.set(d.endpointId, (perEndpoint.get(d.endpointId) ?? 0) + 1);
    const p = attemptDelivery(deps, d)
      .catch((err: unknown) => {
        deps.logger.warn({ deliveryId: d.id, err: String(err) }, "webhook attempt failed to run");
        return "skipped" as const;
      })
      .finally(() => {
        inFlight.delete(d.id);
        const n = (perEndpoint.get(d.endpointId) ?? 1) - 1;
        if (n <= 0) perEndpoint.delete(d.endpointId);
        else perEndpoint.set(d.endpointId, n);
        if (running) {
          sendOnly = true;
          schedule(0);
        }
      });
    inFlight.set(d.id, p);
    return p;
  }

  /** Dispatch and start what is due; the attempts run on (a slow endpoint must not hold the next pass). */
  async function pass(dispatch = true): Promise<Promise<AttemptResult>[]> {
    const now = deps.clock.now();
    if (dispatch) {
      await dispatchFeed(deps.db, now);
      await disableLongFailing(deps, now);
    }
    const room = opts.concurrency - inFlight.size;
    if (room <= 0) return [];
    const due = await dueDeliveries(deps.db, now, Math.max(room * 4, 50));
    const started: Promise<AttemptResult>[] = [];
    for (const d of due) {
      if (inFlight.size >= opts.concurrency) break;
      if (inFlight.has(d.id) || (perEndpoint.get(d.endpointId) ?? 0) >= opts.perEndpoint) continue;
      started.push(launch(d));
    }
    return started;
  }

  function schedule(ms: number): void {
    if (!running) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(loop, ms);
  }

  /** Set when a pass was asked for while one ran (an attempt finished): run another right after it. */
  let again = false;
  /** Passes since the last one that read the feed: a pass started by a finished attempt only sends. */
  let sendOnly = false;
  let lastDispatch = 0;

  function loop(): void {
    timer = null;
    if (passing) {
      again = true;
      return;
    }
    again = false;
    // Reading the feed at least once per poll interval, however busy sending keeps the runner.
    const dispatch = !sendOnly || performance.now() - lastDispatch >= opts.pollIntervalMs;
    if (dispatch) lastDispatch = performance.now();
    sendOnly = false;
    passing = pass(dispatch)
      .catch((err: unknown) => deps.logger.warn({ err: String(err) }, "webhook pass failed"))
      .finally(() => {
        passing = null;
        if (!again) sendOnly = false;
        schedule(again ? 0 : opts.pollIntervalMs);
      });
  }

  return {
    tick: async () => Promise.all(await pass()),
    start() {
      if (running) return;
      running = true;
      schedule(0);
    },
    async stop(o = {}) {
      running = false;
      if (timer) clearTimeout(timer);
      timer = null;
      if (o.abort) return;
      await passing;
      await Promise.all(inFlight.values());
    },
    nudge() {
      sendOnly = false;
      if (running) schedule(0);
    },
  };
}
