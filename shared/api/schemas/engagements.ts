/** Engagements: captured emails. */
import { z } from "zod";
import { cursorQuery, dateTime, id, isoUtc, limitQuery, nullableDateTime } from "./common";
import { sharingLevelSchema, visibilitySchema } from "./sharing";

/** History of a contact or client: GET /api/engagements?contactId=… or ?clientId=… (newest first, one call per page). */
export const engagementListQuery = z
  .strictObject({
    contactId: id.optional().meta({ description: "Only engagements linked to this contact." }),
    clientId: id.optional().meta({ description: "Only engagements with a contact of this client." }),
    from: isoUtc.optional().meta({ description: "messageTime at or after (ISO 8601)." }),
    to: isoUtc.optional().meta({ description: "messageTime before (ISO 8601)." }),
    cursor: cursorQuery.optional(),
    limit: limitQuery,
  })
  .refine((v) => !v.from || !v.to || v.from <= v.to, { message: "from must not be after to.", path: ["from"] });

export const participantRoleSchema = z.enum(["from", "to", "cc"]);

export const participantSchema = z
  .object({ address: z.string(), name: z.string().nullable(), role: participantRoleSchema })
  .meta({ id: "Participant" });

export const mailboxOfEngagementSchema = z
  .object({
    userId: z.string(),
    email: z.string().meta({ description: "The mailbox owner's primary address." }),
    displayName: z.string().nullable().meta({ description: "The mailbox owner's name, when known." }),
    isCaller: z.boolean().meta({ description: "True when this is the caller's own mailbox." }),
    sharing: sharingLevelSchema.meta({ description: "What this mailbox shares with teammates now." }),
    webLink: z.string().nullable().meta({ description: "Opens the message in that mailbox (only its owner can)." }),
  })
  .meta({ id: "EngagementMailbox" });

export const engagementViewSchema = z
  .object({
    id: z.string(),
    internetMessageId: z.string(),
    conversationId: z.string().nullable(),
    subject: z
      .string()
      .nullable()
      .meta({ description: "Null when the message has none, or when visibility.level is metadata (not shared)." }),
    bodyPreview: z.string().nullable().meta({
      description: "Null when the message has none, or when visibility.level is not everything (not shared).",
    }),
    bodyText: z
      .string()
      .nullable()
      .optional()
      .meta({
        description:
          "Only on GET /api/engagements/{id}. At most 256 KiB of UTF-8 is stored: see `truncated`. Null when visibility.level " +
          "is not everything (not shared).",
      }),
    truncated: z.boolean().meta({
      description:
        "True when the message's body was longer than the stored cap (256 KiB of UTF-8 text) and bodyText holds only its " +
        "beginning. False when the body is not shown.",
    }),
    visibility: visibilitySchema,
    direction: z.enum(["inbound", "outbound"]),
    messageTime: dateTime,
    sentAt: nullableDateTime,
    receivedAt: nullableDateTime,
    from: z.string().nullable(),
    participants: z.array(participantSchema),
    contacts: z.array(z.object({ id: z.string(), email: z.string(), name: z.string().nullable() })),
    clients: z.array(z.object({ id: z.string(), name: z.string() })),
    mailboxes: z.array(mailboxOfEngagementSchema).meta({
      description: "The mailboxes it was found in, oldest first: whose they are and what each shares.",
    }),
    conflictsWith: z.array(z.string()).meta({
      description:
        "Ids of this organization's other engagements with the same internetMessageId. Copies of a Message-ID are one engagement only " +
        "when they agree on sender, sent time (within 2 minutes) and from/to/cc addresses; a copy that disagrees — one of them may be " +
        "forged, since the sender chooses the Message-ID — is an engagement of its own and never changes or links this one. Empty for " +
        "almost every engagement. The status call answers from the caller's own copy (its decision points to that engagement).",
    }),
    capturedAt: dateTime,
  })
  .meta({ id: "Engagement" });

export const engagementChangesQuery = z.strictObject({
  cursor: cursorQuery.optional().meta({
    description:
      "Opaque: a change's `cursor` or a page's `nextCursor`. Absent: from the beginning (every engagement that exists first).",
  }),
  limit: limitQuery,
});

export const engagementChangeSchema = z
  .object({
    sequence: z
      .number()
      .int()
      .meta({ description: "Position in the organization's feed: 1, 2, … without gaps, in commit order." }),
    cursor: z.string().meta({ description: "Pass as `cursor` to resume after this change." }),
    type: z.enum(["created", "updated", "deleted"]).meta({
      description:
        "created: captured; updated: another mailbox or contact linked (or a mailbox's copy changed); deleted: removed (a block, an untracked contact, retention).",
    }),
    engagementId: z.string(),
    occurredAt: dateTime,
    engagement: engagementViewSchema.nullable().meta({
      description:
        "The engagement as it is when the page is read (not as it was at the change), without bodyText; null for deleted, and for a change of an engagement deleted since (a later deleted change follows).",
    }),
  })
  .meta({ id: "EngagementChange" });

export const engagementChangePageSchema = z
  .object({
    items: z.array(engagementChangeSchema),
    nextCursor: z.string().meta({
      description:
        "Never null: pass it as `cursor` next time. When hasMore is false the feed is read to its end; ask again later with this cursor.",
    }),
    hasMore: z.boolean(),
  })
  .meta({ id: "EngagementChangePage" });
