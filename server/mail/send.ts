/**
 * Sending mail as the user, captured at once by the same rules as the sweep — with only the
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
 *   3. decide and store it exactly as the sweep would (sweep/capture-message.ts), so the hourly sweep
 *      later finds the same internetMessageId, the same immutable id and web link, and changes nothing.
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
import type { CaptureAction, ReasonCode } from "../../shared/capture";
import type { Clock } from "../clock";
import type { Database } from "../db/schema";
import type { DomainError } from "../domain-error";
import { createGraphClient } from "../graph/client";
import type { Outbound } from "../http/outbound";
import { NotConnectedError, ReauthRequiredError, type GraphTokenSource } from "../identity/errors";
import { getEngagementViews, mailboxCopyOf } from "../store/engagements";
import {
  claimKey,
  completeKey,
  recordSendAttempt,
  releaseKey,
  unlockKey,
  type KeyRef,
  type SendAttempt,
} from "../store/idempotency-keys";
import { getConnection, type MailboxConnectionRecord } from "../store/mailbox-connections";
import { captureOneMessage, graphDateTime, IMMUTABLE_ID_PREFER, type FetchedMessage } from "../sweep/capture-message";
import { composeMail, replyBody, requestHash, sendMailBody, type ComposedMail, type SendMailRequest } from "./compose";
import { MailError } from "./errors";
import { graphError, refusedUnsent, sendStateUnknown, statusOf } from "./graph-failures";
import { findSent, type SentMatcher } from "./sent-items";

export { retryAfterSeconds } from "./graph-failures";
export { sentItemsQuery } from "./sent-items";

export interface SendMailResponse {
  sent: true;
  internetMessageId: string;
  /** True when the sent message is stored as an engagement. */
  captured: boolean;
  /**
   * The capture decision: captured, excluded (reason + explanation, e.g. no_tracked_contact), or
   * pending when Microsoft 365 had not filed the sent copy yet (the next sweep decides it).
   */
  decision: {
    outcome: "captured" | "excluded" | "pending";
    reason: ReasonCode | null;
    explanation: string;
    action: CaptureAction | null;
  };
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
  /** Throws a DomainError (MailError, mostly) for every answer that is not a send. */
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
  /** Called after the sent copy's capture was committed (webhooks send it now, not at the next poll). */
  onEngagementChanges?: (organizationId: string) => void;
  /** Waits before each look for the sent copy while Exchange files it (default ≈ 6.7 s in all). */
  readBackDelaysMs?: readonly number[];
}

const DEFAULT_READ_BACK_DELAYS = [0, 200, 500, 1000, 2000, 3000] as const;
/** A reply is looked for from this long before our clock says the send began (our clock vs Exchange's). */
export const REPLY_CLOCK_SKEW_MS = 5 * 60_000;

/** The Idempotency-Key held by one request (ref null without a key) and the send attempt stored with it. */
interface KeyLease {
  ref: KeyRef | null;
  attempt: SendAttempt | null;
}

/** What sending needs once the request may go ahead: the connection, a Graph client, and for a reply what it answers. */
interface SendPlan {
  connection: MailboxConnectionRecord;
  client: Client;
  maxRetries: number;
  replyToGraphId: string | null;
  conversationId: string | null;
}

/** Give up: throws `err`. Also ends the key's lease (keep) or forgets the key (nothing was sent). */
type Fail = (err: DomainError, keep?: boolean) => Promise<never>;

export function createMailService(deps: MailServiceDeps): MailService {
  return { send: (cmd) => sendMail(deps, cmd) };
}

