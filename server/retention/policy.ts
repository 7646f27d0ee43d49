/**
 * What retention keeps, as cut-off times: pure, so the rules are tested without a database.
 *
 * - Plain exclusions: kept `excludedDecisionHours` after they were decided (default the sweep window +
 *   24 h). While its message is inside the window the sweep reads it every hour and the stored decision
 *   spares a rewrite and keeps the pane's "stored" answer (e.g. the excluded folder, which Office.js does
 *   not know); once the message is out of the window nothing reads the decision but the pane, which then
 *   predicts, as it does for any message without one. The 24 h margin covers late or long sweeps and
 *   clock skew between processes.
 * - Decisions that captured: kept as long as their engagement (they point to it).
 * - Removal records (hash and why of a deleted engagement): `removalRecordDays` after the removal, a
 *   year by default — the audit answer to "why is this message no longer captured?".
 * - Sweeps: `sweepDays`, except a running sweep and each mailbox's latest and latest successful one.
 * - Rule changes (what targeted re-reads search for): once every mailbox concerned has swept past them,
 *   and in any case after `ruleChangeHours` (the window + 24 h) — see rule-changes.ts for why that is safe.
 * - Engagements: the organization's period (null = forever), counted from the message's time and never
 *   shorter than the exclusions' horizon, so a message is never deleted while a sweep could capture it again.
 */
export interface RetentionPolicy {
  excludedDecisionHours: number;
  removalRecordDays: number;
  sweepDays: number;
  /** Never less than the sweep window + RULES_MARGIN_MS (rule-changes.ts); not a setting. */
  ruleChangeHours: number;
}

export interface Cutoffs {
  /** Plain exclusions decided before this go. */
  excludedDecidedBefore: string;
  /** Removal records removed before this go. */
  removalRecordsBefore: string;
  /** Finished, superseded sweeps started before this go. */
  sweepsStartedBefore: string;
  /** Rule changes made before this go, whatever the mailboxes did. */
  ruleChangesBefore: string;
}

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;

export const DEFAULT_POLICY = (windowHours: number): RetentionPolicy => ({
  excludedDecisionHours: windowHours + 24,
  removalRecordDays: 365,
  sweepDays: 30,
  ruleChangeHours: windowHours + 24,
});

export function cutoffs(policy: RetentionPolicy, now: Date): Cutoffs {
  const t = now.getTime();
  return {
    excludedDecidedBefore: new Date(t - policy.excludedDecisionHours * HOUR_MS).toISOString(),
    removalRecordsBefore: new Date(t - policy.removalRecordDays * DAY_MS).toISOString(),
    sweepsStartedBefore: new Date(t - policy.sweepDays * DAY_MS).toISOString(),
    ruleChangesBefore: new Date(t - policy.ruleChangeHours * HOUR_MS).toISOString(),
  };
}

/** Engagements whose message is older than this go; null when the organization keeps them forever. */
export function engagementCutoff(policy: RetentionPolicy, engagementDays: number | null, now: Date): string | null {
  if (engagementDays === null) return null;
  const ms = Math.max(engagementDays * DAY_MS, policy.excludedDecisionHours * HOUR_MS);
  return new Date(now.getTime() - ms).toISOString();
}

/** The organization setting's bounds: at least a day, at most ten years. */
export const ENGAGEMENT_DAYS_MIN = 1;
export const ENGAGEMENT_DAYS_MAX = 3650;
