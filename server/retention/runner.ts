/**
 * Running the pruner: one pass now (`pruneOnce`, what the pg-boss job calls), or every
 * RETENTION_INTERVAL_MINUTES on a timer in embedded mode (`startRetentionTimer`). Never on a request's
 * path; one pass at a time per process, and two processes at once only find less to delete.
 */
import type { Kysely } from "kysely";
import type { Clock } from "../clock";
import type { RetentionConfig } from "../config";
import type { Database } from "../db/schema";
import type { SweepLogger } from "../sweep/engine";
import { DEFAULT_POLICY } from "./policy";
import { pruneAll, type PruneCounts } from "./pruner";

export interface RetentionDeps {
  db: Kysely<Database>;
  clock: Clock;
  logger: SweepLogger;
  /** Absent: the defaults (config.ts). */
  retention?: RetentionConfig;
  windowHours: number;
}

/** The settings with their defaults filled in (a Config built without them, e.g. in tests). */
export function retentionSettings(retention: RetentionConfig | undefined, windowHours: number): RetentionConfig {
  const d = DEFAULT_POLICY(windowHours);
  return retention ?? { ...d, batchSize: 1000, batchPauseMs: 50, intervalMinutes: 60 };
}

export async function pruneOnce(deps: RetentionDeps, signal?: AbortSignal): Promise<PruneCounts> {
  const r = retentionSettings(deps.retention, deps.windowHours);
  const started = Date.now();
  const counts = await pruneAll(deps.db, {
    policy: {
      excludedDecisionHours: r.excludedDecisionHours,
      removalRecordDays: r.removalRecordDays,
      sweepDays: r.sweepDays,
      ruleChangeHours: DEFAULT_POLICY(deps.windowHours).ruleChangeHours,
    },
    batchSize: r.batchSize,
    batchPauseMs: r.batchPauseMs,
    now: deps.clock.now(),
    signal,
  });
  deps.logger.info({ ...counts, ms: Date.now() - started }, "retention: pruned");
  return counts;
}

export interface RetentionTimer {
  /** One pass unless one is already running (then null). */
  runOnce(): Promise<PruneCounts | null>;
  /** Stops the timer and the pass in progress (between two statements). */
  stop(): Promise<void>;
}

export function startRetentionTimer(deps: RetentionDeps): RetentionTimer {
  const r = retentionSettings(deps.retention, deps.windowHours);
  const controller = new AbortController();
  let current: Promise<PruneCounts | null> | null = null;
  const runOnce = (): Promise<PruneCounts | null> => {
    if (current || controller.signal.aborted) return Promise.resolve(null);
    current = pruneOnce(deps, controller.signal)
      .catch((err: unknown) => {
        deps.logger.warn(
          { err: err instanceof Error ? err.message : String(err) },
          "retention: pruning failed; retried next interval",
        );
        return null;
      })
      .finally(() => {
        current = null;
      });
    return current;
  };
  const timer = r.intervalMinutes > 0 ? setInterval(() => void runOnce(), r.intervalMinutes * 60_000) : null;
  timer?.unref();
  return {
    runOnce,
    async stop() {
      if (timer) clearInterval(timer);
      controller.abort();
      await current;
    },
  };
}