async function sendMail(deps: MailServiceDeps, cmd: SendMailCommand): Promise<SendMailOutcome> {
  const mail = composeMail(cmd.request);
  const claimed = await claimRequest(deps, cmd);
  if ("replay" in claimed) return claimed.replay;
  const lease = claimed.lease;
  // On failure: a key with no send attempt is forgotten (a retry starts afresh); a key whose message
  // may have gone out keeps its attempt (what the retry must look for) and only ends its lease.
  const fail: Fail = async (err, keep = lease.attempt !== null) => {
    if (lease.ref) await (keep ? unlockKey(deps.db, lease.ref) : releaseKey(deps.db, lease.ref));
    throw err;
  };
  const plan = await prepareSend(deps, cmd, mail, fail);
  const found = lease.attempt
    ? await findEarlierAttempt(deps, cmd, mail, plan, lease.attempt, fail)
    : await sendNow(deps, cmd, mail, plan, lease, fail);

  // Sent: from here on the answer is 201 whatever happens to the capture.
  const body = await answerForSent(deps, cmd, mail, plan, found ? { found } : { attempt: lease.attempt! });
  if (lease.ref) await completeKey(deps.db, lease.ref, { status: 201, body });
  deps.logger.info(
    {
      organizationId: cmd.organizationId,
      userId: cmd.userId,
      captured: body.captured,
      outcome: body.decision.outcome,
      reason: body.decision.reason,
      reply: !!mail.replyTo,
      recipients: mail.to.length + mail.cc.length,
    },
    "mail sent",
  );
  return { status: 201, replayed: false, body };
}

/** Claim the Idempotency-Key before anything else; a repeat of a finished request is answered from the key. */
async function claimRequest(
  deps: MailServiceDeps,
  cmd: SendMailCommand,
): Promise<{ replay: SendMailOutcome } | { lease: KeyLease }> {
  const { organizationId, userId, request, idempotencyKey } = cmd;
  if (!idempotencyKey) return { lease: { ref: null, attempt: null } };
  const ref: KeyRef = { organizationId, userId, key: idempotencyKey };
  const claim = await claimKey(deps.db, ref, requestHash(request), deps.clock.now());
  if (claim.kind === "mismatch") {
    throw new MailError(
      "idempotency_key_reused",
      "This Idempotency-Key was already used for a different request; use a new key for a new message.",
    );
  }
  if (claim.kind === "in_progress")
    throw new MailError(
      "request_in_progress",
      "A request with this Idempotency-Key is still being processed; retry in a moment.",
      { retryable: true },
      2,
    );
  if (claim.kind === "replay")
    return { replay: { status: 200, replayed: true, body: claim.answer.body as SendMailResponse } };
  return { lease: { ref, attempt: claim.attempt } };
}

/** A new send needs a usable connection (a replay answers even if it has changed since), a token, and for a reply its target. */
async function prepareSend(
  deps: MailServiceDeps,
  cmd: SendMailCommand,
  mail: ComposedMail,
  fail: Fail,
): Promise<SendPlan> {
  const { organizationId, userId } = cmd;
  const connection = await getConnection(deps.db, organizationId, userId);
  if (!connection || connection.status === "disconnected")
    return fail(new MailError("not_connected", "Connect your mailbox to send mail from it."));
  if (connection.status === "reauth_required") {
    return fail(
      new MailError("reauth_required", connection.statusReason ?? "Reconnect your mailbox to send mail from it."),
    );
  }
  let replyToGraphId: string | null = null;
  if (mail.replyTo) {
    try {
      replyToGraphId = await replyTarget(deps.db, organizationId, userId, mail.replyTo);
    } catch (err) {
      if (err instanceof MailError) return fail(err);
      throw err;
    }
  }
  const token = await graphToken(deps, cmd, fail);
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
      conversationId = await conversationOf(deps.clock, client, replyToGraphId);
    } catch (err) {
      return fail(err instanceof MailError ? err : graphError(err, deps.clock.now(), "read_original"));
    }
  }
  return { connection, client, maxRetries, replyToGraphId, conversationId };
}

async function graphToken(deps: MailServiceDeps, cmd: SendMailCommand, fail: Fail): Promise<string> {
  const { organizationId, userId } = cmd;
  try {
    return await deps.tokens.getGraphAccessToken(organizationId, userId);
  } catch (err) {
    if (err instanceof ReauthRequiredError) return fail(new MailError("reauth_required", err.message));
    if (err instanceof NotConnectedError)
      return fail(new MailError("not_connected", "Connect your mailbox to send mail from it."));
    deps.logger.warn(
      { organizationId, userId, err: err instanceof Error ? err.message : String(err) },
      "mail: no Graph token",
    );
    return fail(
      new MailError(
        "token_unavailable",
        "Microsoft sign-in did not answer; try again shortly.",
        { retryable: true },
        5,
      ),
    );
  }
}

