/**
 * The sweep as the API, the connect flow and the CLI see it: sweep a mailbox now, capture one
 * message now (the pane's "Capture now"), recent sweeps, and when the next sweep will run.
 * Owns the embedded scheduler.
 */
import type { SweepView } from "../../shared/api/contract";
import type { CaptureDecision } from "../../shared/capture";
import { createGraphClient } from "../graph/client";
import { NotConnectedError, ReauthRequiredError } from "../identity/errors";
import { getConnection, type ConnectionState } from "../store/mailbox-connections";
import { getSweep, latestRunningSweep, listSweeps } from "../store/sweeps";
import { captureOneMessage, fetchOneMessage, type GraphRecipient, type ListedMessage } from "./capture-message";
import { sweepMailbox, type SweepDeps, type SweepRunOptions, type SweepTrigger } from "./engine";
import { SweepInProgressError } from "./errors";
import { isDue, slotAfter, sweepOffsetMs, SweepScheduler, type Timers } from "./scheduler";

export interface SweepServiceDeps extends SweepDeps {
  intervalMinutes: number;
  concurrency: number;
  tickMs?: number;
  timers?: Timers;
}

export interface CaptureOutcome {
  decision: CaptureDecision;
  /** The message as Graph described it: what the status builder needs. */
  message: {
    internetMessageId: string;
    /** With the display names Graph gives, so the pane's People list keeps showing names. */
    from: { address: string; name: string | null } | null;
    to: { address: string; name: string | null }[];
    cc: { address: string; name: string | null }[];
    sentDateTime: string | null;
    receivedDateTime: string;
    itemClass: string | null;
  };
  engagementId: string | null;
}

/** A Graph recipient as the status call takes it; null without an address (nothing to show or match). */
function named(r: GraphRecipient | null): { address: string; name: string | null } | null {
  return r?.address ? { address: r.address, name: r.name } : null;
}

function statusFacts(listed: ListedMessage): CaptureOutcome["message"] {
  return {
    internetMessageId: listed.internetMessageId,
    from: named(listed.from),
    to: listed.to.map(named).filter((r) => r !== null),
    cc: listed.cc.map(named).filter((r) => r !== null),
    sentDateTime: listed.sentDateTime,
    receivedDateTime: listed.receivedDateTime,
    itemClass: listed.messageClass,
  };
}

export interface SweepService {
  /**
   * Start a sweep of this mailbox now. Resolves with the sweep row (status running) — or, when a sweep
   * of this mailbox is already running, with that one (`alreadyRunning`). `done` resolves when it ends.
   * Throws NotConnectedError / ReauthRequiredError before starting when the connection cannot be used.
   */
  sweepNow(
    organizationId: string,
    userId: string,
    trigger?: SweepTrigger,
    opts?: Pick<SweepRunOptions, "onProgress" | "full">,
  ): Promise<{ sweep: SweepView; done: Promise<SweepView>; alreadyRunning: boolean }>;
  /**
   * "Sweep now" from the API: the sweep that started or was already running, or — in distributed mode,
   * when no worker runs it yet — the queued job and what it waits for.
   */
  requestSweep(organizationId: string, userId: string): Promise<SweepRequest>;
  /** Fetch one message by its REST or immutable id, decide it, store the decision (and the engagement). */
  captureMessage(organizationId: string, userId: string, restItemId: string): Promise<CaptureOutcome>;
  recentSweeps(organizationId: string, userId: string, limit?: number): Promise<SweepView[]>;
  /** `connection`: the row when the caller has just read it (the status call), else it is read here. */
  nextSweepAt(
    organizationId: string,
    userId: string,
    connection?: Pick<ConnectionState, "status" | "lastSweepAt"> | null,
  ): Promise<Date | null>;
  /** Hook for the connect flow: the first sweep right after connecting (errors are logged). */
  onConnected(organizationId: string, userId: string): void;
  start(): void;
  stop(opts?: { abort?: boolean }): Promise<void>;
  readonly scheduler: SweepScheduler;
}

