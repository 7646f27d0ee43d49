/**
 * The sweep service of an API process in distributed mode: it sweeps nothing and calls no Graph
 * itself. "Sweep now" and "capture now" become jobs that workers run; the API process follows them.
 *
 * How it learns the outcome: from pg-boss's job row (state, and the output the worker completes it
 * with: the sweep id, or the capture's outcome). The job, not the sweeps table, is what survives a
 * worker's death: a retried job keeps its id and ends with the sweep that finally ran, while the dead
 * attempt's sweep row is only an interrupted attempt. The running sweep row is read for the answer at
 * the start (what the pane shows while it runs).
 */
import type { SweepView } from "../../shared/api/contract";
import type { Clock } from "../clock";
import { DomainError } from "../domain-error";
import type { Logger } from "../logger";
import type { SweepDeps } from "../sweep/engine";
import {
  usableConnection,
  type CaptureOutcome,
  type QueuedSweep,
  type SweepRequest,
  type SweepService,
} from "../sweep/service";
import { closeOrphanedSweeps, getSweep, latestRunningSweep, listSweeps } from "../store/sweeps";
import { captureResult } from "./capture-job";
import { IS_SWEEP_HELD_SQL, LIVENESS_LOCK_SPACE } from "./liveness";
import { CAPTURE_QUEUE, SWEEP_QUEUE, type PendingJob, type SweepQueue } from "./queue";

