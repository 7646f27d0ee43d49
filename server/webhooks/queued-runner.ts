/**
 * Webhook deliveries in distributed mode, through the pg-boss queue `webhook-delivery`
 * (server/sweep-queue/webhook-job.ts): the dispatcher's new deliveries become jobs at once, each failed
 * attempt sends the job of the next one at its time, and every process fetches jobs and attempts them
 * (sender.ts, the same attempt as embedded mode's), at most `concurrency` at once and `perEndpoint` per
 * endpoint. A job whose endpoint has no free slot here waits briefly, then goes back to the queue a
 * second later, so one slow endpoint's backlog never holds the slots other endpoints' jobs need.
 *
 * The delivery rows stay the record, so nothing depends on a job surviving: a periodic pass
 * (reconcile) sends a job for every delivery that is due and unclaimed for longer than `graceMs` —
 * one whose job was never sent (a process died between committing the deliveries and sending their
 * jobs) or was dropped. A job run twice is harmless: the claim on the row lets one attempt through.
 */
import type PgBoss from "pg-boss";
import type { Logger } from "../logger";
import {
  WEBHOOK_QUEUE,
  ensureWebhookQueue,
  parseDeliveryJobData,
  sendDeliveryJobs,
  type DeliveryJobData,
  type DeliveryJobRequest,
} from "../sweep-queue/webhook-job";
import { dueDeliveries, getDelivery } from "../store/webhook-deliveries";
import { dispatchFeed } from "./dispatcher";
import { disableLongFailing } from "./health";
import type { RunnerOptions, WebhookRunner } from "./runner";
import { attemptDelivery, type AttemptResult, type SenderDeps } from "./sender";

export interface QueuedRunnerOptions extends RunnerOptions {
  /** The queue's job deadline: a job of a dead process is handed on after it (past the attempt's lock). */
  expireInSeconds: number;
  /** How often due deliveries without a running job are looked for (default 30 s). */
  reconcileIntervalMs?: number;
  /** A delivery due this long without being attempted is given a job (default 30 s). */
  graceMs?: number;
  /** How long a fetched job waits for its endpoint's slot before going back to the queue (default 2 s). */
  maxWaitMs?: number;
}

interface Held {
  job: PgBoss.Job<unknown>;
  data: DeliveryJobData;
  since: number;
  done: (r: AttemptResult) => void;
}

/** How far the database's clock (which starts jobs) may be ahead of ours. */
const CLOCK_SKEW_MS = 2000;

/** Longest wait between two fetches when idle. */
const FETCH_POLL_MS = 1000;

/** The attempt's lock outlives the attempt (sender.ts: three timeouts); the job's deadline comes after it. */
export function deliveryJobExpireSeconds(timeoutMs: number): number {
  return Math.ceil((timeoutMs * 3) / 1000) + 10;
}

interface JobContext {
  deps: SenderDeps & { logger: Logger };
  boss: PgBoss;
  expireInSeconds: number;
  reconcileMs: number;
}

const sendJobs = (ctx: JobContext, requests: DeliveryJobRequest[]) =>
  requests.length ? sendDeliveryJobs(ctx.boss, requests, ctx.expireInSeconds) : Promise.resolve();

/** New deliveries' jobs, the endpoint health check, and (reconcile) jobs for stranded deliveries. */
async function maintainJobs(ctx: JobContext, reconcile: boolean, grace: number): Promise<void> {
  const { deps } = ctx;
  const now = deps.clock.now();
  const made = await dispatchFeed(deps.db, now);
  await sendJobs(
    ctx,
    made.map((d) => ({ ...d, deliveryId: d.id, dueAt: now, key: "a0" })),
  );
  await disableLongFailing(deps, now);
  if (!reconcile) return;
  const justSent = new Set(made.map((d) => d.id));
  const stranded = (await dueDeliveries(deps.db, new Date(now.getTime() - grace), 500)).filter(
    (d) => !justSent.has(d.id),
  );
  // The period in the key: a stranded delivery whose job was dropped gets a new one next period.
  const period = `r${Math.floor(now.getTime() / Math.max(ctx.reconcileMs, 60_000))}`;
  await sendJobs(
    ctx,
    stranded.map((d) => ({
      organizationId: d.organizationId,
      endpointId: d.endpointId,
      deliveryId: d.id,
      dueAt: new Date(d.nextAttemptAt ?? now),
      key: period,
    })),
  );
}

