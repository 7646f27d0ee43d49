/**
 * Finish phase: the sweep row gets its outcome and counts, the connection its bookkeeping (a failure
 * leaves lastSuccessWindowEnd alone, so the next window reaches back over the gap), and the log one line.
 */
import type { SweepView } from "../../../shared/api/contract";
import type { GraphStats } from "../../graph/client";
import { ReauthRequiredError } from "../../identity/errors";
import { recordConnectionSweep } from "../../store/mailbox-connections";
import { recordSweepOutcome, sweepById } from "../../store/sweeps";
import type { SweepDeps } from "../engine";
import { describeError, describeForUser } from "../errors";
import type { SweepCounters } from "./decide";
import type { SweepRun } from "./start";

/** One line per sweep: counts and ids only — no addresses, subjects, bodies or tokens. */
function logSweep(
  deps: SweepDeps,
  run: SweepRun,
  c: SweepCounters,
  totals: { graphRequests: number; retries: number },
  error: unknown,
  message: string | null,
): void {
  const { organizationId, userId, trigger } = run.target;
  const entry = {
    sweepId: run.sweepId,
    organizationId,
    userId,
    trigger,
    status: error ? "failed" : "succeeded",
    windowStart: run.window.start.toISOString(),
    windowEnd: run.window.end.toISOString(),
    listing: run.plan.kind,
    listed: c.listed,
    captured: c.captured,
    newlyCaptured: c.newlyCaptured,
    excluded: c.excluded,
    excludedByReason: c.byReason,
    stored: c.stored,
    graphRequests: totals.graphRequests,
    retries: totals.retries,
    durationMs: Math.round(performance.now() - run.t0),
    ...(message ? { error: describeError(error), reauthRequired: error instanceof ReauthRequiredError } : {}),
  };
  if (error) deps.logger.warn(entry, "sweep failed");
  else deps.logger.info(entry, "sweep finished");
}

/** Record the sweep's end (`error` null when it succeeded); `beforeRead` runs after the log line, before the final row is read. */
export async function finishSweep(
  deps: SweepDeps,
  run: SweepRun,
  c: SweepCounters,
  stats: GraphStats,
  error: unknown,
  beforeRead: () => void,
): Promise<SweepView> {
  const { db, clock } = deps;
  const { organizationId, userId } = run.target;
  const finishedAt = clock.now();
  const totals = { graphRequests: stats.requests, retries: stats.retries + c.itemRetries };
  const message = error ? describeForUser(error) : null;
  await recordSweepOutcome(db, run.sweepId, {
    finishedAt,
    listed: c.listed,
    captured: c.captured,
    newlyCaptured: c.newlyCaptured,
    excluded: c.excluded,
    excludedByReason: c.byReason,
    ...totals,
    error: message,
  });
  await recordConnectionSweep(db, organizationId, userId, { finishedAt, windowEnd: run.window.end, error: message });
  logSweep(deps, run, c, totals, error, message);
  beforeRead();
  return sweepById(db, run.sweepId);
}