export interface QueuedServiceDeps {
  db: SweepDeps["db"];
  clock: Clock;
  logger: Logger;
  queue: SweepQueue;
  /** How long "capture now" waits for a worker's answer (default 30 s). */
  captureWaitMs?: number;
  /** How long "sweep now" waits for a worker to start the sweep before answering that it is queued (default 2 s). */
  startWaitMs?: number;
  /** Polling period of the job and sweep rows (default 200 ms). */
  pollMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A capture job that no worker answered in time. */
export class CaptureTimeoutError extends DomainError {
  override readonly name = "CaptureTimeoutError";
  constructor(seconds: number) {
    super("capture_timeout", `No sweep worker captured the message within ${seconds} s. Try again in a moment.`);
  }
}

interface Ctx extends Required<Omit<QueuedServiceDeps, "db" | "clock" | "logger" | "queue">> {
  deps: QueuedServiceDeps;
}

/** The finished sweep a job ended with: polls the job until it is completed (or failed for good). */
async function sweepOfJob(ctx: Ctx, organizationId: string, jobId: string): Promise<SweepView> {
  for (;;) {
    const status = await ctx.deps.queue.jobStatus(SWEEP_QUEUE, jobId);
    if (!status) throw new Error(`sweep job ${jobId} vanished`);
    if (status.state === "completed" || status.state === "failed" || status.state === "cancelled") {
      const sweepId = typeof status.output?.sweepId === "string" ? status.output.sweepId : null;
      const sweep = sweepId ? await getSweep(ctx.deps.db, organizationId, sweepId) : null;
      if (sweep) return sweep;
      throw new Error(`sweep job ${jobId} ended without a sweep (${JSON.stringify(status.output)})`);
    }
    await sleep(ctx.pollMs);
  }
}

function queuedAnswer(job: PendingJob, interruptedSweepId: string | null): QueuedSweep {
  const waiting = job.state === "retry" || interruptedSweepId !== null;
  return {
    status: "queued",
    jobId: job.id,
    state: waiting ? "waiting_for_worker" : "queued",
    detail: waiting
      ? "The worker sweeping this mailbox stopped; the sweep is waiting for another worker to take it over."
      : "The sweep is queued and starts when a worker is free.",
    interruptedSweepId,
  };
}

/** The sweep row a running job wrote, once it has (or null when the job is not running yet). */
async function runningRowOf(
  ctx: Ctx,
  organizationId: string,
  userId: string,
  job: PendingJob,
): Promise<SweepView | null> {
  if (job.state !== "active" || !job.startedOn) return null;
  const row = await latestRunningSweep(ctx.deps.db, organizationId, userId);
  return row && Date.parse(row.startedAt) >= job.startedOn.getTime() - 5000 ? row : null;
}

/**
 * Whether the worker of this running sweep is gone: its liveness lock is free (liveness.ts) and the row
 * is still running after that was seen (a live worker finishes the row before it lets the lock go), or
 * the row has outlived the job's deadline, which a live worker never lets it do.
 */
async function workerGone(ctx: Ctx, organizationId: string, userId: string, row: SweepView): Promise<boolean> {
  const ageMs = ctx.deps.clock.now().getTime() - Date.parse(row.startedAt);
  if (ageMs > ctx.deps.queue.settings.expireInSeconds * 1000) return true;
  const { rows } = await ctx.deps.queue.boss.getDb().executeSql(IS_SWEEP_HELD_SQL, [LIVENESS_LOCK_SPACE, userId]);
  if ((rows as { held: boolean }[])[0]?.held) return false;
  return (await getSweep(ctx.deps.db, organizationId, row.id))?.status === "running";
}

/** What to answer about this mailbox's pending job: its running sweep, or why none runs. */
async function describe(
  ctx: Ctx,
  organizationId: string,
  userId: string,
  job: PendingJob,
  fresh: boolean,
): Promise<SweepRequest> {
  let following: Promise<SweepView> | null = null;
  const done = () => (following ??= sweepOfJob(ctx, organizationId, job.id));
  const deadline = Date.now() + ctx.startWaitMs;
  let current = job;
  for (;;) {
    const row = await runningRowOf(ctx, organizationId, userId, current);
    const dead = row !== null && (await workerGone(ctx, organizationId, userId, row));
    if (row && !dead) return { kind: "sweep", sweep: row, done, alreadyRunning: !fresh };
    if (current.state === "retry" || dead) {
      // No live job: nothing sweeps this mailbox through the queue, so a running row is a dead worker's.
      const closed = await closeOrphanedSweeps(ctx.deps.db, organizationId, userId, ctx.deps.clock.now());
      if (closed.length)
        ctx.deps.logger.warn(
          { organizationId, userId, sweepIds: closed },
          "closed sweeps left running by a stopped worker",
        );
      return { kind: "queued", queued: queuedAnswer(current, closed[0] ?? null), done };
    }
    if (Date.now() >= deadline) return { kind: "queued", queued: queuedAnswer(current, null), done };
    await sleep(ctx.pollMs);
    const again = (await ctx.deps.queue.pendingJobsOf(userId)).find((j) => j.id === job.id);
    if (!again) return { kind: "sweep", sweep: await done(), done, alreadyRunning: !fresh };
    current = again;
  }
}

async function requestSweep(ctx: Ctx, organizationId: string, userId: string): Promise<SweepRequest> {
  await usableConnection(ctx.deps.db, organizationId, userId);
  const { queue } = ctx.deps;
  let pending = await queue.pendingJobsOf(userId);
  let fresh = false;
  if (!pending.length) {
    const { enqueued } = await queue.enqueue([{ data: { organizationId, userId, reason: "manual", slot: null } }]);
    fresh = enqueued.length > 0;
    pending = await queue.pendingJobsOf(userId);
  }
  // The job to follow: the running one, else the one waiting to retry, else the queued one.
  const rank = { active: 0, retry: 1, created: 2 } as const;
  const job = [...pending].sort((a, b) => rank[a.state] - rank[b.state])[0];
  if (!job) {
    // Enqueued and already finished between two reads: its sweep is the newest.
    const [latest] = await listSweeps(ctx.deps.db, organizationId, userId, 1);
    if (!latest) throw new Error("the sweep job ended without a sweep");
    return { kind: "sweep", sweep: latest, done: () => Promise.resolve(latest), alreadyRunning: false };
  }
  return describe(ctx, organizationId, userId, job, fresh);
}

async function captureMessage(
  ctx: Ctx,
  organizationId: string,
  userId: string,
  restItemId: string,
): Promise<CaptureOutcome> {
  await usableConnection(ctx.deps.db, organizationId, userId);
  const jobId = await ctx.deps.queue.enqueueCapture({ organizationId, userId, restItemId });
  const deadline = Date.now() + ctx.captureWaitMs;
  while (Date.now() < deadline) {
    const status = await ctx.deps.queue.jobStatus(CAPTURE_QUEUE, jobId);
    if (status?.state === "completed") {
      // The output holds the message's addresses: it must not outlive the answer (excluded mail keeps no facts).
      await ctx.deps.queue.boss.deleteJob(CAPTURE_QUEUE, jobId).catch(() => undefined);
      return captureResult(status.output);
    }
    if (!status || status.state === "failed" || status.state === "cancelled") break;
    await sleep(Math.min(ctx.pollMs, 100));
  }
  // Nobody will want the answer any more: cancelled, a worker that has not started it need not, and one
  // running it cannot store its output.
  await ctx.deps.queue.boss.cancel(CAPTURE_QUEUE, jobId).catch(() => undefined);
  throw new CaptureTimeoutError(Math.round(ctx.captureWaitMs / 1000));
}

/** Wrap the local service (recent sweeps, next sweep time) with queue-backed sweeping and capturing. */
export function createQueuedSweepService(local: SweepService, deps: QueuedServiceDeps): SweepService {
  const ctx: Ctx = {
    deps,
    captureWaitMs: deps.captureWaitMs ?? 30_000,
    startWaitMs: deps.startWaitMs ?? 2000,
    pollMs: deps.pollMs ?? 200,
  };
  const sweepNow: SweepService["sweepNow"] = async (organizationId, userId, trigger, opts) => {
    // `npm run sweep` is an operator's process of its own: it sweeps there, outside the queue.
    if (trigger === "cli") return local.sweepNow(organizationId, userId, trigger, opts);
    const r = await requestSweep(ctx, organizationId, userId);
    if (r.kind === "sweep") return { sweep: r.sweep, done: r.done(), alreadyRunning: r.alreadyRunning };
    const done = r.done();
    return { sweep: await done, done, alreadyRunning: false };
  };
  return {
    ...local,
    sweepNow,
    requestSweep: (organizationId, userId) => requestSweep(ctx, organizationId, userId),
    captureMessage: (organizationId, userId, restItemId) => captureMessage(ctx, organizationId, userId, restItemId),
    // The first sweep after connecting is enqueued by the connect hook (compose.ts), never run here.
    onConnected: () => undefined,
    start: () => undefined,
    stop: () => local.stop({ abort: true }),
  };
}