/** One job: attempt the delivery if it is due and free; otherwise make sure a job waits for its time. */
async function handleJob(ctx: JobContext, jobId: string, data: DeliveryJobData): Promise<AttemptResult> {
  const { deps } = ctx;
  const d = await getDelivery(deps.db, data.organizationId, data.deliveryId);
  if (!d || d.status !== "pending" || d.endpointId !== data.endpointId) return "skipped";
  const nowMs = deps.clock.now().getTime();
  const now = new Date(nowMs).toISOString();
  // pg-boss starts a job by the database's clock: a job a little early by ours is due all the same.
  const early = d.nextAttemptAt !== null && Date.parse(d.nextAttemptAt) > nowMs + CLOCK_SKEW_MS;
  const locked = d.lockedUntil !== null && d.lockedUntil > now; // another attempt is in flight
  if (early || locked) {
    const dueAt = [d.nextAttemptAt ?? now, locked ? d.lockedUntil! : now].sort()[1];
    // Keyed by this job: the job it sends can never be this one again (which would be dropped).
    await sendJobs(ctx, [{ ...data, dueAt: new Date(dueAt), key: `wait-${jobId}` }]);
    return "skipped";
  }
  const result = await attemptDelivery(deps, d);
  if (result === "failed") {
    const after = await getDelivery(deps.db, data.organizationId, data.deliveryId);
    if (after?.status === "pending" && after.nextAttemptAt)
      await sendJobs(ctx, [{ ...data, dueAt: new Date(after.nextAttemptAt), key: `a${after.attempts}` }]);
  }
  return result;
}

