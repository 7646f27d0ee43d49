/**
 * When a recorded rule change (store/rule-changes.ts) is spent, i.e. no sweep can read it again or be
 * changed by it (pure). A sweep asks for the changes made since its mailbox's lastSuccessWindowEnd L
 * minus RULES_MARGIN_MS (listing-plan.ts); a change at t is read only when t + margin ≥ L. So a change is
 * spent once it is older than either:
 *
 * 1. Every mailbox it concerns (its user's, or every mailbox of the organization when userId is null)
 *    has a last success that began after it (L > t + margin), and no sweep of such a mailbox that began
 *    before it is still running (its success would move L back to its own window end). A mailbox never
 *    swept successfully counts against: its first, full sweep may be running from before the change.
 * 2. The horizon `ruleChangeHours` (the window + 24 h by default), whatever the mailboxes did. A sweep
 *    still able to read the change has L ≤ t + margin, more than the window before its own start N; its
 *    window then starts at L − overlap (window.ts) and its changes listing (since L − overlap) already
 *    lists every message of the window — received after L − overlap, so modified after it. The searches
 *    the change would add find nothing that listing misses, so dropping it changes no decision. That
 *    holds as long as the horizon is at least the window + margin (policy.ts) and covers mailboxes that
 *    are disconnected or failing for days, which rule 1 alone would wait for forever.
 */
import { RULES_MARGIN_MS } from "../sweep/listing-plan";

export interface RecordedChange {
  id: string;
  userId: string | null;
  changedAt: string;
}

export interface SweepPositions {
  /** Each connected mailbox's lastSuccessWindowEnd (null: never swept successfully). */
  connections: readonly { userId: string; lastSuccessWindowEnd: string | null }[];
  /** Window ends of the sweeps running now. */
  running: readonly { userId: string; windowEnd: string }[];
}

/** The ids of the changes rule 1 says are spent. */
export function spentRuleChanges(changes: readonly RecordedChange[], positions: SweepPositions): string[] {
  // Per mailbox: the earliest L it can have from now on (−∞ when it has none yet).
  const floor = new Map<string, number>();
  const lower = (userId: string, t: number) => floor.set(userId, Math.min(floor.get(userId) ?? Infinity, t));
  for (const c of positions.connections)
    lower(c.userId, c.lastSuccessWindowEnd == null ? -Infinity : toMs(c.lastSuccessWindowEnd));
  for (const r of positions.running) lower(r.userId, toMs(r.windowEnd));
  const organizationFloor = Math.min(Infinity, ...floor.values());
  return changes
    .filter((c) => {
      const t = toMs(c.changedAt);
      const l = c.userId == null ? organizationFloor : (floor.get(c.userId) ?? Infinity);
      return Number.isFinite(t) && t + RULES_MARGIN_MS < l;
    })
    .map((c) => c.id);
}

/** An unreadable time counts as −∞: it never makes a change look spent. */
function toMs(t: string): number {
  const v = Date.parse(t);
  return Number.isFinite(v) ? v : -Infinity;
}
