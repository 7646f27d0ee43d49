/**
 * A sweep worker: pulls `mailbox-sweep` jobs and runs one sweep per job, up to `concurrency` at once,
 * and `message-capture` jobs (capture-job.ts) in as many slots of their own.
 *
 * How a job ends (pg-boss state):
 * - the sweep ran — succeeded, or failed for a mailbox reason recorded in its sweep row (revoked grant,
 *   Graph refusing): completed; the next slot's job sweeps again from the last success.
 * - the mailbox is no longer connected: completed, nothing to do.
 * - a sweep of the mailbox already succeeded after the job was enqueued (a retried job whose first
 *   attempt finished the sweep but died before completing the job, or a manual sweep): completed.
 * - another sweep of this mailbox is running (SweepInProgressError): failed → retried later with
 *   backoff. The running row may belong to a worker that just died and is not yet older than the job
 *   deadline; completing would skip this hour, retrying loses nothing.
 * - anything thrown outside a sweep row (database down, …): failed → retried with backoff.
 * - the job's deadline (its expireInSeconds, less a margin) passed or the worker is stopping: the sweep
 *   is aborted (it records itself failed) and the job failed → retried, by any worker. Aborting before
 *   pg-boss expires the job keeps a slow sweep from overlapping its own retry.
 * A worker killed outright leaves its jobs active; pg-boss expires them and another worker retries
 * them. The engine's guard treats a `running` sweep row older than the job deadline as left by a dead
 * process, so the retry is not blocked by it.
 */
import type PgBoss from "pg-boss";
import type { Logger } from "../logger";
import { NotConnectedError } from "../identity/errors";
import { describeError } from "../sweep/errors";
import { sweepMailbox, SweepInProgressError, type SweepDeps } from "../sweep/engine";
import { closeOrphanedSweeps } from "../store/sweeps";
import { runCaptureJob } from "./capture-job";
import type { SweepLiveness } from "./liveness";
import { parseJobData, CAPTURE_QUEUE, SWEEP_QUEUE, type SweepJobData, type SweepQueue } from "./queue";

export interface SweepWorkerDeps {
  /** Shown in logs and job outputs. */
  id: string;
  queue: SweepQueue;
  /** What every sweep runs with; the worker adds the job's deadline as the running guard. */
  sweep: SweepDeps;
  logger: Logger;
  /** Sweeps run at once. */
  concurrency: number;
  /** Idle polling period (default 1000 ms). */
  pollIntervalMs?: number;
  /** Held per mailbox while sweeping, so API processes see at once when this worker dies (liveness.ts). */
  liveness: SweepLiveness;
}

export interface WorkerStats {
  started: number;
  completed: number;
  failed: number;
  inFlight: number;
}

export interface SweepWorker {
  readonly id: string;
  readonly queue: SweepQueue;
  stats(): WorkerStats;
  /** Resolves when nothing is in flight (benchmarks: with an empty queue, the work is done). */
  idle(): Promise<void>;
  /**
   * Stop fetching; let in-flight sweeps finish within `timeoutMs` (default 30 s), then abort the rest
   * and hand their jobs back (failed → retried). The queue stays open: its owner stops it.
   */
  stop(opts?: { timeoutMs?: number }): Promise<void>;
}

type Job = PgBoss.JobWithMetadata<unknown>;

/** Abort this long before the job's expiry (10% of it, between 1 s and 60 s). */
export function deadlineMs(expireInSeconds: number): number {
  const ms = expireInSeconds * 1000;
  return ms - Math.min(60_000, Math.max(1000, ms / 10));
}

interface JobContext {
  id: string;
  queue: SweepQueue;
  logger: Logger;
  sweep: SweepDeps;
  liveness: SweepLiveness;
  counts: { started: number; completed: number; failed: number };
  /** True once the worker is stopping: an aborted sweep is then handed back as "worker stopping". */
  stopping(): boolean;
}

/** A sleep that `wake` cuts short (a job finished: there is room to fetch again). */
function napper(): { nap(ms: number): Promise<void>; wake(): void } {
  let wake: (() => void) | null = null;
  return {
    nap: (ms) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          wake = null;
          resolve();
        }, ms);
        wake = () => {
          clearTimeout(t);
          wake = null;
          resolve();
        };
      }),
    wake: () => wake?.(),
  };
}

async function finish(
  ctx: JobContext,
  job: Job,
  outcome: "complete" | "fail",
  output: Record<string, unknown>,
): Promise<void> {
  try {
    if (outcome === "complete") await ctx.queue.boss.complete(SWEEP_QUEUE, job.id, { ...output, worker: ctx.id });
    else await ctx.queue.boss.fail(SWEEP_QUEUE, job.id, { ...output, worker: ctx.id });
  } catch (err) {
    // The job stays active; pg-boss expires and retries it.
    ctx.logger.warn({ jobId: job.id, err: describeError(err) }, "could not record the job's outcome");
  }
  if (outcome === "complete") ctx.counts.completed++;
  else ctx.counts.failed++;
}

