/**
 * Sending mail as the user (issue 11), captured at once by the same rules as the sweep — with only the
 * product's delegated Graph scopes: Mail.Send to send, Mail.Read to find what was sent (no
 * Mail.ReadWrite, so no drafts).
 *
 * Graph, with the user's delegated token and immutable ids:
 *   1. send — a new message: POST /me/sendMail { message, saveToSentItems: true }, the message carrying
 *      a fresh marker as a custom extended property (compose.ts, MARKER_PROPERTY_ID); a reply to an
 *      engagement: POST /me/messages/{id}/reply on the user's own copy of it (Graph threads it: same
 *      conversation, In-Reply-To, References). Both answer 202 with no id;
 *   2. find the sent copy in Sent Items (Mail.Read), waiting a little while Exchange files it:
 *      a new message by its marker (`singleValueExtendedProperties/Any(…)`, Microsoft's documented way
 *      to find a message sent with sendMail); a reply — Graph does not document extended properties on
 *      /reply — by conversation, sent no earlier than the send began (less a clock-skew margin), and
 *      the same To and Cc;
 *   3. decide and store it exactly as the sweep would (sweep/message-facts + engine's decide/captureItem,
 *      the folder map, recordCaptureBatch), so the hourly sweep later finds the same internetMessageId,
 *      the same immutable id and web link, and changes nothing.
 *
 * Never sent twice for one request — what is guaranteed:
 * - Within one call: a send is never replayed once it may have reached Exchange. Our Graph client never
 *   replays a POST after a network failure or timeout, and for the send the SDK's retries are limited to
 *   429 and 503, which Graph answers without acting on the request. After a 504, a timeout or a dropped
 *   connection we do not know: we look for the message (above) — found: it was sent, answer 201; not
 *   found: 409 `send_state_unknown`.
 * - Across retries with the same Idempotency-Key: the key is claimed before anything else; the marker
 *   and the time the send began are stored with the key BEFORE the message goes to Graph. A retry of a
 *   key with a send attempt (the first request failed, or its process died) never sends: it looks for
 *   the message — found: capture it and answer 201; not found: 409 `send_state_unknown` (the key is
 *   kept: a later retry looks again). After a confirmed send the request always answers 201, even if
 *   the sent copy could not be found or stored yet (`decision.outcome` "pending": the sweep decides it).
 * - What it costs: a process that dies between storing the attempt and calling Graph leaves a key that
 *   answers 409 `send_state_unknown` although nothing was sent; the client then checks Sent Items and
 *   sends with a new key. For a reply, another reply in the same conversation with the same recipients
 *   sent in the same minutes can be taken for ours: the retry then does not send (it never sends twice,
 *   at the price of possibly not sending). Without an Idempotency-Key a client retry after a lost
 *   answer can send again — hence the key is recommended.
 */
import { randomUUID } from "node:crypto";
import { RetryHandlerOptions, type Client } from "@microsoft/microsoft-graph-client";
import type { Kysely } from "kysely";
import type { EngagementView } from "../../shared/api/contract";
import { normalizeAddress, type CaptureAction, type ReasonCode } from "../../shared/capture";
import type { Clock } from "../clock";
import type { Database } from "../db/schema";
import { createGraphClient } from "../graph/client";
import type { Outbound } from "../http/outbound";
import { NotConnectedError, ReauthRequiredError, type GraphTokenSource } from "../identity/errors";
import { getEngagementViews } from "../store/engagements";
import { getConnection } from "../store/mailbox-connections";
import {
  captureOneMessage,
  graphDateTime,
  IMMUTABLE_ID_PREFER,
  MESSAGE_CLASS_EXPAND,
  MESSAGE_PREFER,
  MESSAGE_SELECT,
  readFetchedMessage,
  type FetchedMessage,
  type ListedMessage,
} from "../sweep/capture-message";
import { composeMail, markerFilter, odataString, replyBody, requestHash, sendMailBody, type ComposedMail, type SendMailRequest } from "./compose";
import { MailError } from "./errors";
import { claimKey, completeKey, recordSendAttempt, releaseKey, unlockKey, type KeyRef, type SendAttempt } from "../store/idempotency-keys";

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
    /** Retries for 429/503 (and 504 on reads) before answering a retryable error; default 2 (someone is waiting). */
    maxRetries?: number;
    timeoutMs?: number;
    backoffSeconds?: number;
  };
  folderCacheMaxAgeMs?: number;
  /** Waits before each look for the sent copy while Exchange files it (default ≈ 6.7 s in all). */
  readBackDelaysMs?: readonly number[];
}

