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
import { lastSuccessWindowEnds } from "../store/mailbox-connections";
import { deleteRuleChanges, pruneRuleChangesBefore, ruleChangesFrom } from "../store/rule-changes";
import { pruneSweeps, runningSweepWindowEnds } from "../store/sweeps";
import { chunks } from "../store/util";
import { cutoffs, engagementCutoff, type RetentionPolicy } from "./policy";
import { spentRuleChanges } from "./rule-changes";

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
  ruleChanges: number;
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
    ruleChanges: 0,
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
    counts.ruleChanges += await drain(() => pruneRuleChangesBefore(db, org.id, c.ruleChangesBefore, size));
    const spent = await spentSince(db, org.id, c.ruleChangesBefore);
    for (const ids of chunks(spent, size)) {
      counts.ruleChanges += await deleteRuleChanges(db, org.id, ids);
      counts.statements++;
    }
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

/** The organization's rule changes younger than the horizon that every mailbox concerned has swept past. */
async function spentSince(db: Kysely<Database>, organizationId: string, since: string): Promise<string[]> {
  const changes = await ruleChangesFrom(db, organizationId, since);
  if (!changes.length) return [];
  // Running sweeps first: a sweep that finishes between the two reads then shows in one of them.
  const running = await runningSweepWindowEnds(db, organizationId);
  const connections = await lastSuccessWindowEnds(db, organizationId);
  return spentRuleChanges(changes, { connections, running });
}
