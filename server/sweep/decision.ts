/**
 * Deciding a message by the shared capture rules and turning the decision into what the store keeps.
 * The same code decides for the sweep, "capture now" and sent mail, so all three agree on every message.
 */
import type { Kysely } from "kysely";
import { decideCapture, indexContacts, normalizeAddresses, type CaptureDecision } from "../../shared/capture";
import type { Database } from "../db/schema";
import { NotConnectedError } from "../identity/errors";
import { blocklistFor } from "../store/blocklist";
import { messageKey, type CaptureItem } from "../store/capture-decisions";
import { listLiveContactFacts } from "../store/contacts";
import { getUser } from "../store/users";
import { folderPathOf, type FolderMap } from "./folders";
import { toEngagementInput, toMessageFacts, type ListedMessage, type MessageContent } from "./message-facts";

export interface RuleContext {
  userAddresses: string[];
  connectedAt: string | null;
  contacts: ReturnType<typeof indexContacts>;
  contactIdByEmail: Map<string, string>;
  blocklist: string[];
}

/** The rule context for one mailbox: contacts loaded once per sweep, blocklist (organization + personal), the user's addresses. */
export async function loadRuleContext(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  connectedAt: string | null,
): Promise<RuleContext> {
  const [user, contacts, blocklist] = await Promise.all([
    getUser(db, organizationId, userId),
    listLiveContactFacts(db, organizationId),
    blocklistFor(db, organizationId, userId),
  ]);
  if (!user) throw new NotConnectedError("The user no longer exists.");
  return {
    userAddresses: normalizeAddresses([...user.addresses, user.email]),
    connectedAt,
    contacts: indexContacts(contacts),
    contactIdByEmail: new Map(contacts.map((c) => [c.email, c.id])),
    blocklist,
  };
}

export function decide(m: ListedMessage, folders: FolderMap, ctx: RuleContext, now: Date): CaptureDecision {
  return decideCapture(toMessageFacts(m, folderPathOf(folders, m.parentFolderId)), {
    userAddresses: ctx.userAddresses,
    connectedAt: ctx.connectedAt,
    contacts: ctx.contacts,
    blocklist: ctx.blocklist,
    now,
  });
}

/** The item recordCaptureBatch stores for one decided message. */
export function captureItem(
  m: ListedMessage,
  d: CaptureDecision,
  ctx: RuleContext,
  content: MessageContent | null,
): CaptureItem {
  if (d.outcome === "captured") {
    return {
      outcome: "captured",
      engagement: toEngagementInput(m, d, content),
      graphMessageId: m.id,
      webLink: m.webLink,
      contactIds: d.matchedContacts.map((e) => ctx.contactIdByEmail.get(e)).filter((x): x is string => !!x),
    };
  }
  return {
    outcome: "excluded",
    messageKey: messageKey(m.internetMessageId),
    reason: d.reason,
    detail: d.detail.folder ? { folder: d.detail.folder } : null,
  };
}
