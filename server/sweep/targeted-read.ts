/**
 * Reading a mailbox for a `targeted` plan (listing-plan.ts): the window's changes, then one search per
 * changed address, its results kept when received within the window and not already read. Each search's
 * results are checked before any is handed on:
 * - the cap: Graph returns at most 1,000 results, so a search that reaches it may have left some out;
 * - the index lag: a message the changes listing returned, involving the address and received longer ago
 *   than the assumed lag, must be among the results; when it is not, the index is further behind than
 *   assumed and older messages it has not indexed yet would be missed.
 * Either way the rest of the window is listed in full instead (messages already handed on are skipped).
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import type { ListingPlan } from "./listing-plan";
import { listWindow, searchParticipant, SEARCH_RESULT_CAP, type FoundMessage, type ListOptions } from "./listing";
import type { ListedMessage, MessageContent } from "./message-facts";
import type { SweepWindow } from "./window";

export type TargetedFallback = "search_cap" | "search_index_lag";

export interface TargetedReadOptions extends ListOptions {
  /** The sweep's clock. */
  now: Date;
  searchIndexLagMs: number;
}

const involves = (m: ListedMessage, address: string) =>
  [m.from, ...m.to, ...m.cc].some((r) => r?.address?.toLowerCase() === address);

const inWindow = (m: ListedMessage, w: SweepWindow) => {
  const t = Date.parse(m.receivedDateTime);
  return t >= w.start.getTime() && t < w.end.getTime();
};

/** What one search found, or why it cannot be trusted. */
async function searchOne(
  client: Client,
  address: string,
  window: SweepWindow,
  opts: TargetedReadOptions,
  listedInvolving: readonly ListedMessage[],
): Promise<FoundMessage[] | TargetedFallback> {
  const found: FoundMessage[] = [];
  await searchParticipant(client, address, window, opts, async (page) => {
    found.push(...page);
  });
  if (found.length >= SEARCH_RESULT_CAP) return "search_cap";
  const ids = new Set(found.map((f) => f.m.id));
  const indexedBefore = opts.now.getTime() - opts.searchIndexLagMs;
  const missing = listedInvolving.some(
    (m) => involves(m, address) && Date.parse(m.receivedDateTime) < indexedBefore && !ids.has(m.id),
  );
  return missing ? "search_index_lag" : found;
}

/**
 * Hands every message the plan must decide to `onPage`; says whether it fell back to the full window.
 * Listed messages that involve a changed address are held back until the searches have run: the search
 * returns them with their bodies, so deciding them from the listing first would fetch those bodies again
 * (a third request). Only the ones the searches did not return (younger than the index lag) are then
 * handed on without a body.
 */
export async function readTargeted(
  client: Client,
  window: SweepWindow,
  plan: Extract<ListingPlan, { kind: "targeted" }>,
  opts: TargetedReadOptions,
  onPage: (messages: ListedMessage[], contents?: ReadonlyMap<string, MessageContent>) => Promise<void>,
): Promise<TargetedFallback | null> {
  const handled = new Set<string>();
  const listedInvolving: ListedMessage[] = [];
  const handOn = async (page: ListedMessage[], contents?: ReadonlyMap<string, MessageContent>) => {
    const fresh = page.filter((m) => !handled.has(m.id));
    for (const m of fresh) handled.add(m.id);
    if (fresh.length) await onPage(fresh, contents);
  };
  await listWindow(client, window, { ...opts, changedSince: plan.since }, async (page) => {
    const rest: ListedMessage[] = [];
    for (const m of page) (plan.addresses.some((a) => involves(m, a)) ? listedInvolving : rest).push(m);
    await handOn(rest);
  });
  for (const address of plan.addresses) {
    const found = await searchOne(client, address, window, opts, listedInvolving);
    if (typeof found === "string") {
      await listWindow(client, window, { ...opts, changedSince: null }, (page) => handOn(page));
      return found;
    }
    const kept = found.filter((f) => inWindow(f.m, window));
    await handOn(
      kept.map((f) => f.m),
      new Map(kept.map((f) => [f.m.id, f.content])),
    );
  }
  await handOn(listedInvolving);
  return null;
}
