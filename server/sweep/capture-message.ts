/**
 * Capture one message: decide it by the rules and store the decision (and the engagement) exactly as
 * the sweep would, so the next sweep finds the same internetMessageId, immutable id and web link and
 * changes nothing. Used by "capture now" and by mail send; the only door from outside the sweep into
 * how a message is fetched, read and decided.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import type { Kysely } from "kysely";
import type { CaptureDecision } from "../../shared/capture";
import type { Clock } from "../clock";
import type { Database } from "../db/schema";
import { recordCaptureBatch } from "../store/capture-decisions";
import { NotFoundError } from "../store/errors";
import { captureItem, decide, loadRuleContext } from "./decision";
import { IMMUTABLE_ID_PREFER, loadFolderMap } from "./folders";
import {
  CONTENT_SELECT,
  LIST_SELECT,
  MESSAGE_CLASS_EXPAND,
  parseListedMessage,
  parseMessageContent,
  type ListedMessage,
} from "./message-facts";

export { IMMUTABLE_ID_PREFER } from "./folders";
export { graphDateTime } from "./listing";
export { MESSAGE_CLASS_EXPAND, type GraphRecipient, type ListedMessage } from "./message-facts";

/** The fields a message is captured with (the sweep's listing fields and its text content). */
export const MESSAGE_SELECT = [...LIST_SELECT, ...CONTENT_SELECT].join(",");
/** Text bodies and immutable ids: the ids and body text the sweep stores. */
export const MESSAGE_PREFER = `outlook.body-content-type="text", ${IMMUTABLE_ID_PREFER}`;

/** A message as Graph returned it with MESSAGE_SELECT: parsed listing fields and the raw answer (its content). */
export interface FetchedMessage {
  listed: ListedMessage;
  raw: unknown;
}

export function readFetchedMessage(raw: unknown): FetchedMessage {
  return { listed: parseListedMessage(raw), raw };
}

/** One message by its REST or immutable id; NotFoundError message_not_found when the mailbox has no such message. */
export async function fetchOneMessage(client: Client, restItemId: string): Promise<FetchedMessage> {
  try {
    const raw: unknown = await client
      .api(`/me/messages/${encodeURIComponent(restItemId)}?$select=${MESSAGE_SELECT}&$expand=${MESSAGE_CLASS_EXPAND}`)
      .header("Prefer", MESSAGE_PREFER)
      .get();
    return readFetchedMessage(raw);
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status === 404 || status === 400)
      throw new NotFoundError("message_not_found", "This message was not found in your mailbox.");
    throw err;
  }
}

export interface CaptureMessageDeps {
  db: Kysely<Database>;
  clock: Clock;
  /** Graph's base URL (the folder map's requests). */
  baseUrl: string;
  folderCacheMaxAgeMs?: number;
  /** Called after a capture was committed. */
  onEngagementChanges?: (organizationId: string) => void;
}

export interface CaptureTarget {
  organizationId: string;
  userId: string;
  /** The connection's connectedAt: mail from before it is not captured. */
  connectedAt: string | null;
}

export interface CapturedMessage {
  decision: CaptureDecision;
  engagementId: string | null;
}

/** Decide one fetched message and store the decision in one transaction. `now` is the rules' clock (default: now). */
export async function captureOneMessage(
  deps: CaptureMessageDeps,
  client: Client,
  target: CaptureTarget,
  message: FetchedMessage,
  now: Date = deps.clock.now(),
): Promise<CapturedMessage> {
  const { db, clock } = deps;
  const { organizationId, userId } = target;
  const [ctx, { map: folders }] = await Promise.all([
    loadRuleContext(db, organizationId, userId, target.connectedAt),
    loadFolderMap(
      { db, client, now, baseUrl: deps.baseUrl, maxAgeMs: deps.folderCacheMaxAgeMs },
      organizationId,
      userId,
    ),
  ]);
  const decision = decide(message.listed, folders, ctx, now);
  const item = captureItem(
    message.listed,
    decision,
    ctx,
    decision.outcome === "captured" ? parseMessageContent(message.raw) : null,
  );
  const [recorded] = await db
    .transaction()
    .execute((trx) => recordCaptureBatch(trx, organizationId, userId, null, [item], clock.now()));
  if (recorded?.engagementId) deps.onEngagementChanges?.(organizationId);
  return { decision, engagementId: recorded?.engagementId ?? null };
}
