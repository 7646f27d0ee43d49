/**
 * One sweep of one mailbox, in phases (phases/):
 * start (guard the connection and running sweeps, fix the window, write the sweep row) → list the
 * window's metadata page by page (token, excluded folders cached a day) → decide each message by the
 * shared rules → store: fetch text bodies of newly captured messages in $batch calls and store each
 * batch in one transaction (engagement upsert, contact and mailbox links, a decision for every
 * message) → finish: the sweep record and the connection's bookkeeping.
 *
 * Exactly once: engagements are keyed by (organization, internetMessageId, copy fingerprint) — copies
 * merge only when they agree — and decisions by (user, message key), so re-running any window changes nothing; a failed sweep leaves the
 * connection's lastSuccessWindowEnd alone, so the next window reaches back over the gap.
 * Never throws for a mailbox problem: the sweep row records the failure and the caller carries on.
 */
import type { Kysely } from "kysely";
import type { SweepView } from "../../shared/api/contract";
import type { Clock } from "../clock";
import type { Database } from "../db/schema";
import { newGraphStats, tokenSourceError } from "../graph/client";
import type { Outbound } from "../http/outbound";
import type { GraphTokenSource } from "../identity/errors";
import { newCounters } from "./phases/decide";
import { finishSweep } from "./phases/finish";
import { listDecideAndStore } from "./phases/list";
import { startSweep } from "./phases/start";

export { closeInterruptedSweeps, INTERRUPTED_ERROR } from "../store/sweeps";
export { SweepInProgressError } from "./errors";
export { DEFAULT_RUNNING_GUARD_MS, windowFor } from "./phases/start";

export type SweepTrigger = SweepView["trigger"];

export interface SweepLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SweepGraphOptions {
  baseUrl: string;
  outbound: Outbound;
  /** Retries per request for 429/503/504 and dropped connections (graph client default 5). */
  maxRetries?: number;
  timeoutMs?: number;
  backoffSeconds?: number;
}

export interface SweepDeps {
  db: Kysely<Database>;
  graph: SweepGraphOptions;
  tokens: GraphTokenSource;
  clock: Clock;
  logger: SweepLogger;
  config: { windowHours: number; overlapMinutes: number };
  /** How long the folder map is trusted (default a day). */
  folderCacheMaxAgeMs?: number;
  /** Listing page size (default 1000). */
  listPageSize?: number;
  /** Rounds of re-sending throttled $batch items (default 8). */
  batchRounds?: number;
  /** A `running` sweep younger than this blocks a new one for the same mailbox (default 30 min). */
  runningGuardMs?: number;
  /** Called after captures were committed (webhooks send their deliveries now rather than at the next poll). */
  onEngagementChanges?: (organizationId: string) => void;
}

export interface SweepTarget {
  organizationId: string;
  userId: string;
  trigger: SweepTrigger;
}

export interface SweepProgress {
  sweepId: string;
  phase: "folders" | "listing" | "done";
  listed: number;
  decided: number;
  stored: number;
  captured: number;
  excluded: number;
}

export interface SweepRunOptions {
  signal?: AbortSignal;
  onProgress?: (p: SweepProgress) => void;
  /** Called once the sweep row exists (status running). */
  onStarted?: (sweep: SweepView) => void;
  /** List the whole window even when only changes would do (listing-plan.ts). */
  full?: boolean;
}

export async function sweepMailbox(
  deps: SweepDeps,
  target: SweepTarget,
  opts: SweepRunOptions = {},
): Promise<SweepView> {
  const run = await startSweep(deps, target, opts);
  const stats = newGraphStats();
  const c = newCounters();
  const progress = (phase: SweepProgress["phase"]) =>
    opts.onProgress?.({
      sweepId: run.sweepId,
      phase,
      listed: c.listed,
      decided: c.decided,
      stored: c.stored,
      captured: c.captured,
      excluded: c.excluded,
    });
  let error: unknown = null;
  try {
    await listDecideAndStore(deps, run, opts, c, stats, progress);
  } catch (err) {
    // A refused token mid-sweep comes back through the Graph SDK: record it as the ReauthRequiredError it is.
    error = tokenSourceError(err);
  }
  return finishSweep(deps, run, c, stats, error, () => progress("done"));
}
