/**
 * POST /api/mail — send mail as the caller; the sent message is captured at once.
 * Idempotency-Key (optional, recommended): the same key with the same body answers the first
 * response again (200, Idempotency-Replayed: true) without sending; see server/mail/send.ts for
 * what is guaranteed.
 */
import { Hono } from "hono";
import { z } from "zod";
import {
  IDEMPOTENCY_KEY,
  MAX_MAIL_REQUEST_BYTES,
  MAX_RECIPIENTS,
  sendMailSchema,
} from "../../../shared/api/schemas/mail";
import type { AppEnv } from "../context";
import type { AppDeps } from "../deps";
import { ApiError } from "../errors";
import { jsonBody } from "../request";
import { errorBodySchema, sendMailResponseSchema } from "../../../shared/api/schemas";
import { JSON_ERRORS, createRoute, err, json, jsonRequest, mountApi } from "../operations";

/** The mail module's request schema, with the words the API description gives its fields. */
const sendMailRequestSchema = sendMailSchema
  .extend({
    to: sendMailSchema.shape.to.meta({ description: `To and cc together: at most ${MAX_RECIPIENTS}.` }),
    body: sendMailSchema.shape.body.meta({ description: "HTML is sanitised before sending (see the operation)." }),
    replyTo: sendMailSchema.shape.replyTo.meta({
      description:
        "Engagement id: send as a reply to that message (it must be in the caller's mailbox), in the same conversation.",
    }),
  })
  .meta({ id: "SendMailRequest" });

const error = (description: string) => json(errorBodySchema, description);

const send = createRoute({
  method: "post",
  path: "/api/mail",
  operationId: "sendMail",
  tags: ["mail"],
  summary: "Send mail as the caller; the sent message is captured at once by the capture rules",
  description:
    "Needs an active mailbox connection; uses only Mail.Send (to send) and Mail.Read (to find the sent copy), no drafts. " +
    "The message is sent with Graph sendMail carrying a private marker (an extended property that stays in the caller's mailbox), " +
    "or, with `replyTo`, as a reply to that engagement's message in the caller's mailbox (same conversation). The sent copy is then " +
    "found in Sent Items (by its marker; a reply by its conversation, send time and recipients) and decided by the same capture rules " +
    "as the hourly sweep — so a message to no tracked contact is sent but not " +
    "captured and `decision` says why, and the later sweep finds the same internetMessageId and changes nothing. " +
    `At most ${MAX_RECIPIENTS} recipients (to and cc together); addresses are checked like the capture rules compare them. ` +
    "HTML bodies are sanitised before sending: only basic formatting, lists, tables and links (http, https, mailto) remain; scripts, " +
    "styles, event handlers, images, forms and frames are removed (`bodySanitized` says whether anything was). " +
    `The request body is limited to ${MAX_MAIL_REQUEST_BYTES / 1024 / 1024} MB. ` +
    "Idempotency: send an `Idempotency-Key` (recommended). The same key with the same body answers the first response again " +
    "(200, `Idempotency-Replayed: true`) and sends nothing. The send attempt is recorded with the key before the message goes to " +
    "Microsoft 365, so a retry after a failure or a lost answer never sends again: it looks for the first attempt's message in Sent " +
    "Items and answers 201 with it, or 409 `send_state_unknown` when it is not there. Keys are kept 24 hours per user. Without a key, " +
    "a client retry after a lost answer can send the message again.",
  request: {
    headers: z.object({
      "Idempotency-Key": z
        .string()
        .min(1)
        .max(200)
        .regex(/^[!-~]+$/)
        .optional()
        .meta({
          description: "Any unique string (e.g. a UUID) per message to send; reuse it only to retry the same request.",
        }),
    }),
    body: jsonRequest(sendMailRequestSchema),
  },
  responses: {
    "201": json(sendMailResponseSchema, "Sent (captured or not: see captured and decision)"),
    "200": {
      description:
        "A repeat of an earlier request with the same Idempotency-Key and body: its answer again; nothing was sent.",
      headers: { "Idempotency-Replayed": { schema: { const: "true" } } },
      content: { "application/json": { schema: sendMailResponseSchema } },
    },
    "400": error(
      "invalid_json, invalid_request (unknown or malformed fields; details [{path, message}]), invalid_idempotency_key",
    ),
    "401": err("Unauthorized"),
    "429": err("RateLimited"),
    "404": error("not_found: replyTo names no engagement of this organization"),
    "409": error(
      "not_connected; reauth_required (the grant is gone or lacks a permission: reconnect); request_in_progress (the same Idempotency-Key " +
        "is being processed; Retry-After); send_state_unknown (a send with this key was attempted — its answer was lost, or Microsoft 365 " +
        "answered 504 — and the message is not in Sent Items, so whether it went out cannot be told: check Sent Items, and send with a new key; " +
        "the key keeps looking on each retry)",
    ),
    ...JSON_ERRORS,
    "422": error(
      "invalid_address (details.invalid lists them), too_many_recipients (details.max, details.count), idempotency_key_reused " +
        "(same key, different body), reply_not_in_mailbox (the engagement to reply to is not in the caller's mailbox)",
    ),
    "502": error("graph_rejected: Microsoft 365 refused the message (details.graphCode)"),
    "503": {
      description:
        "graph_unavailable (Microsoft 365 throttled (429) or was unavailable (503) after bounded retries: nothing was sent and nothing stored; " +
        "with details.step find_sent, looking for an earlier attempt's message in Sent Items failed: retry with the same key, it never sends again; " +
        "details.retryable = true, details.graphStatus), token_unavailable, or database_unavailable.",
      headers: {
        "Retry-After": {
          schema: { type: "integer" },
          description: "Seconds to wait, passed on from Microsoft Graph when it said.",
        },
      },
      content: { "application/json": { schema: errorBodySchema } },
    },
  },
});

export const mailOperations = [send];

export function mailRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const mail = deps.mail;
  // The 1 MB body limit is applied in app.ts with the others (before authentication reads anything).
  mountApi(app, send, async (c) => {
    const key = c.req.header("idempotency-key") ?? null;
    if (key !== null && !IDEMPOTENCY_KEY.test(key)) {
      throw new ApiError(400, "invalid_idempotency_key", "Idempotency-Key must be 1 to 200 visible ASCII characters.");
    }
    const request = await jsonBody(c, sendMailRequestSchema);
    // A refusal (MailError and the other domain errors) is answered by the central error handler.
    const out = await mail.send({
      organizationId: c.get("orgId"),
      userId: c.get("userId"),
      request,
      idempotencyKey: key,
    });
    if (out.replayed) c.header("Idempotency-Replayed", "true");
    return c.json(out.body, out.status);
  });
  return app;
}
