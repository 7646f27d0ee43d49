/**
 * Listing one window of a mailbox: `/me/messages` filtered on receivedDateTime, only the fields the
 * rules and the engagement need, the message class via its extended property, immutable ids,
 * 1000 per page, following nextLinks. Pages are handed on one at a time so a big mailbox is never
 * held in memory whole. (Sent mail: in Sent Items Graph sets receivedDateTime to the send time.)
 * With `changedSince` (listing-plan.ts) only the window's messages created or modified since then.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import { IMMUTABLE_ID_PREFER } from "./folders";
import { LIST_SELECT, MESSAGE_CLASS_EXPAND, parseListedMessage, type ListedMessage } from "./message-facts";
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
