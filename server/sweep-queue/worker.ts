/**
 * A sweep worker: pulls `mailbox-sweep` jobs and runs one sweep per job, up to `concurrency` at once.
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
import { parseJobData, SWEEP_QUEUE, type SweepQueue } from "./queue";

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

/** Take sweep jobs from the queue and run them, up to `concurrency` at once, until stopped. */
export function runSweepWorker(deps: SweepWorkerDeps): SweepWorker {
  const { id, queue, logger } = deps;
  const concurrency = Math.max(1, Math.floor(deps.concurrency));
  const pollMs = deps.pollIntervalMs ?? 1000;
  const sweepDeps = deps.sweep;

  const counts = { started: 0, completed: 0, failed: 0 };
  const inFlight = new Map<string, { controller: AbortController; done: Promise<void> }>();
  let stopping = false;
  let wake: (() => void) | null = null;
  const nap = (ms: number) =>
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
    });

  async function finish(job: Job, outcome: "complete" | "fail", output: Record<string, unknown>) {
    try {
      if (outcome === "complete") await queue.boss.complete(SWEEP_QUEUE, job.id, { ...output, worker: id });
      else await queue.boss.fail(SWEEP_QUEUE, job.id, { ...output, worker: id });
    } catch (err) {
      // The job stays active; pg-boss expires and retries it.
      logger.warn({ jobId: job.id, err: describeError(err) }, "could not record the job's outcome");
    }
    if (outcome === "complete") counts.completed++;
    else counts.failed++;
  }

  async function runJob(job: Job, controller: AbortController): Promise<void> {
    const data = parseJobData(job.data);
    if (!data) {
      logger.error({ jobId: job.id }, "sweep job with malformed data dropped");
      return finish(job, "complete", { skipped: "malformed" });
    }
    const expireMs = Number(job.expireInSeconds) * 1000;
    const timer = setTimeout(() => controller.abort(), deadlineMs(Number(job.expireInSeconds)));
    counts.started++;
    const log = { jobId: job.id, organizationId: data.organizationId, userId: data.userId, reason: data.reason, slot: data.slot, attempt: job.retryCount + 1 };
    logger.info(log, "sweep job started");
    try {
      // At-least-once delivery: a worker killed after its sweep succeeded but before it completed the
      // job leaves the job to be retried. A sweep that succeeded after this job was enqueued already did
      // what it asks for (this slot, or the first sweep after connecting), so sweep again only if none did.
      const covered = await sweepDeps.db
        .selectFrom("sweeps")
        .select("id")
        .where("organizationId", "=", data.organizationId)
        .where("userId", "=", data.userId)
        .where("status", "=", "succeeded")
        .where("startedAt", ">=", new Date(job.createdOn).toISOString())
        .executeTakeFirst();
      if (covered) {
        logger.info({ ...log, sweepId: covered.id, skipped: "already_swept" }, "sweep job completed");
        return await finish(job, "complete", { sweepId: covered.id, skipped: "already_swept" });
      }
      const sweep = await sweepMailbox(
        // A running row older than the job deadline was left by a worker that died (its job expired).
        { ...sweepDeps, runningGuardMs: expireMs },
        { organizationId: data.organizationId, userId: data.userId, trigger: data.reason === "connect" ? "connect" : "worker" },
        { signal: controller.signal },
      );
      if (controller.signal.aborted && sweep.status === "failed") {
        logger.warn({ ...log, sweepId: sweep.id, stopping }, "sweep job aborted; handed back for retry");
        await finish(job, "fail", { sweepId: sweep.id, aborted: stopping ? "worker stopping" : "deadline" });
      } else {
        logger.info({ ...log, sweepId: sweep.id, status: sweep.status }, "sweep job completed");
        await finish(job, "complete", { sweepId: sweep.id, status: sweep.status });
      }
    } catch (err) {
      if (err instanceof NotConnectedError) {
        logger.info(log, "sweep job completed: mailbox not connected");
        await finish(job, "complete", { skipped: "not_connected" });
      } else if (err instanceof SweepInProgressError) {
        logger.info({ ...log, runningSweepId: err.sweepId }, "sweep job deferred: mailbox already being swept");
        await finish(job, "fail", { deferred: "in_progress", runningSweepId: err.sweepId });
      } else {
        logger.warn({ ...log, err: describeError(err) }, "sweep job failed; will be retried");
        await finish(job, "fail", { error: describeError(err) });
      }
    } finally {
      clearTimeout(timer);
    }
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      const free = concurrency - inFlight.size;
      if (free <= 0) {
        await nap(pollMs);
        continue;
      }
      let jobs: Job[] = [];
      try {
        jobs = await queue.boss.fetch<unknown>(SWEEP_QUEUE, { batchSize: free, includeMetadata: true });
      } catch (err) {
        logger.warn({ err: describeError(err) }, "could not fetch jobs");
      }
      if (stopping) {
        // Fetched while stopping: hand them straight back.
        for (const job of jobs) await finish(job, "fail", { aborted: "worker stopping" });
        break;
      }
      for (const job of jobs) {
        const controller = new AbortController();
        const done = runJob(job, controller)
          .catch((err: unknown) => logger.error({ jobId: job.id, err: describeError(err) }, "sweep job crashed"))
          .finally(() => {
            inFlight.delete(job.id);
            wake?.();
          });
        inFlight.set(job.id, { controller, done });
      }
      if (!jobs.length) await nap(pollMs);
    }
  }

  const looping = loop();
  logger.info({ concurrency, queue: SWEEP_QUEUE, expireInSeconds: queue.settings.expireInSeconds }, "sweep worker started");

  return {
    id,
    queue,
    stats: () => ({ ...counts, inFlight: inFlight.size }),
    async idle() {
      while (inFlight.size) await Promise.all([...inFlight.values()].map((f) => f.done));
    },
    async stop(o = {}) {
      if (stopping) return;
      stopping = true;
      wake?.();
      await looping;
      const timeoutMs = o.timeoutMs ?? 30_000;
      const all = Promise.all([...inFlight.values()].map((f) => f.done));
      let timedOut = false;
      await Promise.race([all, new Promise<void>((r) => setTimeout(() => ((timedOut = true), r()), timeoutMs).unref())]);
      if (timedOut) {
        logger.warn({ inFlight: inFlight.size }, "stopping: aborting sweeps still running");
        for (const f of inFlight.values()) f.controller.abort();
        await all;
      }
    },
  };
}
