/**
 * Sending mail as the user (issue 11), captured at once by the same rules as the sweep.
 *
 * Graph, with the user's delegated token and immutable ids throughout:
 *   1. create a draft — POST /me/messages, or POST /me/messages/{id}/createReply when replying to an
 *      engagement found in this user's mailbox (Graph threads it: same conversation, In-Reply-To);
 *   2. send it — POST /me/messages/{id}/send (202);
 *   3. read it back by the same immutable id, which survives the move to Sent Items (Microsoft's
 *      documented way to find a sent message), polling briefly because Exchange files the sent copy
 *      asynchronously;
 *   4. decide and store it exactly as the sweep would (sweep/message-facts + engine's decide/captureItem,
 *      the folder map, recordCaptureBatch), so the hourly sweep later finds the same internetMessageId,
 *      the same immutable id and web link, and changes nothing.
 * Creating a draft needs Mail.ReadWrite as well as Mail.Send (Graph's permission for POST /me/messages).
 *
 * Never sent twice for one request — what is guaranteed:
 * - Within one call: our Graph client never replays a POST after a network failure, and a replayed
 *   /send (the SDK retries 429/503/504) cannot send twice: only a draft can be sent, and sending
 *   consumes it.
 * - Across retries with the same Idempotency-Key: the key is claimed before anything is created; the
 *   draft's immutable id is stored in the key's row BEFORE /send. A retry after a failure or crash
 *   resumes from that draft: still a draft → send it (the first attempt did not); already sent → do not
 *   send, read it back and capture it. After a confirmed send the request always answers 201 (sent),
 *   even if capture could not finish (the sweep captures it then), so clients never see an error for
 *   a message that went out.
 * - Remaining window: a crash between Graph creating the draft and us recording its id leaves an unsent
 *   draft in Drafts (nothing is sent twice; the retry makes a new draft). Without an Idempotency-Key a
 *   client retry after a lost response can send again — hence the key is recommended.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import type { Kysely } from "kysely";
import type { EngagementView } from "../../shared/api/contract";
import { excludedFolderOf, type CaptureAction, type ReasonCode } from "../../shared/capture";
import type { Clock } from "../clock";
import type { Database } from "../db/schema";
import { createGraphClient } from "../graph/client";
import type { Outbound } from "../http/outbound";
import { NotConnectedError, ReauthRequiredError, type GraphTokenSource } from "../identity/errors";
import { recordCaptureBatch } from "../store/capture-decisions";
import { getEngagementViews } from "../store/engagements";
import { getConnection } from "../store/mailbox-connections";
import { captureItem, decide, loadRuleContext } from "../sweep/engine";
import { folderPathOf, IMMUTABLE_ID_PREFER, loadFolderMap, type FolderMap } from "../sweep/folders";
import { CONTENT_SELECT, LIST_SELECT, MESSAGE_CLASS_EXPAND, parseListedMessage, parseMessageContent, type ListedMessage } from "../sweep/message-facts";
import { composeMail, graphMessage, requestHash, type ComposedMail, type SendMailRequest } from "./compose";
import { MailError } from "./errors";
import { claimKey, completeKey, recordDraft, releaseKey, unlockKey, type KeyRef } from "./idempotency";

export interface SendMailResponse {
  sent: true;
  internetMessageId: string;
  /** True when the sent message is stored as an engagement. */
  captured: boolean;
  /**
   * The capture decision: captured, excluded (reason + explanation, e.g. no_tracked_contact), or
   * pending when Microsoft 365 had not filed the sent copy yet (the next sweep decides it).
   */
  decision: { outcome: "captured" | "excluded" | "pending"; reason: ReasonCode | null; explanation: string; action: CaptureAction | null };
  engagement: EngagementView | null;
  /** True when HTML sanitising removed something (scripts, styles, handlers, unsafe links…). */
  bodySanitized: boolean;
  /** The engagement this message replies to, when it is a reply. */
  replyTo: string | null;
}

export interface SendMailCommand {
  organizationId: string;
  userId: string;
  request: SendMailRequest;
  /** The Idempotency-Key header, already checked for shape; null when the client sent none. */
  idempotencyKey: string | null;
}

export interface SendMailOutcome {
  /** 201 the first time; 200 when the answer is a replay of an earlier request with the same key. */
  status: 200 | 201;
  replayed: boolean;
  body: SendMailResponse;
}

export interface MailService {
  /** Throws MailError for every answer that is not a send. */
  send(cmd: SendMailCommand): Promise<SendMailOutcome>;
}

