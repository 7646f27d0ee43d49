/**
 * Pruning: the retention policy applied to every organization, in short statements of at most
 * `batchSize` rows with a pause between, so no lock is held for long and the sweep and the status call
 * keep their turns. Idempotent: each statement deletes only what is past its cut-off, so a second run
 * (or two processes at once) finds nothing more to do.
 */
import type { Kysely } from "kysely";
import type { Database } from "../db/schema";
import { pruneExcludedDecisions, pruneRemovalRecords, removeEngagements } from "../store/capture-decisions";
import { engagementIdsOlderThan } from "../store/engagements";
import { listOrganizationRetention } from "../store/organizations";
import { pruneSweeps } from "../store/sweeps";
import { cutoffs, engagementCutoff, type RetentionPolicy } from "./policy";

export interface PruneOptions {
  policy: RetentionPolicy;
  batchSize: number;
  batchPauseMs: number;
  now: Date;
  /** Stops between statements (shutdown). */
  signal?: AbortSignal;
  /** Waits between statements (tests pass a no-op). */
  sleep?: (ms: number) => Promise<void>;
}

export interface PruneCounts {
  organizations: number;
  excludedDecisions: number;
  removalRecords: number;
  sweeps: number;
  engagements: number;
  /** Delete statements run (each bounded by batchSize rows). */
  statements: number;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function pruneAll(db: Kysely<Database>, opts: PruneOptions): Promise<PruneCounts> {
  const counts: PruneCounts = {
    organizations: 0,
    excludedDecisions: 0,
    removalRecords: 0,
    sweeps: 0,
    engagements: 0,
    statements: 0,
  };
  const c = cutoffs(opts.policy, opts.now);
  const sleep = opts.sleep ?? defaultSleep;
  let first = true;
  /** Runs `step` until it deletes less than a full batch; returns the rows deleted. */
  const drain = async (step: () => Promise<number>): Promise<number> => {
    let total = 0;
    for (;;) {
      if (opts.signal?.aborted) return total;
      if (!first && opts.batchPauseMs > 0) await sleep(opts.batchPauseMs);
      first = false;
      const n = await step();
      counts.statements++;
      total += n;
      if (n < opts.batchSize) return total;
    }
  };
  for (const org of await listOrganizationRetention(db)) {
    if (opts.signal?.aborted) break;
    counts.organizations++;
    const size = opts.batchSize;
    const engagementsBefore = engagementCutoff(opts.policy, org.engagementDays, opts.now);
    if (engagementsBefore)
      counts.engagements += await drain(() => expireEngagements(db, org.id, engagementsBefore, size, opts.now));
    counts.excludedDecisions += await drain(() => pruneExcludedDecisions(db, org.id, c.excludedDecidedBefore, size));
    counts.removalRecords += await drain(() => pruneRemovalRecords(db, org.id, c.removalRecordsBefore, size));
    counts.sweeps += await drain(() => pruneSweeps(db, org.id, c.sweepsStartedBefore, size));
  }
  return counts;
}

/**
 * One batch of engagements past the organization's period, deleted as a removal (content and links gone,
 * the decisions keep only the hash and say "retention"): the same path as a removal on request.
 */
async function expireEngagements(
  db: Kysely<Database>,
  organizationId: string,
  before: string,
  limit: number,
  now: Date,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const ids = await engagementIdsOlderThan(trx, organizationId, before, limit);
    if (!ids.length) return 0;
    // The message is past the sweep window (engagementCutoff), which is what before_connection says.
    return removeEngagements(trx, organizationId, ids, { reason: "before_connection", removal: "retention" }, now);
  });
}
