/**
 * The hourly schedule of distributed mode. Every worker process ticks (once a minute by default);
 * a tick enqueues one job for each active mailbox whose slot — its stable offset within the
 * interval, the same one the embedded scheduler and `nextSweepAt` use — has come and which has not
 * been swept since. The job's id is derived from (mailbox, slot), so any number of processes ticking
 * enqueue each mailbox exactly once per interval, and mailboxes start spread over the hour (each
 * within a tick of its own slot) instead of all at :00.
 *
 * The tick decides from the `now` it is given (tests and benchmarks pass explicit times) and the job
 * starts as soon as a worker is free: the sweep itself always runs on the worker's clock.
 */
import type { Kysely } from "kysely";
import type { Clock } from "../clock";
import type { Database } from "../db/schema";
import type { SweepLogger } from "../sweep/engine";
import { isDue, slotAtOrBefore, sweepOffsetMs } from "../sweep/scheduler";
import { listActiveConnections } from "../store/mailbox-connections";
import { slotJobId, type EnqueueRequest, type SweepQueue } from "./queue";

export interface MailboxDue {
  organizationId: string;
  userId: string;
  lastSweepAt: string | null;
}

/**
 * Pure: the jobs a tick at `now` asks for. A mailbox is skipped when it was swept since its latest
 * slot (a connect sweep, a manual sweep, or this slot's job already ran) or when it already has a
 * job queued, retrying or running (see queue.ts on why a second one must not be added).
 */
export function planSlotJobs(
  mailboxes: readonly MailboxDue[],
  now: Date,
  intervalMinutes: number,
  pending: ReadonlySet<string>,
): EnqueueRequest[] {
  const out: EnqueueRequest[] = [];
  for (const m of mailboxes) {
    const offset = sweepOffsetMs(m.userId, intervalMinutes);
    if (!isDue(m.lastSweepAt, now, offset, intervalMinutes)) continue;
    if (pending.has(m.userId)) continue;
    const slot = slotAtOrBefore(now, offset, intervalMinutes);
    out.push({
      id: slotJobId(m.userId, slot),
      data: { organizationId: m.organizationId, userId: m.userId, reason: "schedule", slot: slot.toISOString() },
    });
  }
  return out;
}

export interface TickResult {
  /** Active mailboxes looked at. */
  active: number;
  /** Jobs inserted by this tick. */
  enqueued: number;
  /** Due mailboxes whose job was already there (another process's tick, or one still pending). */
  alreadyQueued: number;
}

export interface EnqueuerDeps {
  db: Kysely<Database>;
  queue: SweepQueue;
  clock: Clock;
  logger: SweepLogger;
  intervalMinutes: number;
  /** Seconds between ticks (default 60). */
  tickSeconds?: number;
}

export interface Enqueuer {
  tick(now?: Date): Promise<TickResult>;
  start(): void;
  stop(): Promise<void>;
}

export function createEnqueuer(deps: EnqueuerDeps): Enqueuer {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<TickResult> | null = null;

  async function tick(now: Date = deps.clock.now()): Promise<TickResult> {
    const mailboxes = await listActiveConnections(deps.db);
    const pending = await deps.queue.pendingUserIds();
    const plan = planSlotJobs(mailboxes, now, deps.intervalMinutes, pending);
    const { enqueued, skipped } = plan.length ? await deps.queue.enqueue(plan) : { enqueued: [], skipped: 0 };
    const result = {
      active: mailboxes.length,
      enqueued: enqueued.length,
      alreadyQueued: skipped + (mailboxes.length ? countPendingDue(mailboxes, now, deps.intervalMinutes, pending) : 0),
    };
    if (enqueued.length) deps.logger.info({ ...result, at: now.toISOString() }, "sweep jobs enqueued");
    return result;
  }

  const safeTick = () => {
    if (running) return;
    running = tick().finally(() => (running = null));
    running.catch((err: unknown) =>
      deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, "enqueuer tick failed"),
    );
  };

  return {
    tick,
    start() {
      if (timer) return;
      timer = setInterval(safeTick, (deps.tickSeconds ?? 60) * 1000);
      timer.unref();
      safeTick();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running?.catch(() => undefined);
    },
  };
}

function countPendingDue(
  mailboxes: readonly MailboxDue[],
  now: Date,
  intervalMinutes: number,
  pending: ReadonlySet<string>,
): number {
  return mailboxes.filter(
    (m) =>
      pending.has(m.userId) && isDue(m.lastSweepAt, now, sweepOffsetMs(m.userId, intervalMinutes), intervalMinutes),
  ).length;
}

/** The first sweep after connecting: enqueued at once unless the mailbox already has a job pending. */
export async function enqueueConnectSweep(
  queue: SweepQueue,
  organizationId: string,
  userId: string,
): Promise<string | null> {
  const pending = await queue.pendingUserIds([userId]);
  if (pending.has(userId)) return null;
  const { enqueued } = await queue.enqueue([{ data: { organizationId, userId, reason: "connect", slot: null } }]);
  return enqueued[0] ?? null;
}
