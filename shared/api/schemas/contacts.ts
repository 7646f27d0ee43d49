/** Contacts: tracked people; mail with them is captured. */
import { z } from "zod";
import { cursorQuery, dateTime, flagQuery, id, limitQuery, text } from "./common";

export const contactCreateSchema = z
  .strictObject({
    email: text(320).min(1).meta({ example: "alex@fabrikam.com" }),
    name: text(200).trim().nullable().optional(),
    clientId: id.nullable().optional(),
  })
  .meta({ id: "ContactInput" });

export const contactUpdateSchema = z
  .strictObject({
    name: text(200).trim().nullable().optional(),
    clientId: id.nullable().optional(),
  })
  .refine((v) => v.name !== undefined || v.clientId !== undefined, {
    message: "Nothing to change: send name and/or clientId.",
  })
  .meta({ id: "ContactUpdate" });

export const contactListQuery = z.strictObject({
  q: text(200).trim().optional().meta({ description: "Case-insensitive substring of the email or name." }),
  clientId: id.optional().meta({ description: "Only this client's contacts." }),
  cursor: cursorQuery.optional(),
  limit: limitQuery,
});

export const contactViewSchema = z
  .object({
    id: z.string(),
    email: z.string().meta({ example: "alex@fabrikam.com" }),
    name: z.string().nullable(),
    clientId: z.string().nullable(),
    client: z.object({ id: z.string(), name: z.string() }).nullable(),
    createdAt: dateTime.meta({
      description: "When it became tracked (reset when an untracked contact is tracked again).",
    }),
    trackedBy: z
      .object({ id: z.string(), email: z.string(), displayName: z.string().nullable() })
      .nullable()
      .optional()
      .meta({
        description:
          "Who tracked it: null for imported contacts and those tracked before this was recorded. Always sent by this server " +
          "(optional for panes talking to older ones).",
      }),
  })
  .meta({ id: "Contact" });

/** POST /api/contacts/import (201). */
export const contactImportResponseSchema = z
  .object({
    created: z.number().int(),
    revived: z
      .number()
      .int()
      .meta({ description: "Previously deleted contacts tracked again (with a new createdAt)." }),
    clientsCreated: z.number().int(),
    contacts: z.array(contactViewSchema),
  })
  .meta({ id: "ContactImportResponse" });

export const importRowErrorSchema = z
  .object({
    row: z.number().int().meta({ description: "Line number in the file; the header is line 1." }),
    field: z.enum(["email", "name", "client", "row"]),
    message: z.string(),
  })
  .meta({ id: "ImportRowError" });

/** 422 invalid_rows: every bad row, nothing stored. */
export const importErrorSchema = z
  .object({
    error: z.object({
      code: z.literal("invalid_rows"),
      message: z.string(),
      details: z.object({ errors: z.array(importRowErrorSchema) }),
    }),
  })
  .meta({ id: "ImportError" });

/** The CSV file of the import, as text. */
export const contactCsvSchema = z.string().meta({ example: "email,name,client\nalex@fabrikam.com,Alex Wu,Fabrikam\n" });

export const contactDeleteQuery = z.strictObject({
  removeCaptured: flagQuery.meta({
    description:
      "true: also delete the engagements captured with this contact that no other tracked contact is on " +
      "(administrators: the organization's; members: only those found in their own mailbox alone).",
  }),
});

/** DELETE /api/contacts/{id}?removeCaptured=true (200). */
export const contactDeletedSchema = z.object({ removedEngagements: z.number().int() }).meta({ id: "ContactDeleted" });