const DEFAULT_READ_BACK_DELAYS = [0, 200, 500, 1000, 2000, 3000] as const;
/** A reply is looked for from this long before our clock says the send began (our clock vs Exchange's). */
export const REPLY_CLOCK_SKEW_MS = 5 * 60_000;
const SENT_ITEMS = "/me/mailFolders/sentitems/messages";
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

/**
 * Did Graph refuse the send without acting on it? 429 (throttled) and 503 are answered before the
 * request is processed, and a 4xx is a refusal; anything else (504, another 5xx, a timeout or a dropped
 * connection: no status) may have come after Exchange accepted the message.
 */
function refusedUnsent(err: unknown): boolean {
  const status = statusOf(err);
  return status !== null && status < 500 ? true : status === 503;
}

/** Graph refused or failed: a MailError the client can act on. */
function graphError(err: unknown, now: Date, step: string): MailError {
  const status = statusOf(err);
  const code = (err as GraphFailure | null)?.code ?? null;
  if (status === null || status === 429 || status >= 500) {
    const retryAfter = retryAfterSeconds((err as GraphFailure | null)?.headers?.get?.("retry-after"), now);
    return new MailError(
      "graph_unavailable",
      status === 429 ? "Microsoft 365 is throttling this mailbox; try again shortly." : "Microsoft 365 did not answer; try again shortly.",
      { retryable: true, step, graphStatus: status, graphCode: code, retryAfterSeconds: retryAfter },
      retryAfter ?? (status === 429 ? 30 : 5),
    );
  }
  if (status === 401 || status === 403) {
    // The grant lacks a permission sending needs (Mail.Send; Mail.Read to find the sent copy): reconnecting asks for it.
    return new MailError("reauth_required", "Your mailbox connection does not allow sending mail; reconnect your mailbox.", {
      step,
      graphStatus: status,
      graphCode: code,
    });
  }
  return new MailError("graph_rejected", `Microsoft 365 refused the message (${code ?? `HTTP ${status}`}).`, { step, graphStatus: status, graphCode: code });
}

function sendStateUnknown(): MailError {
  return new MailError(
    "send_state_unknown",
    "Whether the message of the first attempt with this Idempotency-Key was sent cannot be told: it is not in your Sent Items. " +
      "Check Sent Items; to send it (again), use a new Idempotency-Key.",
  );
}

/** How our sent message is recognised in Sent Items. */
type SentMatcher =
  | { kind: "marker"; marker: string }
  | { kind: "reply"; conversationId: string; since: string; to: string[]; cc: string[] };

type FoundMessage = FetchedMessage;

const sameAddresses = (listed: ListedMessage["to"], wanted: string[]) => {
  const got = new Set(listed.map((r) => normalizeAddress(r.address ?? "")).filter((a): a is string => !!a));
  return got.size === wanted.length && wanted.every((a) => got.has(a));
};

/** The Graph request that looks for our sent message in Sent Items (the sweep's fields, content included). */
export function sentItemsQuery(m: SentMatcher): string {
  const filter = m.kind === "marker" ? markerFilter(m.marker) : `conversationId eq ${odataString(m.conversationId)} and sentDateTime ge ${m.since}`;
  return `${SENT_ITEMS}?$filter=${encodeURIComponent(filter)}&$select=${MESSAGE_SELECT}&$expand=${encodeURIComponent(MESSAGE_CLASS_EXPAND)}&$top=${m.kind === "marker" ? 5 : 50}`;
}