type StartedSweep = Awaited<ReturnType<SweepService["sweepNow"]>>;

/** A sweep job no worker runs yet: `queued` (waiting for a free worker) or `waiting_for_worker` (its worker stopped mid-sweep). */
export interface QueuedSweep {
  status: "queued";
  jobId: string;
  state: "queued" | "waiting_for_worker";
  detail: string;
  /** The sweep the stopped worker left running, now closed as interrupted. */
  interruptedSweepId: string | null;
}

/** `done()` follows the sweep to its end; only callers that wait call it (following costs polling). */
export type SweepRequest =
  | { kind: "sweep"; sweep: SweepView; done: () => Promise<SweepView>; alreadyRunning: boolean }
  | { kind: "queued"; queued: QueuedSweep; done: () => Promise<SweepView> };

/** How long anyone follows a sweep that another process runs before giving up on its row. */
const FOLLOW_LIMIT_MS = 15 * 60_000;

/** What the service's operations share. */
interface ServiceContext {
  deps: SweepServiceDeps;
  scheduler: SweepScheduler;
  /** A user's slot offset is a hash of the user id: fixed for the process, so remembered (bounded). */
  offsets: Map<string, number>;
}

/** The connection, when sweeping and capturing may use it; else NotConnectedError / ReauthRequiredError. */
export async function usableConnection(db: SweepDeps["db"], organizationId: string, userId: string) {
  const c = await getConnection(db, organizationId, userId);
  if (!c || c.status === "disconnected") throw new NotConnectedError("Your mailbox is not connected.");
  if (c.status === "reauth_required")
    throw new ReauthRequiredError(c.statusReason ?? "Reconnect your mailbox to resume capture.");
  return c;
}

