/** Sweeps: passes over the mailbox. */
import { z } from "zod";
import { dateTime, nullableDateTime, reasonCodeSchema } from "./common";

export const sweepNowQuery = z.strictObject({
  wait: z
    .enum(["true", "false", "1", "0"])
    .optional()
    .meta({ description: "true (or 1): answer 200 with the finished sweep instead of 202 at its start." }),
});
export const sweepListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: "How many sweeps, at most 100." }),
});

export const sweepViewSchema = z
  .object({
    id: z.string(),
    trigger: z.enum(["schedule", "manual", "connect", "cli", "worker"]),
    status: z.enum(["running", "succeeded", "failed"]),
    windowStart: dateTime,
    windowEnd: dateTime,
    startedAt: dateTime,
    finishedAt: nullableDateTime,
    listed: z.number().int(),
    captured: z.number().int(),
    excluded: z.number().int(),
    excludedByReason: z.partialRecord(reasonCodeSchema, z.number().int()),
    graphRequests: z.number().int(),
    retries: z.number().int(),
    error: z.string().nullable(),
  })
  .meta({ id: "Sweep" });
