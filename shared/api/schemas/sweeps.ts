/** Sweeps: passes over the mailbox. */
import { z } from "zod";
import { dateTime, nullableDateTime, reasonCodeSchema } from "./common";

export const sweepNowQuery = z.strictObject({
  wait: z.enum(["true", "false", "1", "0"]).optional().meta({
    description:
      "true (or 1): answer 200 with the finished sweep instead of 202 at its start, waiting at most 10 minutes (then 202 as without wait).",
  }),
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
    captured: z.number().int().meta({
      description:
        "Messages this sweep decided to capture, including those captured from this mailbox before (a full re-read finds them again).",
    }),
    newlyCaptured: z.number().int().nullable().meta({
      description:
        "Of captured, the messages this mailbox had not captured before: what the sweep added. Null for sweeps recorded before it was counted.",
    }),
    excluded: z.number().int(),
    excludedByReason: z.partialRecord(reasonCodeSchema, z.number().int()),
    graphRequests: z.number().int(),
    retries: z.number().int(),
    error: z.string().nullable(),
  })
  .meta({ id: "Sweep" });

/**
 * Distributed mode: "sweep now" when no worker runs the sweep yet — it is queued for a free worker, or
 * the worker that ran it stopped and it waits for another to take it over (within the job deadline
 * plus the queue's maintenance interval).
 */
export const sweepQueuedSchema = z
  .object({
    status: z.literal("queued"),
    jobId: z.string(),
    state: z.enum(["queued", "waiting_for_worker"]),
    detail: z.string(),
    interruptedSweepId: z
      .string()
      .nullable()
      .meta({ description: "The sweep the stopped worker left running, now closed as interrupted." }),
  })
  .meta({ id: "SweepQueued" });