export function createQueuedWebhookRunner(
  deps: SenderDeps & { logger: Logger },
  boss: PgBoss,
  opts: QueuedRunnerOptions,
): WebhookRunner {
  const reconcileMs = opts.reconcileIntervalMs ?? 30_000;
  const graceMs = opts.graceMs ?? 30_000;
  const maxWaitMs = opts.maxWaitMs ?? 2000;
  const inFlight = new Set<Promise<unknown>>();
  const perEndpoint = new Map<string, number>();
  const waiting: Held[] = [];
  let running = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let passing: Promise<unknown> | null = null;
  let again = false;
  let lastMaintain = -Infinity;
  let lastReconcile = performance.now();
  let reconcileNow = false;

  const ctx: JobContext = { deps, boss, expireInSeconds: opts.expireInSeconds, reconcileMs };
  const send = (requests: DeliveryJobRequest[]) => sendJobs(ctx, requests);
  const maintain = (reconcile: boolean, grace: number) => maintainJobs(ctx, reconcile, grace);
  const handle = (jobId: string, data: DeliveryJobData) => handleJob(ctx, jobId, data);

  function launch(h: Held): void {
    perEndpoint.set(h.data.endpointId, (perEndpoint.get(h.data.endpointId) ?? 0) + 1);
    const p = handle(h.job.id, h.data)
      .then(
        async (r) => {
          await boss.complete(WEBHOOK_QUEUE, h.job.id);
          return r;
        },
        async (err: unknown) => {
          deps.logger.warn({ jobId: h.job.id, err: String(err) }, "webhook job failed; pg-boss retries it");
          await boss.fail(WEBHOOK_QUEUE, h.job.id, { error: String(err).slice(0, 300) });
          return "skipped" as const;
        },
      )
      .catch((err: unknown) => {
        deps.logger.warn({ jobId: h.job.id, err: String(err) }, "could not end a webhook job");
        return "skipped" as const;
      })
      .then((r) => {
        inFlight.delete(p);
        const n = (perEndpoint.get(h.data.endpointId) ?? 1) - 1;
        if (n <= 0) perEndpoint.delete(h.data.endpointId);
        else perEndpoint.set(h.data.endpointId, n);
        h.done(r);
        pump();
        if (running) schedule(0);
      });
    inFlight.add(p);
  }

  /** Start waiting jobs whose endpoint has a free slot, oldest first. */
  function pump(): void {
    for (let i = 0; i < waiting.length && inFlight.size < opts.concurrency;) {
      const h = waiting[i];
      if ((perEndpoint.get(h.data.endpointId) ?? 0) < opts.perEndpoint) {
        waiting.splice(i, 1);
        launch(h);
      } else i++;
    }
  }

  /** Jobs that waited too long for their endpoint go back to the queue, due a second from now. */
  async function returnStale(force = false): Promise<void> {
    const cutoff = performance.now() - maxWaitMs;
    const stale = waiting.filter((h) => force || h.since <= cutoff);
    if (!stale.length) return;
    for (const h of stale) waiting.splice(waiting.indexOf(h), 1);
    const dueAt = new Date(deps.clock.now().getTime() + 1000);
    await send(stale.map((h) => ({ ...h.data, dueAt, key: `back-${h.job.id}` })));
    await boss.complete(
      WEBHOOK_QUEUE,
      stale.map((h) => h.job.id),
    );
    for (const h of stale) h.done("skipped");
  }

  /** Fetch as many jobs as there is room for; returns the promises of their outcomes. */
  async function fetchJobs(): Promise<Promise<AttemptResult>[]> {
    const room = opts.concurrency - inFlight.size - waiting.length;
    if (room <= 0) return [];
    const jobs = (await boss.fetch<unknown>(WEBHOOK_QUEUE, { batchSize: room })) ?? [];
    const outcomes: Promise<AttemptResult>[] = [];
    const bad: string[] = [];
    for (const job of jobs) {
      const data = parseDeliveryJobData(job.data);
      if (!data) {
        bad.push(job.id);
        continue;
      }
      outcomes.push(new Promise((done) => waiting.push({ job, data, since: performance.now(), done })));
    }
    if (bad.length) await boss.complete(WEBHOOK_QUEUE, bad);
    pump();
    return outcomes;
  }

  let ready: Promise<void> | null = null;
  /** The queue exists with our options (created once per process; a failure is tried again next pass). */
  const queueReady = () =>
    (ready ??= ensureWebhookQueue(boss, opts.expireInSeconds).catch((err: unknown) => {
      ready = null;
      throw err;
    }));

  async function pass(): Promise<Promise<AttemptResult>[]> {
    await queueReady();
    if (performance.now() - lastMaintain >= opts.pollIntervalMs || reconcileNow) {
      lastMaintain = performance.now();
      const reconcile = reconcileNow || performance.now() - lastReconcile >= reconcileMs;
      if (reconcile) lastReconcile = performance.now();
      const grace = reconcileNow ? 0 : graceMs;
      reconcileNow = false;
      await maintain(reconcile, grace);
    }
    await returnStale();
    return fetchJobs();
  }

  function schedule(ms: number): void {
    if (!running) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(loop, ms);
  }

  function loop(): void {
    timer = null;
    if (passing) {
      again = true;
      return;
    }
    again = false;
    passing = pass()
      .then((started) => {
        // A full batch: the queue may hold more now.
        if (started.length > 0 && opts.concurrency - inFlight.size - waiting.length > 0) again = true;
      })
      .catch((err: unknown) => deps.logger.warn({ err: String(err) }, "webhook pass failed"))
      .finally(() => {
        passing = null;
        // Jobs other processes send (retries, replays) are fetched at least every second.
        schedule(again ? 0 : Math.min(opts.pollIntervalMs, FETCH_POLL_MS, waiting.length ? maxWaitMs : Infinity));
      });
  }

  return {
    async tick() {
      lastMaintain = -Infinity;
      const outcomes = await pass();
      // The attempts made (a job whose delivery was not due, or was claimed elsewhere, made none).
      return (await Promise.all(outcomes)).filter((r) => r !== "skipped");
    },
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
      await returnStale(true).catch(() => undefined);
      await Promise.all(inFlight);
    },
    nudge(o = {}) {
      lastMaintain = -Infinity;
      if (o.reconcile) reconcileNow = true;
      schedule(0);
    },
  };
}
