/** Sending mail as the user: the answer. (The request's schema is the mail module's, which also composes the message.) */
import { z } from "zod";
import { captureActionSchema, orNull, reasonCodeSchema } from "./common";
import { engagementViewSchema } from "./engagements";

export const sendMailResponseSchema = z
  .object({
    sent: z.literal(true),
    internetMessageId: z
      .string()
      .meta({
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