/** The sweep of this mailbox that is already running, and a promise of its end. */
async function alreadyRunning(ctx: ServiceContext, organizationId: string, userId: string): Promise<StartedSweep> {
  const { db } = ctx.deps;
  const current = await latestRunningSweep(db, organizationId, userId);
  if (!current) throw new SweepInProgressError("unknown");
  // The running sweep may be this process's or another's (the CLI): its row says when it has ended.
  const done = (async () => {
    const until = Date.now() + FOLLOW_LIMIT_MS;
    for (;;) {
      const row = await getSweep(db, organizationId, current.id);
      const ended = row?.status !== "running" && !ctx.scheduler.isSweeping(organizationId, userId);
      if (!row || ended || Date.now() > until) return row ?? current;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  // Callers that answer at once (POST /api/sweeps → 202) never await `done`: a database error while
  // it polls must not become an unhandled rejection, which ends the process.
  done.catch(() => undefined);
  return { sweep: current, done, alreadyRunning: true };
}

async function sweepNow(
  ctx: ServiceContext,
  organizationId: string,
  userId: string,
  trigger: SweepTrigger = "manual",
  opts: Pick<SweepRunOptions, "onProgress" | "full"> = {},
): Promise<StartedSweep> {
  await usableConnection(ctx.deps.db, organizationId, userId);
  if (ctx.scheduler.isSweeping(organizationId, userId)) return alreadyRunning(ctx, organizationId, userId);
  const s = ctx.scheduler.sweepNow({ organizationId, userId, trigger }, opts);
  try {
    const sweep = await s.started;
    return { sweep, done: s.done, alreadyRunning: false };
  } catch (err) {
    s.done.catch(() => undefined);
    if (err instanceof SweepInProgressError) return alreadyRunning(ctx, organizationId, userId);
    throw err;
  }
}

/** Capture now, in the process that calls it (the embedded server, or the worker that took the job). */
export async function captureMessageNow(
  deps: SweepDeps,
  organizationId: string,
  userId: string,
  restItemId: string,
): Promise<CaptureOutcome> {
  const { db, clock, logger } = deps;
  const connection = await usableConnection(db, organizationId, userId);
  const now = clock.now();
  const { client } = createGraphClient({
    baseUrl: deps.graph.baseUrl,
    outbound: deps.graph.outbound,
    getAccessToken: () => deps.tokens.getGraphAccessToken(organizationId, userId),
    maxRetries: deps.graph.maxRetries ?? 3,
    timeoutMs: deps.graph.timeoutMs,
    backoffSeconds: deps.graph.backoffSeconds,
  });
  const message = await fetchOneMessage(client, restItemId);
  const captureDeps = {
    db,
    clock,
    baseUrl: deps.graph.baseUrl,
    folderCacheMaxAgeMs: deps.folderCacheMaxAgeMs,
    onEngagementChanges: deps.onEngagementChanges,
  };
  const { decision, engagementId } = await captureOneMessage(
    captureDeps,
    client,
    { organizationId, userId, connectedAt: connection.connectedAt },
    message,
    now,
  );
  logger.info(
    { organizationId, userId, outcome: decision.outcome, reason: decision.reason },
    "message captured on request",
  );
  return { decision, engagementId, message: statusFacts(message.listed) };
}

function offsetOf(ctx: ServiceContext, userId: string): number {
  let offset = ctx.offsets.get(userId);
  if (offset === undefined) {
    offset = sweepOffsetMs(userId, ctx.deps.intervalMinutes);
    if (ctx.offsets.size >= 10_000) ctx.offsets.clear();
    ctx.offsets.set(userId, offset);
  }
  return offset;
}

async function nextSweepAt(
  ctx: ServiceContext,
  organizationId: string,
  userId: string,
  connection?: Pick<ConnectionState, "status" | "lastSweepAt"> | null,
): Promise<Date | null> {
  const { db, clock, intervalMinutes } = ctx.deps;
  const c = connection !== undefined ? connection : await getConnection(db, organizationId, userId);
  if (!c || c.status !== "active") return null;
  const now = clock.now();
  if (ctx.scheduler.isSweeping(organizationId, userId)) return now;
  const offset = offsetOf(ctx, userId);
  // Overdue (its slot passed while it waited for a free worker or the process was down): it runs at the next tick.
  if (isDue(c.lastSweepAt, now, offset, intervalMinutes)) return now;
  return slotAfter(now, offset, intervalMinutes);
}

export function createSweepService(deps: SweepServiceDeps): SweepService {
  const { db, clock, logger } = deps;
  const scheduler = new SweepScheduler({
    db,
    clock,
    logger,
    intervalMinutes: deps.intervalMinutes,
    concurrency: deps.concurrency,
    tickMs: deps.tickMs,
    timers: deps.timers,
    run: (target, opts) => sweepMailbox(deps, target, opts),
  });
  const ctx: ServiceContext = { deps, scheduler, offsets: new Map() };
  return {
    scheduler,
    sweepNow: (organizationId, userId, trigger, opts) => sweepNow(ctx, organizationId, userId, trigger, opts),
    requestSweep: async (organizationId, userId) => {
      const started = await sweepNow(ctx, organizationId, userId, "manual");
      return { kind: "sweep", sweep: started.sweep, alreadyRunning: started.alreadyRunning, done: () => started.done };
    },
    captureMessage: (organizationId, userId, restItemId) => captureMessageNow(deps, organizationId, userId, restItemId),
    nextSweepAt: (organizationId, userId, connection) => nextSweepAt(ctx, organizationId, userId, connection),
    recentSweeps: (organizationId, userId, limit = 20) => listSweeps(db, organizationId, userId, limit),
    onConnected(organizationId, userId) {
      sweepNow(ctx, organizationId, userId, "connect")
        .then((s) => s.done)
        .catch((err: unknown) =>
          logger.warn(
            { organizationId, userId, err: err instanceof Error ? err.message : String(err) },
            "first sweep after connect did not run",
          ),
        );
    },
    start: () => scheduler.start(),
    stop: (opts) => scheduler.stop(opts),
  };
}
