/** Engagements: captured emails. */
import { z } from "zod";
import { cursorQuery, dateTime, id, isoUtc, limitQuery, nullableDateTime } from "./common";

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

export const engagementViewSchema = z
  .object({
    id: z.string(),
    internetMessageId: z.string(),
    conversationId: z.string().nullable(),
    subject: z.string().nullable(),
    bodyPreview: z.string().nullable(),
    bodyText: z.string().nullable().optional().meta({ description: "Only on GET /api/engagements/{id}." }),
    direction: z.enum(["inbound", "outbound"]),
    messageTime: dateTime,
    sentAt: nullableDateTime,
    receivedAt: nullableDateTime,
    from: z.string().nullable(),
    participants: z.array(participantSchema),
    contacts: z.array(z.object({ id: z.string(), email: z.string(), name: z.string().nullable() })),
    clients: z.array(z.object({ id: z.string(), name: z.string() })),
    mailboxes: z.array(z.object({ userId: z.string(), webLink: z.string().nullable() })),
    capturedAt: dateTime,
  })
  .meta({ id: "Engagement" });
