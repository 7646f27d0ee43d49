/**
 * What a sweep lists (pure). The window (window.ts) says which messages the sweep answers for —
 * received in the last 24 hours or since the last success; the plan says how much of it must be
 * read again from Graph:
 *
 * - `full`: every message of the window. Needed when the mailbox was never swept successfully, or
 *   when the rules' inputs changed since the last success (a contact tracked, a block removed, the
 *   user's addresses changed): a message seen and excluded before may now be captured.
 * - `changes`: only the window's messages created or modified since the last successful sweep began
 *   (`lastModifiedDateTime ge …`, minus the overlap for clock skew between Exchange and us). New mail,
 *   and mail moved between folders (a move sets lastModifiedDateTime — out of Junk, say), is all a
 *   sweep can newly capture when the rules did not change: time passing alone never turns an
 *   exclusion into a capture. This is what keeps a steady-state hour near one listing call.
 */
const MINUTE_MS = 60_000;
/** Clock skew allowed between our own processes (API, workers) for rule-input changes. */
export const RULES_MARGIN_MS = MINUTE_MS;

export type ListingPlan = { kind: "full" } | { kind: "changes"; since: Date };

export interface ListingPlanInput {
  /** windowEnd of the last successful sweep (= when it began listing); null when there was none. */
  lastSuccessWindowEnd: Date | string | null;
  /** rules-input change time (server/store/rule-inputs.ts); null when there was none. */
  rulesChangedAt: Date | string | null;
  overlapMinutes: number;
  /** Force a full listing (operators, the CLI's --full, tests). */
  forceFull?: boolean;
}

const ms = (t: Date | string) => (t instanceof Date ? t.getTime() : Date.parse(t));

export function planListing(input: ListingPlanInput): ListingPlan {
  if (input.forceFull || input.lastSuccessWindowEnd == null) return { kind: "full" };
  const last = ms(input.lastSuccessWindowEnd);
  if (!Number.isFinite(last)) return { kind: "full" };
  if (input.rulesChangedAt != null) {
    const changed = ms(input.rulesChangedAt);
    // Unparseable, or not clearly before the last successful sweep began (it loaded its rule context
    // after that): read it all. Both times are our own servers' clocks, so a small margin will do.
    if (!Number.isFinite(changed) || changed >= last - RULES_MARGIN_MS) return { kind: "full" };
  }
  // The overlap covers clock skew between Exchange (lastModifiedDateTime) and us.
  return { kind: "changes", since: new Date(last - input.overlapMinutes * MINUTE_MS) };
}