/**
 * At-least-once delivery: a worker killed after its sweep succeeded but before it completed the job
 * leaves the job to be retried. A sweep that succeeded after this job was enqueued already did what it
 * asks for (this slot, or the first sweep after connecting), so sweep again only if none did.
 */
function findCoveringSweep(
  db: SweepDeps["db"],
  data: SweepJobData,
  enqueuedAt: Date,
): Promise<{ id: string } | undefined> {
  return db
    .selectFrom("sweeps")
    .select("id")
    .where("organizationId", "=", data.organizationId)
    .where("userId", "=", data.userId)
    .where("status", "=", "succeeded")
    .where("startedAt", ">=", enqueuedAt.toISOString())
    .executeTakeFirst();
}

type JobLog = Record<string, unknown>;

const TRIGGER_OF = { connect: "connect", manual: "manual", schedule: "worker" } as const;

async function sweepForJob(
  ctx: JobContext,
  job: Job,
  data: SweepJobData,
  controller: AbortController,
  log: JobLog,
): Promise<void> {
  const covered = await findCoveringSweep(ctx.sweep.db, data, new Date(job.createdOn));
  if (covered) {
    ctx.logger.info({ ...log, sweepId: covered.id, skipped: "already_swept" }, "sweep job completed");
    return finish(ctx, job, "complete", { sweepId: covered.id, skipped: "already_swept" });
  }
  const release = await ctx.liveness.hold(data.userId);
  // Another live session sweeps this mailbox: defer like any sweep in progress.
  if (!release) throw new SweepInProgressError("held");
  let sweep: Awaited<ReturnType<typeof sweepMailbox>>;
  try {
    // This worker holds the mailbox's one active job and every queued sweep is a job, so a sweep of the
    // mailbox still marked running was left by a worker that died: close it at once rather than waiting
    // for it to age. Only a CLI sweep (outside the queue) still blocks, through the engine's guard.
    const orphaned = await closeOrphanedSweeps(ctx.sweep.db, data.organizationId, data.userId, ctx.sweep.clock.now());
    if (orphaned.length)
      ctx.logger.warn({ ...log, sweepIds: orphaned }, "closed sweeps left running by a stopped worker");
    sweep = await sweepMailbox(
      { ...ctx.sweep, runningGuardMs: Number(job.expireInSeconds) * 1000 },
      { organizationId: data.organizationId, userId: data.userId, trigger: TRIGGER_OF[data.reason] },
      { signal: controller.signal },
    );
  } finally {
    await release();
  }
  if (controller.signal.aborted && sweep.status === "failed") {
    const stopping = ctx.stopping();
    ctx.logger.warn({ ...log, sweepId: sweep.id, stopping }, "sweep job aborted; handed back for retry");
    await finish(ctx, job, "fail", { sweepId: sweep.id, aborted: stopping ? "worker stopping" : "deadline" });
  } else {
    ctx.logger.info({ ...log, sweepId: sweep.id, status: sweep.status }, "sweep job completed");
    await finish(ctx, job, "complete", { sweepId: sweep.id, status: sweep.status });
  }
}

/** A job whose sweep threw: done when there is nothing to sweep, retried otherwise. */
async function finishThrown(ctx: JobContext, job: Job, err: unknown, log: JobLog): Promise<void> {
  if (err instanceof NotConnectedError) {
    ctx.logger.info(log, "sweep job completed: mailbox not connected");
    await finish(ctx, job, "complete", { skipped: "not_connected" });
  } else if (err instanceof SweepInProgressError) {
    ctx.logger.info({ ...log, runningSweepId: err.sweepId }, "sweep job deferred: mailbox already being swept");
    await finish(ctx, job, "fail", { deferred: "in_progress", runningSweepId: err.sweepId });
  } else {
    ctx.logger.warn({ ...log, err: describeError(err) }, "sweep job failed; will be retried");
    await finish(ctx, job, "fail", { error: describeError(err) });
  }
}

async function runJob(ctx: JobContext, job: Job, controller: AbortController): Promise<void> {
  const data = parseJobData(job.data);
  if (!data) {
    ctx.logger.error({ jobId: job.id }, "sweep job with malformed data dropped");
    return finish(ctx, job, "complete", { skipped: "malformed" });
  }
  const timer = setTimeout(() => controller.abort(), deadlineMs(Number(job.expireInSeconds)));
  ctx.counts.started++;
  const log = {
    jobId: job.id,
    organizationId: data.organizationId,
    userId: data.userId,
    reason: data.reason,
    slot: data.slot,
    attempt: job.retryCount + 1,
  };
  ctx.logger.info(log, "sweep job started");
  try {
    await sweepForJob(ctx, job, data, controller, log);
  } catch (err) {
    await finishThrown(ctx, job, err, log);
  } finally {
    clearTimeout(timer);
  }
}

