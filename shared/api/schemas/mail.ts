/** Sending mail as the user: the request and the answer. */
import { z } from "zod";
import { captureActionSchema, orNull, reasonCodeSchema } from "./common";
import { engagementViewSchema } from "./engagements";

/** To + Cc together. Bcc is not offered: it would never count for capture and hides who was told. */
export const MAX_RECIPIENTS = 50;
export const MAX_SUBJECT = 255;
/** The whole JSON request; Graph itself accepts up to 4 MB per request. */
export const MAX_MAIL_REQUEST_BYTES = 1024 * 1024;
/** Idempotency-Key header: 1..200 visible ASCII characters. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

const address = z.string().max(500);

export const sendMailSchema = z.strictObject({
  // Deliberately loose counts here: too many recipients is a 422 with its own code, not a schema 400.
  to: z.array(address).min(1, { message: "At least one recipient is needed in to." }).max(1000),
  cc: z.array(address).max(1000).default([]),
  subject: z.string().max(MAX_SUBJECT),
  body: z.strictObject({
    contentType: z.enum(["text", "html"]),
    content: z.string(),
  }),
  /** Engagement id: send as a reply to that message, in the same conversation. */
  replyTo: z.string().min(1).max(100).optional(),
});

export const sendMailResponseSchema = z
  .object({
    sent: z.literal(true),
    internetMessageId: z.string().meta({
      description:
        "The sent message's RFC 2822 id; empty while decision.outcome is pending (Graph answers a send without it).",
    }),
    captured: z.boolean().meta({ description: "True when the sent message is stored as an engagement." }),
    decision: z.object({
      outcome: z
        .enum(["captured", "excluded", "pending"])
        .meta({ description: "pending: Microsoft 365 had not filed the sent copy yet; the next sweep decides." }),
      reason: orNull(reasonCodeSchema),
      explanation: z.string(),
      action: orNull(captureActionSchema),
    }),
    engagement: orNull(engagementViewSchema),
    bodySanitized: z.boolean().meta({ description: "True when sanitising removed something from the HTML body." }),
    replyTo: z.string().nullable().meta({ description: "The engagement this message replies to, when it is a reply." }),
  })
  .meta({ id: "SendMailResponse" });
