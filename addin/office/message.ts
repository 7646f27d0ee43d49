/**
 * The open message as the pane needs it: identity (internetMessageId, REST id) and participants,
 * read synchronously from Office.context.mailbox.item in read mode.
 */
import type { MessageStatusRequest } from "../../shared/api/contract";
import { isInOutlook, isMobileHost } from "./host";

export interface Address {
  address: string;
  name: string | null;
}

export interface OpenMessage {
  /** EWS id as Office gives it; only used to build restItemId. */
  itemId: string;
  /** Graph/REST id (v2.0); null when Office cannot convert (the server then matches on internetMessageId). */
  restItemId: string | null;
  internetMessageId: string;
  subject: string | null;
  from: Address | null;
  to: Address[];
  cc: Address[];
  dateTimeCreated: string | null;
  itemClass: string | null;
}

/** Body of POST /api/messages/status, as the contract declares it. */
export type { MessageStatusRequest };

function toAddress(d: Office.EmailAddressDetails | null | undefined): Address | null {
  if (!d || !d.emailAddress) return null;
  return { address: d.emailAddress, name: d.displayName || null };
}

function toIso(d: Date | string | null | undefined): string | null {
  if (!d) return null;
  const date = d instanceof Date ? d : new Date(d);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/**
 * Reads the selected item; null when nothing is selected (a pinned pane with no selection), when
 * the item is not a message (appointments), or when it has no internetMessageId yet.
 */
export function readOpenMessage(): OpenMessage | null {
  if (!isInOutlook()) return null;
  const item = Office.context.mailbox.item as Office.MessageRead | null | undefined;
  if (!item || item.itemType !== Office.MailboxEnums.ItemType.Message) return null;
  if (!item.internetMessageId) return null;
  const itemId = item.itemId;
  let restItemId: string | null = null;
  if (itemId) {
    if (isMobileHost()) restItemId = itemId;
    else {
      try {
        restItemId = Office.context.mailbox.convertToRestId(itemId, Office.MailboxEnums.RestVersion.v2_0);
      } catch {
        restItemId = null; // convertToRestId is a restricted API on some hosts; the server falls back to internetMessageId
      }
    }
  }
  return {
    itemId,
    restItemId,
    internetMessageId: item.internetMessageId,
    subject: item.subject ?? null,
    from: toAddress(item.from),
    to: (item.to ?? []).map(toAddress).filter((a): a is Address => a !== null),
    cc: (item.cc ?? []).map(toAddress).filter((a): a is Address => a !== null),
    dateTimeCreated: toIso(item.dateTimeCreated),
    itemClass: item.itemClass ?? null,
  };
}

export function toStatusRequest(m: OpenMessage): MessageStatusRequest {
  const req: MessageStatusRequest = { internetMessageId: m.internetMessageId, from: m.from, to: m.to, cc: m.cc };
  if (m.restItemId) req.restItemId = m.restItemId;
  if (m.subject) req.subject = m.subject;
  if (m.itemClass) req.itemClass = m.itemClass;
  // Office exposes only dateTimeCreated in read mode: the time the item arrived in this mailbox,
  // i.e. the received time for inbound mail and the sent time for a Sent Items copy. The server
  // picks sentDateTime for mail from the user and receivedDateTime otherwise, so both get it.
  if (m.dateTimeCreated) {
    req.sentDateTime = m.dateTimeCreated;
    req.receivedDateTime = m.dateTimeCreated;
  }
  return req;
}
