/**
 * What a sweep lists (pure). The window (window.ts) says which messages the sweep answers for —
 * received in the last 24 hours or since the last success; the plan says how much of it must be
 * read again from Graph:
 *
 * - `full`: every message of the window. Needed when the mailbox was never swept successfully, or
 *   when the rules' inputs changed since the last success in a way no address pins down (an
 *   organization-wide change without an address, a domain block removed, more addresses than a few
 *   searches can cover): a message seen and excluded before may now be captured.
 * - `changes`: only the window's messages created or modified since the last successful sweep began
 *   (`lastModifiedDateTime ge …`, minus the overlap for clock skew between Exchange and us). New mail,
 *   and mail moved between folders (a move sets lastModifiedDateTime — out of Junk, say), is all a
 *   sweep can newly capture when the rules did not change: time passing alone never turns an
 *   exclusion into a capture. This is what keeps a steady-state hour near one listing call.
 * - `targeted`: the rules changed only for some addresses (a contact tracked, an address unblocked, the
 *   user's own aliases). The only older messages whose decision can change are those with one of these
 *   addresses among their participants, so: the `changes` listing, plus one mailbox search
 *   (`participants:<address>`) per address, the results kept when received within the window.
 *   Search has an index lag: a message younger than the lag may be missing from the results. The
 *   changes listing therefore reaches back at least `searchIndexLagMinutes` — every message the index
 *   may not have yet is listed anyway, whatever the last sweep's time. (Search's 1,000-result cap, and
 *   a lag longer than assumed, are detected while reading: targeted-read.ts falls back to `full`.)
 */
const MINUTE_MS = 60_000;
/** Clock skew allowed between our own processes (API, workers) for rule-input changes. */
export const RULES_MARGIN_MS = MINUTE_MS;
/** More changed addresses than this and one listing of the window is cheaper than the searches. */
export const MAX_TARGETED_ADDRESSES = 10;
/** How long a new message may take to reach the mailbox's search index (assumed; Microsoft states none). */
export const SEARCH_INDEX_LAG_MINUTES = 15;

export type ListingPlan =
  { kind: "full" } | { kind: "changes"; since: Date } | { kind: "targeted"; since: Date; addresses: string[] };

/** An address-specific change (server/store/rule-changes.ts). */
export interface PlannedRuleChange {
  /** A normalised address, or "@domain" for a domain block entry. */
  address: string;
  at: Date | string;
}

export interface ListingPlanInput {
  /** windowEnd of the last successful sweep (= when it began listing); null when there was none. */
  lastSuccessWindowEnd: Date | string | null;
  /** The latest change that names no address (server/store/rule-inputs.ts); null when there was none. */
  rulesChangedAt: Date | string | null;
  /**
   * Address-specific changes concerning this mailbox, since about the last success (older ones are
   * ignored); "too_many" when there were more than a sweep would search for.
   */
  ruleChanges?: readonly PlannedRuleChange[] | "too_many";
  overlapMinutes: number;
  /** The sweep's clock (the window's end); needed for `targeted`. */
  now?: Date;
  searchIndexLagMinutes?: number;
  maxTargetedAddresses?: number;
  /** Force a full listing (operators, the CLI's --full, tests). */
  forceFull?: boolean;
}

const ms = (t: Date | string) => (t instanceof Date ? t.getTime() : Date.parse(t));

/**
 * An address that can go into a KQL `participants:` term as it is: no quotes, spaces, parentheses or
 * operators can reach the query (addresses come from users and from mail, both untrusted).
 */
export function isSearchableAddress(a: string): boolean {
  return a.length <= 254 && /^[a-z0-9][a-z0-9._%+'-]*@[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(a);
}

export function planListing(input: ListingPlanInput): ListingPlan {
  if (input.forceFull || input.lastSuccessWindowEnd == null) return { kind: "full" };
  const last = ms(input.lastSuccessWindowEnd);
  if (!Number.isFinite(last)) return { kind: "full" };
  // A change counts unless clearly before the last successful sweep began (it loaded its rule context
  // after that). Both times are our own servers' clocks, so a small margin will do.
  const since = (at: Date | string) => {
    const t = ms(at);
    return !Number.isFinite(t) || t >= last - RULES_MARGIN_MS;
  };
  if (input.rulesChangedAt != null && since(input.rulesChangedAt)) return { kind: "full" };
  // The overlap covers clock skew between Exchange (lastModifiedDateTime) and us.
  const changesSince = last - input.overlapMinutes * MINUTE_MS;
  if (input.ruleChanges === "too_many") return { kind: "full" };
  const addresses = [...new Set((input.ruleChanges ?? []).filter((c) => since(c.at)).map((c) => c.address))];
  if (!addresses.length) return { kind: "changes", since: new Date(changesSince) };
  if (!input.now || !Number.isFinite(input.now.getTime())) return { kind: "full" };
  if (addresses.length > (input.maxTargetedAddresses ?? MAX_TARGETED_ADDRESSES)) return { kind: "full" };
  if (!addresses.every(isSearchableAddress)) return { kind: "full" };
  const lagMs = (input.searchIndexLagMinutes ?? SEARCH_INDEX_LAG_MINUTES) * MINUTE_MS;
  return {
    kind: "targeted",
    since: new Date(Math.min(changesSince, input.now.getTime() - lagMs)),
    addresses: addresses.sort(),
  };
}