/** The user's own copy of the engagement to reply to. */
async function replyTarget(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  engagementId: string,
): Promise<string> {
  const copy = await mailboxCopyOf(db, organizationId, engagementId, userId);
  if (copy.missing) throw new MailError("not_found", "No such engagement.");
  if (!copy.graphMessageId)
    throw new MailError(
      "reply_not_in_mailbox",
      "This engagement was not found in your mailbox, so you cannot reply to it from here.",
    );
  return copy.graphMessageId;
}

/** The conversation of the user's copy of the message to reply to (Mail.Read); reply_not_in_mailbox when it is gone. */
async function conversationOf(clock: Clock, client: Client, graphId: string): Promise<string> {
  let raw: { conversationId?: unknown };
  try {
    raw = (await client
      .api(`/me/messages/${encodeURIComponent(graphId)}?$select=conversationId`)
      .header("Prefer", IMMUTABLE_ID_PREFER)
      .get()) as typeof raw;
  } catch (err) {
    if (statusOf(err) === 404)
      throw new MailError("reply_not_in_mailbox", "The message to reply to is no longer in your mailbox.");
    throw graphError(err, clock.now(), "read_original");
  }
  if (typeof raw?.conversationId !== "string" || !raw.conversationId) {
    throw new MailError("graph_rejected", "Microsoft 365 returned the message to reply to without its conversation.", {
      step: "read_original",
    });
  }
  return raw.conversationId;
}

function sentMatcher(plan: SendPlan, mail: ComposedMail, a: SendAttempt): SentMatcher {
  return plan.conversationId
    ? {
        kind: "reply",
        conversationId: plan.conversationId,
        since: graphDateTime(new Date(Date.parse(a.startedAt) - REPLY_CLOCK_SKEW_MS)),
        to: mail.to,
        cc: mail.cc,
      }
    : { kind: "marker", marker: a.marker };
}

const readBackDelays = (deps: MailServiceDeps) => deps.readBackDelaysMs ?? DEFAULT_READ_BACK_DELAYS;

/** An earlier request with this key may have sent the message: never send again, look for it. */
async function findEarlierAttempt(
  deps: MailServiceDeps,
  cmd: SendMailCommand,
  mail: ComposedMail,
  plan: SendPlan,
  attempt: SendAttempt,
  fail: Fail,
): Promise<FetchedMessage> {
  let found: FetchedMessage | null;
  try {
    found = await findSent(plan.client, sentMatcher(plan, mail, attempt), readBackDelays(deps));
  } catch (err) {
    return fail(graphError(err, deps.clock.now(), "find_sent"));
  }
  if (!found) return fail(sendStateUnknown());
  deps.logger.info(
    { organizationId: cmd.organizationId, userId: cmd.userId },
    "mail: a retry found the message of an earlier attempt in Sent Items; not sending again",
  );
  return found;
}

/**
 * Send the message. Resolves when it was sent: with the sent copy when the send's answer was lost and
 * the copy was found instead, else null (the copy is looked for afterwards).
 */
