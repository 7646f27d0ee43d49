/** The organization's settings that administrators change: how long engagements are kept. */
import { z } from "zod";

/** At least a day, at most ten years (server/retention/policy.ts). */
export const retentionSettingsSchema = z
  .strictObject({
    engagementDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .nullable()
      .meta({
        description:
          "Engagements whose message is older than this many days are deleted (content gone; the capture decisions keep only " +
          "the message hash and say why). Null keeps them forever, the default.",
      }),
  })
  .meta({ id: "RetentionSettings" });

/** POST /api/organization/erasures: erase everything the organization stores about one address. */
export const erasureRequestSchema = z
  .strictObject({
    address: z.string().min(3).max(320).meta({ description: "The email address to erase (any case)." }),
    scope: z.enum(["sole", "full"]).meta({
      description:
        "sole: delete the engagements whose only tracked participant is this person and rewrite the others without the address; " +
        "full: delete every engagement the address took part in (from, to, cc).",
    }),
  })
  .meta({ id: "ErasureRequest" });

const count = z.number().int().min(0);

export const erasureResultSchema = z
  .strictObject({
    id: z
      .string()
      .meta({ description: "The erasure's record (it keeps a salted hash of the address, never the address)." }),
    scope: z.enum(["sole", "full"]),
    erasedAt: z.string(),
    counts: z.strictObject({
      contacts: count,
      contactLinks: count,
      engagementsDeleted: count,
      engagementsRedacted: count.meta({ description: "Kept engagements rewritten without the address." }),
      decisionsReleased: count.meta({
        description: "Capture decisions of deleted engagements, now only the message hash and why.",
      }),
      decisionsRedacted: count,
      blockEntries: count,
      sentAnswersRedacted: count,
      otherRedacted: count,
    }),
  })
  .meta({ id: "ErasureResult" });

export type ErasureRequest = z.infer<typeof erasureRequestSchema>;
export type ErasureResult = z.infer<typeof erasureResultSchema>;
