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