async function sendNow(
  deps: MailServiceDeps,
  cmd: SendMailCommand,
  mail: ComposedMail,
  plan: SendPlan,
  lease: KeyLease,
  fail: Fail,
): Promise<FetchedMessage | null> {
  const { organizationId, userId } = cmd;
  const { client, replyToGraphId } = plan;
  // Recorded BEFORE the message goes to Graph: from here on a retry looks for it instead of sending.
  const attempt: SendAttempt = { marker: randomUUID(), startedAt: deps.clock.now().toISOString() };
  lease.attempt = attempt;
  if (lease.ref) await recordSendAttempt(deps.db, lease.ref, attempt);
  // The SDK may retry 429 and 503 (Graph did not act on the request) but never a 504: that one
  // may have been sent, and is looked for below instead.
  const noReplayAfterAcceptance = new RetryHandlerOptions(
    deps.graph.backoffSeconds ?? 1,
    plan.maxRetries,
    (_d, _a, _req, _opts, res) => res.status !== 504,
  );
  try {
    const req = replyToGraphId
      ? client
          .api(`/me/messages/${encodeURIComponent(replyToGraphId)}/reply`)
          .middlewareOptions([noReplayAfterAcceptance])
          .post(replyBody(mail))
      : client
          .api("/me/sendMail")
          .middlewareOptions([noReplayAfterAcceptance])
          .post(sendMailBody(mail, attempt.marker));
    await req;
    return null;
  } catch (sendErr) {
    if (refusedUnsent(sendErr)) {
      // Not sent: forget the key, so a retry with it sends.
      if (replyToGraphId && statusOf(sendErr) === 404)
        return fail(
          new MailError("reply_not_in_mailbox", "The message to reply to is no longer in your mailbox."),
          false,
        );
      return fail(graphError(sendErr, deps.clock.now(), "send"), false);
    }
    // The answer was lost or ambiguous: did it go out?
    deps.logger.warn(
      { organizationId, userId, graphStatus: statusOf(sendErr) },
      "mail: the send's answer was lost; looking for the message in Sent Items",
    );
    let found: FetchedMessage | null;
    try {
      found = await findSent(client, sentMatcher(plan, mail, attempt), readBackDelays(deps));
    } catch (findErr) {
      // Still unknown; the key keeps the attempt, so a retry with it looks again (and never sends).
      return fail(graphError(findErr, deps.clock.now(), "find_sent"), true);
    }
    if (!found) return fail(sendStateUnknown(), true);
    deps.logger.info({ organizationId, userId }, "mail: the send answered with an error but the message was sent");
    return found;
  }
}

/** The 201 answer: the sent copy captured, or pending when it could not be found or stored yet. */
async function answerForSent(
  deps: MailServiceDeps,
  cmd: SendMailCommand,
  mail: ComposedMail,
  plan: SendPlan,
  sent: { found: FetchedMessage } | { attempt: SendAttempt },
): Promise<SendMailResponse> {
  try {
    const found =
      "found" in sent
        ? sent.found
        : await findSent(plan.client, sentMatcher(plan, mail, sent.attempt), readBackDelays(deps));
    return found ? await captureSent(deps, cmd, plan, found, mail) : pendingAnswer(mail);
  } catch (err) {
    deps.logger.warn(
      { organizationId: cmd.organizationId, userId: cmd.userId, err: err instanceof Error ? err.message : String(err) },
      "mail: sent, but capture did not finish",
    );
    return pendingAnswer(mail);
  }
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
      explanation:
        "Sent. Microsoft 365 has not filed it in Sent Items yet; the next sweep will decide whether it is captured.",
      action: null,
    },
    engagement: null,
    bodySanitized: mail.sanitized,
    replyTo: mail.replyTo,
  };
}

async function captureSent(
  deps: MailServiceDeps,
  cmd: SendMailCommand,
  plan: SendPlan,
  sent: FetchedMessage,
  mail: ComposedMail,
): Promise<SendMailResponse> {
  const { db, clock } = deps;
  const { organizationId, userId } = cmd;
  const captureDeps = {
    db,
    clock,
    baseUrl: deps.graph.baseUrl,
    folderCacheMaxAgeMs: deps.folderCacheMaxAgeMs,
    onEngagementChanges: deps.onEngagementChanges,
  };
  const { decision, engagementId } = await captureOneMessage(
    captureDeps,
    plan.client,
    { organizationId, userId, connectedAt: plan.connection.connectedAt },
    sent,
  );
  const engagement = engagementId
    ? ((await getEngagementViews(db, organizationId, { kind: "user", userId }, [engagementId]))[0] ?? null)
    : null;
  return {
    sent: true,
    internetMessageId: sent.listed.internetMessageId,
    captured: decision.outcome === "captured",
    decision: {
      outcome: decision.outcome,
      reason: decision.reason,
      explanation: decision.explanation,
      action: decision.action,
    },
    engagement,
    bodySanitized: mail.sanitized,
    replyTo: mail.replyTo,
  };
}
