/** The open message in Outlook: its capture status, and capturing it now. */
import { z } from "zod";
import {
  captureActionSchema,
  connectionStatusSchema,
  dateTime,
  isoDateTime,
  nullableDateTime,
  orNull,
  reasonCodeSchema,
  text,
} from "./common";
import { engagementViewSchema, participantRoleSchema } from "./engagements";

/** An address from Office.js: a bare string or { address, name }. */
export const addressInput = z
  .union([text(500), z.strictObject({ address: text(500), name: text(500).nullable().optional() })])
  .meta({ id: "Address" });

export const messageStatusSchema = z
  .strictObject({
    internetMessageId: text(2000).trim().min(1).meta({ example: "<CAF1234@mail.fabrikam.com>" }),
    from: orNull(addressInput).optional(),
    to: z.array(addressInput).max(1000).default([]),
    cc: z.array(addressInput).max(1000).default([]),
    subject: text(4000)
      .nullable()
      .optional()
      .meta({ description: "Accepted and ignored: nothing of an uncaptured message is stored." }),
    sentDateTime: isoDateTime.nullable().optional(),
    receivedDateTime: isoDateTime.nullable().optional(),
    itemClass: text(200)
      .nullable()
      .optional()
      .meta({ description: "Outlook message class, e.g. IPM.Note; default IPM.Note." }),
    restItemId: text(2000).nullable().optional(),
  })
  .meta({ id: "MessageStatusRequest" });

export const captureNowSchema = z
  .strictObject({
    restItemId: z
      .string()
      .trim()
      .min(1)
      .max(2000)
      .meta({ description: "The item's REST id (Office.js convertToRestId) or immutable id." }),
    internetMessageId: z
      .string()
      .trim()
      .min(1)
      .max(2000)
      .optional()
      .meta({ description: "Optional, what Office.js knows; not needed to find the message." }),
  })
  .meta({ id: "CaptureNowRequest" });

const clientRef = z.object({ id: z.string(), name: z.string() });

export const personViewSchema = z
  .object({
    address: z.string(),
    name: z.string().nullable(),
    role: participantRoleSchema,
    isUser: z.boolean(),
    blocked: z.boolean(),
    blockedBy: z
      .object({ entry: z.string(), scope: z.enum(["organization", "personal"]) })
      .nullable()
      .optional()
      .meta({
        description:
          "The blocklist entry that blocks this address (and whose list it is on), or null. Always sent by this server; " +
          "optional so a pane talking to an older server still reads the answer.",
      }),
    contact: z
      .object({
        id: z.string(),
        name: z.string().nullable(),
        client: clientRef.nullable(),
        createdAt: z.string().meta({ format: "date-time" }),
      })
      .nullable(),
  })
  .meta({ id: "Person" });

export const messageStatusResponseSchema = z
  .object({
    status: z.enum(["captured", "will_be_captured", "not_captured"]).meta({
      description:
        "captured: a stored decision says captured (engagement attached). will_be_captured: not yet swept, and the rules predict " +
        "capture at nextSweepAt. not_captured: a stored or predicted exclusion (decision.reason says why).",
    }),
    decision: z.object({
      source: z.enum(["stored", "predicted"]),
      outcome: z.enum(["captured", "excluded"]),
      reason: orNull(reasonCodeSchema),
      explanation: z.string(),
      action: orNull(captureActionSchema),
      decidedAt: nullableDateTime,
      sweepId: z.string().nullable(),
      removed: z
        .object({ at: dateTime, why: z.enum(["blocklist_entry", "untracked_contact", "retention"]) })
        .nullable()
        .optional()
        .meta({
          description:
            "A stored exclusion only: the message had been captured, and its engagement was deleted on request — when, and " +
            "because a blocklist entry was added, its contact untracked with removal, or the organization's retention period ended. Null otherwise (optional for older servers).",
        }),
    }),
    engagement: orNull(engagementViewSchema),
    capturedButBlocked: z
      .object({
        address: z.string(),
        entry: z.string(),
        scope: z.enum(["organization", "personal"]),
        explanation: z.string(),
      })
      .nullable()
      .optional()
      .meta({
        description:
          "Always sent by this server (optional for panes talking to older ones). status captured only: a participant has been blocked since the message was captured (the first such one). The " +
          "engagement stays until removed; explanation says so in plain words.",
      }),
    people: z.array(personViewSchema),
    nextSweepAt: nullableDateTime,
    connection: connectionStatusSchema,
    awaitsSweep: z.boolean().meta({
      description:
        "A coming sweep will read this message and may decide it: a prediction (a capture, or an exclusion the user can undo) about " +
        "mail inside the window the next sweep reads (SWEEP_WINDOW_HOURS before nextSweepAt, or before now when not connected).",
    }),
  })
  .meta({ id: "MessageStatusResponse" });

export type AddressInput = z.infer<typeof addressInput>;
export type MessageStatusRequest = z.infer<typeof messageStatusSchema>;