export function createMailService(deps: MailServiceDeps): MailService {
  const { db, clock, logger } = deps;
  const delays = deps.readBackDelaysMs ?? DEFAULT_READ_BACK_DELAYS;

  async function replyTarget(organizationId: string, userId: string, engagementId: string): Promise<string> {
    const engagement = await db.selectFrom("engagements").select("id").where("organizationId", "=", organizationId).where("id", "=", engagementId).executeTakeFirst();
    if (!engagement) throw new MailError("not_found", "No such engagement.");
    const link = await db
      .selectFrom("engagementMailboxes")
      .select("graphMessageId")
      .where("organizationId", "=", organizationId)
      .where("engagementId", "=", engagementId)
      .where("userId", "=", userId)
      .executeTakeFirst();
    if (!link) throw new MailError("reply_not_in_mailbox", "This engagement was not found in your mailbox, so you cannot reply to it from here.");
    return link.graphMessageId;
  }

  /** The conversation of the user's copy of the message to reply to (Mail.Read); 422 when it is gone. */
  async function conversationOf(client: Client, graphId: string): Promise<string> {
    let raw: { conversationId?: unknown };
    try {
      raw = (await client.api(`/me/messages/${encodeURIComponent(graphId)}?$select=conversationId`).header("Prefer", IMMUTABLE_ID_PREFER).get()) as typeof raw;
    } catch (err) {
      if (statusOf(err) === 404) throw new MailError("reply_not_in_mailbox", "The message to reply to is no longer in your mailbox.");
      throw graphError(err, clock.now(), "read_original");
    }
    if (typeof raw?.conversationId !== "string" || !raw.conversationId) {
      throw new MailError("graph_rejected", "Microsoft 365 returned the message to reply to without its conversation.", { step: "read_original" });
    }
    return raw.conversationId;
  }

  /** Our sent message in Sent Items, once; null when it is not (yet) there. Throws Graph failures. */
  async function findSentOnce(client: Client, m: SentMatcher): Promise<FoundMessage | null> {
    const page = (await client.api(sentItemsQuery(m)).header("Prefer", MESSAGE_PREFER).get()) as { value?: unknown };
    const items = Array.isArray(page?.value) ? page.value : [];
    const found = items
      .map(readFetchedMessage)
      .filter((x) => !x.listed.isDraft)
      .filter((x) => m.kind === "marker" || (sameAddresses(x.listed.to, m.to) && sameAddresses(x.listed.cc, m.cc)))
      // The earliest: for a reply, the first match after the send began is the likeliest to be ours.
      .sort((a, b) => (a.listed.sentDateTime ?? a.listed.receivedDateTime).localeCompare(b.listed.sentDateTime ?? b.listed.receivedDateTime));
    return found[0] ?? null;
  }

  /** Look for the sent message while Exchange files it (the read-back delays); null when it did not appear. */
  async function findSent(client: Client, m: SentMatcher): Promise<FoundMessage | null> {
    for (const d of delays) {
      if (d > 0) await sleep(d);
      const found = await findSentOnce(client, m);
      if (found) return found;
    }
    return null;
  }

  async function send(cmd: SendMailCommand): Promise<SendMailOutcome> {
    const { organizationId, userId, request, idempotencyKey } = cmd;
    const mail = composeMail(request);

    const ref: KeyRef | null = idempotencyKey ? { organizationId, userId, key: idempotencyKey } : null;
    let attempt: SendAttempt | null = null;
    if (ref) {
      const claim = await claimKey(db, ref, requestHash(request), clock.now());
      if (claim.kind === "mismatch") {
        throw new MailError("idempotency_key_reused", "This Idempotency-Key was already used for a different request; use a new key for a new message.");
      }
      if (claim.kind === "in_progress") throw new MailError("request_in_progress", "A request with this Idempotency-Key is still being processed; retry in a moment.", { retryable: true }, 2);
      if (claim.kind === "replay") return { status: 200, replayed: true, body: claim.answer.body as SendMailResponse };
      attempt = claim.attempt;
    }
    // On failure: a key with no send attempt is forgotten (a retry starts afresh); a key whose message
    // may have gone out keeps its attempt (what the retry must look for) and only ends its lease.
    const fail = async (err: MailError, keep = attempt !== null): Promise<never> => {
      if (ref) await (keep ? unlockKey(db, ref) : releaseKey(db, ref));
      throw err;
    };

    // A replay above answers even if the connection has changed since; a new send needs a usable one.
    const connection = await getConnection(db, organizationId, userId);
    if (!connection || connection.status === "disconnected") return fail(new MailError("not_connected", "Connect your mailbox to send mail from it."));
    if (connection.status === "reauth_required") {
      return fail(new MailError("reauth_required", connection.statusReason ?? "Reconnect your mailbox to send mail from it."));
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
      if (err instanceof ReauthRequiredError) return fail(new MailError("reauth_required", err.message));
      if (err instanceof NotConnectedError) return fail(new MailError("not_connected", "Connect your mailbox to send mail from it."));
      logger.warn({ organizationId, userId, err: err instanceof Error ? err.message : String(err) }, "mail: no Graph token");
      return fail(new MailError("token_unavailable", "Microsoft sign-in did not answer; try again shortly.", { retryable: true }, 5));
    }
    const maxRetries = deps.graph.maxRetries ?? 2;
    const { client } = createGraphClient({
      baseUrl: deps.graph.baseUrl,
      outbound: deps.graph.outbound,
      getAccessToken: async () => token,
      maxRetries,
      timeoutMs: deps.graph.timeoutMs,
      backoffSeconds: deps.graph.backoffSeconds,
    });

    let conversationId: string | null = null;
    if (replyToGraphId) {
      try {
        conversationId = await conversationOf(client, replyToGraphId);
      } catch (err) {
        return fail(err instanceof MailError ? err : graphError(err, clock.now(), "read_original"));
      }
    }
    const matcherFor = (a: SendAttempt): SentMatcher =>
      conversationId
        ? { kind: "reply", conversationId, since: graphDateTime(new Date(Date.parse(a.startedAt) - REPLY_CLOCK_SKEW_MS)), to: mail.to, cc: mail.cc }
        : { kind: "marker", marker: a.marker };

    let found: FoundMessage | null;
    if (attempt) {
      // An earlier request with this key may have sent the message: never send again, look for it.
      try {
        found = await findSent(client, matcherFor(attempt));
      } catch (err) {
        return fail(graphError(err, clock.now(), "find_sent"));
      }
      if (!found) return fail(sendStateUnknown());
      logger.info({ organizationId, userId }, "mail: a retry found the message of an earlier attempt in Sent Items; not sending again");
    } else {
      // Recorded BEFORE the message goes to Graph: from here on a retry looks for it instead of sending.
      attempt = { marker: randomUUID(), startedAt: clock.now().toISOString() };
      if (ref) await recordSendAttempt(db, ref, attempt);
      // The SDK may retry 429 and 503 (Graph did not act on the request) but never a 504: that one
      // may have been sent, and is looked for below instead.
      const noReplayAfterAcceptance = new RetryHandlerOptions(deps.graph.backoffSeconds ?? 1, maxRetries, (_d, _a, _req, _opts, res) => res.status !== 504);
      try {
        const req = replyToGraphId
          ? client.api(`/me/messages/${encodeURIComponent(replyToGraphId)}/reply`).middlewareOptions([noReplayAfterAcceptance]).post(replyBody(mail))
          : client.api("/me/sendMail").middlewareOptions([noReplayAfterAcceptance]).post(sendMailBody(mail, attempt.marker));
        await req;
        found = null;
      } catch (sendErr) {
        if (refusedUnsent(sendErr)) {
          // Not sent: forget the key, so a retry with it sends.
          if (replyToGraphId && statusOf(sendErr) === 404) return fail(new MailError("reply_not_in_mailbox", "The message to reply to is no longer in your mailbox."), false);
          return fail(graphError(sendErr, clock.now(), "send"), false);
        }
        // The answer was lost or ambiguous: did it go out?
        logger.warn({ organizationId, userId, graphStatus: statusOf(sendErr) }, "mail: the send's answer was lost; looking for the message in Sent Items");
        try {
          found = await findSent(client, matcherFor(attempt));
        } catch (findErr) {
          // Still unknown; the key keeps the attempt, so a retry with it looks again (and never sends).
          return fail(graphError(findErr, clock.now(), "find_sent"), true);
        }
        if (!found) return fail(sendStateUnknown(), true);
        logger.info({ organizationId, userId }, "mail: the send answered with an error but the message was sent");
      }
    }

    // Sent: from here on the answer is 201 whatever happens to the capture.
    let body: SendMailResponse;
    try {
      found ??= await findSent(client, matcherFor(attempt));
      body = found ? await captureSent(client, organizationId, userId, connection.connectedAt, found, mail) : pendingAnswer(mail);
    } catch (err) {
      logger.warn({ organizationId, userId, err: err instanceof Error ? err.message : String(err) }, "mail: sent, but capture did not finish");
      body = pendingAnswer(mail);
    }
    if (ref) await completeKey(db, ref, { status: 201, body });
    logger.info(
      { organizationId, userId, captured: body.captured, outcome: body.decision.outcome, reason: body.decision.reason, reply: !!mail.replyTo, recipients: mail.to.length + mail.cc.length },
      "mail sent",
    );
    return { status: 201, replayed: false, body };
  }

  function pendingAnswer(mail: ComposedMail): SendMailResponse {
    return {
      sent: true,
      // Unknown until the sent copy is found: sendMail and reply answer without it.
      internetMessageId: "",
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

  async function captureSent(client: Client, organizationId: string, userId: string, connectedAt: string | null, sent: FoundMessage, mail: ComposedMail): Promise<SendMailResponse> {
    const captureDeps = { db, clock, baseUrl: deps.graph.baseUrl, folderCacheMaxAgeMs: deps.folderCacheMaxAgeMs };
    const { decision, engagementId } = await captureOneMessage(captureDeps, client, { organizationId, userId, connectedAt }, sent);
    const engagement = engagementId ? ((await getEngagementViews(db, organizationId, [engagementId]))[0] ?? null) : null;
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
