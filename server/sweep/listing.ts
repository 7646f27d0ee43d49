/**
 * Listing one window of a mailbox: `/me/messages` filtered on receivedDateTime, only the fields the
 * rules and the engagement need, the message class via its extended property, immutable ids,
 * 1000 per page, following nextLinks. Pages are handed on one at a time so a big mailbox is never
 * held in memory whole. (Sent mail: in Sent Items Graph sets receivedDateTime to the send time.)
 * With `changedSince` (listing-plan.ts) only the window's messages created or modified since then.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import { IMMUTABLE_ID_PREFER } from "./folders";
import {
  CONTENT_SELECT,
  LIST_SELECT,
  MESSAGE_CLASS_EXPAND,
  parseListedMessage,
  parseMessageContent,
  type ListedMessage,
  type MessageContent,
} from "./message-facts";
import { forEachPage } from "./paging";
import type { SweepWindow } from "./window";

export const LIST_PAGE_SIZE = 1000;

/** Graph's date-time literal: UTC, unquoted, no milliseconds needed. */
export function graphDateTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function listPath(window: SweepWindow, pageSize = LIST_PAGE_SIZE, changedSince?: Date | null): string {
  let filter = `receivedDateTime ge ${graphDateTime(window.start)} and receivedDateTime lt ${graphDateTime(window.end)}`;
  if (changedSince) filter += ` and lastModifiedDateTime ge ${graphDateTime(changedSince)}`;
  return `/me/messages?$filter=${filter}&$select=${LIST_SELECT.join(",")}&$expand=${MESSAGE_CLASS_EXPAND}&$top=${pageSize}`;
}

export interface ListOptions {
  baseUrl: string;
  /** Page size (default and Graph's maximum: 1000); tests use small pages to exercise paging. */
  pageSize?: number;
  /** List only messages created or modified since then (an incremental sweep); all of the window when absent. */
  changedSince?: Date | null;
  signal?: AbortSignal;
}

/** Every message of the window, validated, page by page. */
export async function listWindow(
  client: Client,
  window: SweepWindow,
  opts: ListOptions,
  onPage: (messages: ListedMessage[]) => Promise<void>,
): Promise<void> {
  await forEachPage(
    client,
    listPath(window, opts.pageSize, opts.changedSince),
    { baseUrl: opts.baseUrl, headers: { Prefer: IMMUTABLE_ID_PREFER }, signal: opts.signal },
    async (items) => {
      await onPage(items.map(parseListedMessage));
    },
  );
}

/** Graph returns at most this many results for one message search. */
export const SEARCH_RESULT_CAP = 1000;

/**
 * Messages with `address` among their participants (from, to, cc, bcc), received since the window's
 * first UTC day — KQL's `received>=` takes whole days, so the window's own bound is applied by the
 * caller. `$search` takes no `$filter` or `$orderby` (Graph answers 400), hence the day bound inside the
 * query. The address must pass isSearchableAddress (listing-plan.ts): it goes into the query as is.
 * The results carry their text bodies: most of them are what the rule change now captures, whose
 * bodies would otherwise cost a $batch of their own.
 */
export function searchPath(address: string, window: SweepWindow, pageSize = LIST_PAGE_SIZE): string {
  const day = window.start.toISOString().slice(0, 10);
  const kql = encodeURIComponent(`"participants:${address} AND received>=${day}"`);
  const select = [...LIST_SELECT, ...CONTENT_SELECT].join(",");
  return `/me/messages?$search=${kql}&$select=${select}&$expand=${MESSAGE_CLASS_EXPAND}&$top=${pageSize}`;
}

export interface FoundMessage {
  m: ListedMessage;
  content: MessageContent;
}

/** Every search result for `address`, validated, page by page (results come newest sent first). */
export async function searchParticipant(
  client: Client,
  address: string,
  window: SweepWindow,
  opts: ListOptions,
  onPage: (found: FoundMessage[]) => Promise<void>,
): Promise<void> {
  const headers = { Prefer: `outlook.body-content-type="text", ${IMMUTABLE_ID_PREFER}` };
  await forEachPage(
    client,
    searchPath(address, window, opts.pageSize),
    { baseUrl: opts.baseUrl, headers, signal: opts.signal },
    async (items) => {
      await onPage(items.map((raw) => ({ m: parseListedMessage(raw), content: parseMessageContent(raw) })));
    },
  );
}