export interface MailLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface MailServiceDeps {
  db: Kysely<Database>;
  clock: Clock;
  logger: MailLogger;
  tokens: GraphTokenSource;
  graph: {
    baseUrl: string;
    outbound: Outbound;
    /** Retries for 429/503/504 before answering a retryable error; default 2 (someone is waiting). */
    maxRetries?: number;
    timeoutMs?: number;
    backoffSeconds?: number;
  };
  folderCacheMaxAgeMs?: number;
  /** Waits before each read-back attempt while Exchange files the sent copy (default ≈ 6.7 s in all). */
  readBackDelaysMs?: readonly number[];
}

const DEFAULT_READ_BACK_DELAYS = [0, 200, 500, 1000, 2000, 3000] as const;
const MESSAGE_PATH = (id: string) => `/me/messages/${encodeURIComponent(id)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface GraphFailure {
  statusCode?: number;
  code?: string | null;
  headers?: Headers;
}

/** Seconds from a Retry-After header (seconds or an HTTP date); null when absent or unreadable. */
export function retryAfterSeconds(value: string | null | undefined, now: Date): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

function statusOf(err: unknown): number | null {
  const s = (err as GraphFailure | null)?.statusCode;
  return typeof s === "number" && s > 0 ? s : null;
}

/** Graph refused or failed: a MailError the client can act on. */
function graphError(err: unknown, now: Date, step: string): MailError {
  const status = statusOf(err);
  const code = (err as GraphFailure | null)?.code ?? null;
  if (status === null || status === 429 || status >= 500) {
    const retryAfter = retryAfterSeconds((err as GraphFailure | null)?.headers?.get?.("retry-after"), now);
    return new MailError(
      503,
      "graph_unavailable",
      status === 429 ? "Microsoft 365 is throttling this mailbox; try again shortly." : "Microsoft 365 did not answer; try again shortly.",
      { retryable: true, step, graphStatus: status, graphCode: code, retryAfterSeconds: retryAfter },
      retryAfter ?? (status === 429 ? 30 : 5),
    );
  }
  if (status === 401 || status === 403) {
    // The grant lacks a permission sending needs (Mail.Send, Mail.ReadWrite for the draft): reconnecting asks for it.
    return new MailError(409, "reauth_required", "Your mailbox connection does not allow sending mail; reconnect your mailbox.", {
      step,
      graphStatus: status,
      graphCode: code,
    });
  }
  return new MailError(502, "graph_rejected", `Microsoft 365 refused the message (${code ?? `HTTP ${status}`}).`, { step, graphStatus: status, graphCode: code });
}

export function createMailService(deps: MailServiceDeps): MailService {
  const { db, clock, logger } = deps;
  const delays = deps.readBackDelaysMs ?? DEFAULT_READ_BACK_DELAYS;

  async function replyTarget(organizationId: string, userId: string, engagementId: string): Promise<string> {
    const engagement = await db.selectFrom("engagements").select("id").where("organizationId", "=", organizationId).where("id", "=", engagementId).executeTakeFirst();
    if (!engagement) throw new MailError(404, "not_found", "No such engagement.");
    const link = await db
      .selectFrom("engagementMailboxes")
      .select("graphMessageId")
      .where("organizationId", "=", organizationId)
      .where("engagementId", "=", engagementId)
      .where("userId", "=", userId)
      .executeTakeFirst();
    if (!link) throw new MailError(422, "reply_not_in_mailbox", "This engagement was not found in your mailbox, so you cannot reply to it from here.");
    return link.graphMessageId;
  }

  /** The message by immutable id, as the sweep lists it plus its content; null when Graph has no such item. */
  async function readMessage(client: Client, id: string): Promise<{ listed: ListedMessage; raw: unknown } | null> {
    try {
      const raw: unknown = await client
        .api(`${MESSAGE_PATH(id)}?$select=${[...LIST_SELECT, ...CONTENT_SELECT].join(",")}&$expand=${MESSAGE_CLASS_EXPAND}`)
        .header("Prefer", `outlook.body-content-type="text", ${IMMUTABLE_ID_PREFER}`)
        .get();
      return { listed: parseListedMessage(raw), raw };
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  async function createDraft(client: Client, mail: ComposedMail, replyToGraphId: string | null): Promise<{ id: string; internetMessageId: string | null }> {
    const req = replyToGraphId
      ? client.api(`${MESSAGE_PATH(replyToGraphId)}/createReply`).header("Prefer", IMMUTABLE_ID_PREFER).post({ message: graphMessage(mail, { includeSubject: mail.subject.trim() !== "" }) })
      : client.api("/me/messages").header("Prefer", IMMUTABLE_ID_PREFER).post(graphMessage(mail, { includeSubject: true }));
    let raw: { id?: unknown; internetMessageId?: unknown };
    try {
      raw = (await req) as typeof raw;
    } catch (err) {
      if (replyToGraphId && statusOf(err) === 404) {
        throw new MailError(422, "reply_not_in_mailbox", "The message to reply to is no longer in your mailbox.");
      }
      throw graphError(err, clock.now(), "create_draft");
    }
    if (typeof raw?.id !== "string" || !raw.id) throw new MailError(502, "graph_rejected", "Microsoft 365 created the draft but returned no id.", { step: "create_draft" });
    return { id: raw.id, internetMessageId: typeof raw.internetMessageId === "string" ? raw.internetMessageId.trim() || null : null };
  }

  /**
   * Read the sent copy once Exchange has filed it (not a draft, not in Drafts/Outbox); null when it
   * has not within the read-back delays.
   */
  async function readBackSent(client: Client, id: string, folders: FolderMap) {
    for (const d of delays) {
      if (d > 0) await sleep(d);
      const m = await readMessage(client, id);
      if (m && !m.listed.isDraft && !excludedFolderOf(folderPathOf(folders, m.listed.parentFolderId))) return m;
    }
    return null;
  }

  async function send(cmd: SendMailCommand): Promise<SendMailOutcome> {
    const { organizationId, userId, request, idempotencyKey } = cmd;
    const mail = composeMail(request);

    const ref: KeyRef | null = idempotencyKey ? { organizationId, userId, key: idempotencyKey } : null;
    let draftId: string | null = null;
    if (ref) {
      const claim = await claimKey(db, ref, requestHash(request), clock.now());
      if (claim.kind === "mismatch") {
        throw new MailError(422, "idempotency_key_reused", "This Idempotency-Key was already used for a different request; use a new key for a new message.");
      }
      if (claim.kind === "in_progress") throw new MailError(409, "request_in_progress", "A request with this Idempotency-Key is still being processed; retry in a moment.", { retryable: true }, 2);
      if (claim.kind === "replay") return { status: 200, replayed: true, body: claim.answer.body as SendMailResponse };
      draftId = claim.draftId;
    }
    // On failure: a key with no draft is forgotten (a retry starts afresh); a key with a draft keeps it
    // (its state is what the retry must check) and only ends its lease.
    const fail = async (err: MailError, keep = draftId !== null): Promise<never> => {
      if (ref) await (keep ? unlockKey(db, ref) : releaseKey(db, ref));
      throw err;
    };

    // A replay above answers even if the connection has changed since; a new send needs a usable one.
    const connection = await getConnection(db, organizationId, userId);
    if (!connection || connection.status === "disconnected") return fail(new MailError(409, "not_connected", "Connect your mailbox to send mail from it."));
    if (connection.status === "reauth_required") {
      return fail(new MailError(409, "reauth_required", connection.statusReason ?? "Reconnect your mailbox to send mail from it."));
    }
    let replyToGraphId: string | null = null;
    if (mail.replyTo) {
      try {
        replyToGraphId = await replyTarget(organizationId, userId, mail.replyTo);
      } catch (err) {
        if (err instanceof MailError) return fail(err);
        throw err;
      }
    }

    let token: string;
    try {
      token = await deps.tokens.getGraphAccessToken(organizationId, userId);
    } catch (err) {
      if (err instanceof ReauthRequiredError) return fail(new MailError(409, "reauth_required", err.message));
      if (err instanceof NotConnectedError) return fail(new MailError(409, "not_connected", "Connect your mailbox to send mail from it."));
      logger.warn({ organizationId, userId, err: err instanceof Error ? err.message : String(err) }, "mail: no Graph token");
      return fail(new MailError(503, "token_unavailable", "Microsoft sign-in did not answer; try again shortly.", { retryable: true }, 5));
    }
    const { client } = createGraphClient({
      baseUrl: deps.graph.baseUrl,
      outbound: deps.graph.outbound,
      getAccessToken: async () => token,
      maxRetries: deps.graph.maxRetries ?? 2,
      timeoutMs: deps.graph.timeoutMs,
      backoffSeconds: deps.graph.backoffSeconds,
    });

    // 1. The draft: an earlier attempt's (resume), or a new one whose id is recorded before sending.
    let internetMessageId: string | null;
    let alreadySent = false;
    if (draftId) {
      let existing: Awaited<ReturnType<typeof readMessage>>;
      try {
        existing = await readMessage(client, draftId);
      } catch (err) {
        return fail(graphError(err, clock.now(), "check_draft"));
      }
      if (!existing) {
        // Neither draft nor sent copy exists any more (deleted in Outlook): whether it went out cannot be told.
        return fail(
          new MailError(409, "send_state_unknown", "The message of the first attempt with this Idempotency-Key is no longer in your mailbox, so whether it was sent is unknown; use a new key to send again."),
          false,
        );
      }
      internetMessageId = existing.listed.internetMessageId;
      alreadySent = !existing.listed.isDraft;
    } else {
      let created: { id: string; internetMessageId: string | null };
      try {
        created = await createDraft(client, mail, replyToGraphId);
      } catch (err) {
        return fail(err instanceof MailError ? err : graphError(err, clock.now(), "create_draft"));
      }
      draftId = created.id;
      internetMessageId = created.internetMessageId;
      if (ref) await recordDraft(db, ref, draftId);
    }

    // 2. Send, unless the earlier attempt already did.
    if (!alreadySent) {
      try {
        await client.api(`${MESSAGE_PATH(draftId)}/send`).post(undefined);
      } catch (sendErr) {
        // Did it go out anyway (the answer was lost, or a replayed /send found the draft consumed)?
        let state: Awaited<ReturnType<typeof readMessage>>;
        try {
          state = await readMessage(client, draftId);
        } catch {
          // Unknown: keep the draft id with the key; a retry with the same key checks again.
          return fail(graphError(sendErr, clock.now(), "send"), true);
        }
        if (state && !state.listed.isDraft) {
          logger.info({ organizationId, userId }, "mail: send answered with an error but the message was sent");
        } else {
          // Not sent. Remove the draft so the user's Drafts folder does not fill with failed attempts.
          await client.api(MESSAGE_PATH(draftId)).delete().catch(() => undefined);
          return fail(graphError(sendErr, clock.now(), "send"), false);
        }
      }
    }

    // 3 + 4. Sent: from here on the answer is 201 whatever happens to the capture.
    let body: SendMailResponse;
    try {
      body = await captureSent(client, organizationId, userId, connection.connectedAt, draftId, mail);
    } catch (err) {
      logger.warn({ organizationId, userId, err: err instanceof Error ? err.message : String(err) }, "mail: sent, but capture did not finish");
      body = pendingAnswer(internetMessageId ?? "", mail);
    }
    if (!body.internetMessageId && internetMessageId) body.internetMessageId = internetMessageId;
    if (ref) await completeKey(db, ref, { status: 201, body });
    logger.info(
      { organizationId, userId, captured: body.captured, outcome: body.decision.outcome, reason: body.decision.reason, reply: !!mail.replyTo, recipients: mail.to.length + mail.cc.length },
      "mail sent",
    );
    return { status: 201, replayed: false, body };
  }

  function pendingAnswer(internetMessageId: string, mail: ComposedMail): SendMailResponse {
    return {
      sent: true,
      internetMessageId,
      captured: false,
      decision: {
        outcome: "pending",
        reason: null,
        explanation: "Sent. Microsoft 365 has not filed it in Sent Items yet; the next sweep will decide whether it is captured.",
        action: null,
      },
      engagement: null,
      bodySanitized: mail.sanitized,
      replyTo: mail.replyTo,
    };
  }

  async function captureSent(client: Client, organizationId: string, userId: string, connectedAt: string | null, id: string, mail: ComposedMail): Promise<SendMailResponse> {
    const now = clock.now();
    const { map: folders } = await loadFolderMap({ db, client, now, baseUrl: deps.graph.baseUrl, maxAgeMs: deps.folderCacheMaxAgeMs }, organizationId, userId);
    const sent = await readBackSent(client, id, folders);
    if (!sent) return pendingAnswer("", mail);
    const ctx = await loadRuleContext(db, organizationId, userId, connectedAt);
    const decision = decide(sent.listed, folders, ctx, now);
    const item = captureItem(sent.listed, decision, ctx, decision.outcome === "captured" ? parseMessageContent(sent.raw) : null);
    const [recorded] = await db.transaction().execute((trx) => recordCaptureBatch(trx, organizationId, userId, null, [item], clock.now()));
    const engagement = recorded?.engagementId ? ((await getEngagementViews(db, organizationId, [recorded.engagementId]))[0] ?? null) : null;
    return {
      sent: true,
      internetMessageId: sent.listed.internetMessageId,
      captured: decision.outcome === "captured",
      decision: { outcome: decision.outcome, reason: decision.reason, explanation: decision.explanation, action: decision.action },
      engagement,
      bodySanitized: mail.sanitized,
      replyTo: mail.replyTo,
    };
  }

  return { send };
}
