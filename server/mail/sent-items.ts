/**
 * Finding our sent message in Sent Items (Mail.Read), waiting a little while Exchange files it: a new
 * message by its marker, a reply by conversation, send time and the same To and Cc.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import { normalizeAddress } from "../../shared/capture";
import {
  MESSAGE_CLASS_EXPAND,
  MESSAGE_PREFER,
  MESSAGE_SELECT,
  readFetchedMessage,
  type FetchedMessage,
  type ListedMessage,
} from "../sweep/capture-message";
import { markerFilter, odataString } from "./compose";

const SENT_ITEMS = "/me/mailFolders/sentitems/messages";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How our sent message is recognised in Sent Items. */
export type SentMatcher =
  | { kind: "marker"; marker: string }
  | { kind: "reply"; conversationId: string; since: string; to: string[]; cc: string[] };

const sameAddresses = (listed: ListedMessage["to"], wanted: string[]) => {
  const got = new Set(listed.map((r) => normalizeAddress(r.address ?? "")).filter((a): a is string => !!a));
  return got.size === wanted.length && wanted.every((a) => got.has(a));
};

/** The Graph request that looks for our sent message in Sent Items (the sweep's fields, content included). */
export function sentItemsQuery(m: SentMatcher): string {
  const filter =
    m.kind === "marker"
      ? markerFilter(m.marker)
      : `conversationId eq ${odataString(m.conversationId)} and sentDateTime ge ${m.since}`;
  return `${SENT_ITEMS}?$filter=${encodeURIComponent(filter)}&$select=${MESSAGE_SELECT}&$expand=${encodeURIComponent(MESSAGE_CLASS_EXPAND)}&$top=${m.kind === "marker" ? 5 : 50}`;
}

/** Our sent message in Sent Items, once; null when it is not (yet) there. Throws Graph failures. */
async function findSentOnce(client: Client, m: SentMatcher): Promise<FetchedMessage | null> {
  const page = (await client.api(sentItemsQuery(m)).header("Prefer", MESSAGE_PREFER).get()) as { value?: unknown };
  const items = Array.isArray(page?.value) ? page.value : [];
  const found = items
    .map(readFetchedMessage)
    .filter((x) => !x.listed.isDraft)
    .filter((x) => m.kind === "marker" || (sameAddresses(x.listed.to, m.to) && sameAddresses(x.listed.cc, m.cc)))
    // The earliest: for a reply, the first match after the send began is the likeliest to be ours.
    .sort((a, b) =>
      (a.listed.sentDateTime ?? a.listed.receivedDateTime).localeCompare(
        b.listed.sentDateTime ?? b.listed.receivedDateTime,
      ),
    );
  return found[0] ?? null;
}

/** Look for the sent message while Exchange files it (a look after each delay); null when it did not appear. */
export async function findSent(
  client: Client,
  m: SentMatcher,
  delaysMs: readonly number[],
): Promise<FetchedMessage | null> {
  for (const d of delaysMs) {
    if (d > 0) await sleep(d);
    const found = await findSentOnce(client, m);
    if (found) return found;
  }
  return null;
}