/** What a running worker holds: the sweeps and captures in flight, and whether it is stopping. */
interface WorkerState {
  deps: SweepWorkerDeps;
  concurrency: number;
  ctx: JobContext;
  inFlight: Map<string, { controller: AbortController; done: Promise<void> }>;
  /** Captures have their own room: a person is waiting, and they must not queue behind hour-long sweeps. */
  captures: Map<string, Promise<void>>;
  stopping: boolean;
  wake: () => void;
}

function launchSweep(w: WorkerState, job: Job): void {
  const controller = new AbortController();
  const done = runJob(w.ctx, job, controller)
    .catch((err: unknown) => w.deps.logger.error({ jobId: job.id, err: describeError(err) }, "sweep job crashed"))
    .finally(() => {
      w.inFlight.delete(job.id);
      w.wake();
    });
  w.inFlight.set(job.id, { controller, done });
}

async function fetchCaptures(w: WorkerState): Promise<number> {
  const { id, queue, logger } = w.deps;
  const free = w.concurrency - w.captures.size;
  if (free <= 0) return 0;
  let jobs: Job[] = [];
  try {
    jobs = await queue.boss.fetch<unknown>(CAPTURE_QUEUE, { batchSize: free, includeMetadata: true });
  } catch (err) {
    logger.warn({ err: describeError(err) }, "could not fetch capture jobs");
  }
  for (const job of jobs) {
    const done = runCaptureJob({ id, queue, sweep: w.deps.sweep, logger }, job).finally(() =>
      w.captures.delete(job.id),
    );
    w.captures.set(job.id, done);
  }
  return jobs.length;
}

async function workLoop(w: WorkerState, nap: (ms: number) => Promise<void>, pollMs: number): Promise<void> {
  while (!w.stopping) {
    const capturing = await fetchCaptures(w);
    const free = w.concurrency - w.inFlight.size;
    if (free <= 0 || w.stopping) {
      await nap(pollMs);
      continue;
    }
    let jobs: Job[] = [];
    try {
      jobs = await w.deps.queue.boss.fetch<unknown>(SWEEP_QUEUE, { batchSize: free, includeMetadata: true });
    } catch (err) {
      w.deps.logger.warn({ err: describeError(err) }, "could not fetch jobs");
    }
    if (w.stopping) {
      // Fetched while stopping: hand them straight back.
      for (const job of jobs) await finish(w.ctx, job, "fail", { aborted: "worker stopping" });
      break;
    }
    for (const job of jobs) launchSweep(w, job);
    if (!jobs.length && !capturing) await nap(pollMs);
  }
}

const allWork = (w: WorkerState) =>
  Promise.all([...[...w.inFlight.values()].map((f) => f.done), ...w.captures.values()]);

/** Stop taking jobs; let running work finish for `timeoutMs`, then abort the sweeps still running. */
async function stopWorker(w: WorkerState, looping: Promise<void>, timeoutMs: number): Promise<void> {
  if (w.stopping) return;
  w.stopping = true;
  w.wake();
  await looping;
  const all = allWork(w);
  let timedOut = false;
  await Promise.race([all, new Promise<void>((r) => setTimeout(() => ((timedOut = true), r()), timeoutMs).unref())]);
  if (timedOut) {
    w.deps.logger.warn({ inFlight: w.inFlight.size }, "stopping: aborting sweeps still running");
    for (const f of w.inFlight.values()) f.controller.abort();
    await all;
  }
}

/** Take sweep jobs from the queue and run them, up to `concurrency` at once, until stopped. */
export function runSweepWorker(deps: SweepWorkerDeps): SweepWorker {
  const { id, queue, logger } = deps;
  const { nap, wake } = napper();
  const ctx: JobContext = {
    id,
    queue,
    logger,
    sweep: deps.sweep,
    liveness: deps.liveness,
    counts: { started: 0, completed: 0, failed: 0 },
    stopping: () => w.stopping,
  };
  const w: WorkerState = {
    deps,
    concurrency: Math.max(1, Math.floor(deps.concurrency)),
    ctx,
    inFlight: new Map(),
    captures: new Map(),
    stopping: false,
    wake,
  };
  const looping = workLoop(w, nap, deps.pollIntervalMs ?? 1000);
  logger.info(
    { concurrency: w.concurrency, queue: SWEEP_QUEUE, expireInSeconds: queue.settings.expireInSeconds },
    "sweep worker started",
  );

  return {
    id,
    queue,
    stats: () => ({ ...w.ctx.counts, inFlight: w.inFlight.size }),
    async idle() {
      while (w.inFlight.size || w.captures.size) await allWork(w);
    },
    stop: (o = {}) => stopWorker(w, looping, o.timeoutMs ?? 30_000),
  };
}
