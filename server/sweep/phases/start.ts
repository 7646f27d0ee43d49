/**
 * Start/guard phase: the connection must be usable, no other sweep of the mailbox may be running,
 * then the window and the listing plan are fixed and the sweep row is written (status running).
 */
import { NotConnectedError } from "../../identity/errors";
import { getConnection, type MailboxConnectionRecord } from "../../store/mailbox-connections";
import { ruleChangesSince, rulesChangedAt } from "../../store/rule-inputs";
import { failInterruptedSweeps, recordSweepStarted, runningSweepsOf } from "../../store/sweeps";
import { newId } from "../../store/util";
import type { SweepDeps, SweepRunOptions, SweepTarget } from "../engine";
import { SweepInProgressError } from "../errors";
import { MAX_TARGETED_ADDRESSES, planListing, RULES_MARGIN_MS, type ListingPlan } from "../listing-plan";
import { computeWindow, type SweepWindow } from "../window";

export const DEFAULT_RUNNING_GUARD_MS = 30 * 60_000;

/** What the phases after the start share about one sweep. */
export interface SweepRun {
  sweepId: string;
  target: SweepTarget;
  connection: MailboxConnectionRecord;
  window: SweepWindow;
  plan: ListingPlan;
  /** The sweep's clock: the window's end and the rules' "now". */
  started: Date;
  /** performance.now() at the start, for the logged duration. */
  t0: number;
}

/** The window this mailbox's next sweep would cover (also what the status and CLI show). */
export function windowFor(
  connection: { lastSuccessWindowEnd: string | null; connectedAt: string | null },
  now: Date,
  config: { windowHours: number; overlapMinutes: number },
): SweepWindow {
  return computeWindow({
    now,
    windowHours: config.windowHours,
    overlapMinutes: config.overlapMinutes,
    lastSuccessWindowEnd: connection.lastSuccessWindowEnd,
    connectedAt: connection.connectedAt,
  });
}

/**
 * A running sweep younger than the guard blocks this one (SweepInProgressError). An older one was left
 * by a process that died mid-sweep: it is closed as interrupted.
 */
async function guardAgainstRunningSweep(deps: SweepDeps, target: SweepTarget, started: Date): Promise<void> {
  const guardMs = deps.runningGuardMs ?? DEFAULT_RUNNING_GUARD_MS;
  const guardFrom = new Date(started.getTime() - guardMs).toISOString();
  const running = await runningSweepsOf(deps.db, target.organizationId, target.userId);
  const live = running.find((r) => r.startedAt >= guardFrom);
  if (live) throw new SweepInProgressError(live.id);
  await failInterruptedSweeps(
    deps.db,
    target.organizationId,
    running.map((r) => r.id),
    started,
  );
}

async function listingPlanFor(
  deps: SweepDeps,
  target: SweepTarget,
  connection: MailboxConnectionRecord,
  full: boolean | undefined,
  now: Date,
): Promise<ListingPlan> {
  const last = connection.lastSuccessWindowEnd;
  // The rule-input lookups only matter when a changes-only listing is possible at all.
  if (last == null || full)
    return planListing({ lastSuccessWindowEnd: last, rulesChangedAt: null, overlapMinutes: 0, forceFull: full });
  const since = new Date(Date.parse(last) - RULES_MARGIN_MS);
  const [changedAt, ruleChanges] = await Promise.all([
    rulesChangedAt(deps.db, target.organizationId),
    ruleChangesSince(
      deps.db,
      target.organizationId,
      target.userId,
      Number.isFinite(since.getTime()) ? since : new Date(0),
      MAX_TARGETED_ADDRESSES,
    ),
  ]);
  return planListing({
    lastSuccessWindowEnd: last,
    rulesChangedAt: changedAt,
    ruleChanges: ruleChanges ?? "too_many",
    overlapMinutes: deps.config.overlapMinutes,
    now,
  });
}

export async function startSweep(deps: SweepDeps, target: SweepTarget, opts: SweepRunOptions): Promise<SweepRun> {
  const { organizationId, userId, trigger } = target;
  const connection = await getConnection(deps.db, organizationId, userId);
  if (!connection || connection.status === "disconnected")
    throw new NotConnectedError("This user's mailbox is not connected.");

  const started = deps.clock.now();
  const t0 = performance.now();
  await guardAgainstRunningSweep(deps, target, started);
  const window = windowFor(connection, started, deps.config);
  const plan = await listingPlanFor(deps, target, connection, opts.full, started);
  const sweepId = newId();
  const view = await recordSweepStarted(deps.db, {
    id: sweepId,
    organizationId,
    userId,
    trigger,
    windowStart: window.start,
    windowEnd: window.end,
    startedAt: started,
    listing: plan.kind,
  });
  opts.onStarted?.(view);
  return { sweepId, target, connection, window, plan, started, t0 };
}
