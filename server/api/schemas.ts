/**
 * Request schemas (zod). Bodies are strict objects — unknown fields are rejected, so a typo in a
 * field name is an error instead of a silently ignored value. Response shapes are in
 * shared/api/contract.ts.
 */
import { z } from "zod";

export const MAX_JSON_BODY = 256 * 1024;
export const MAX_CSV_BODY = 2 * 1024 * 1024;
export const MAX_PAGE = 200;

const id = z.string().min(1).max(100);
const text = (max: number) => z.string().max(max);
/** An ISO 8601 date-time with a zone (Office.js and Graph both send these). */
const isoDateTime = z.iso.datetime({ offset: true });
/** The same, normalised to UTC "Z" form — stored times are compared as text (schema.ts). */
const isoUtc = isoDateTime.transform((v) => new Date(v).toISOString());

export const clientCreateSchema = z.strictObject({
  name: text(200).trim().min(1, { message: "The name must not be empty." }),
});
export const clientUpdateSchema = clientCreateSchema;

export const contactCreateSchema = z.strictObject({
  email: text(320).min(1),
  name: text(200).trim().nullable().optional(),
  clientId: id.nullable().optional(),
});

export const contactUpdateSchema = z
  .strictObject({
    name: text(200).trim().nullable().optional(),
    clientId: id.nullable().optional(),
  })
  .refine((v) => v.name !== undefined || v.clientId !== undefined, { message: "Nothing to change: send name and/or clientId." });

const limit = z.coerce.number().int().min(1).max(MAX_PAGE).default(50);

export const contactListQuery = z.strictObject({
  q: text(200).trim().optional(),
  clientId: id.optional(),
  cursor: text(1000).optional(),
  limit,
});

export const mailboxHealthQuery = z.strictObject({
  status: z.enum(["not_connected", "active", "reauth_required", "disconnected"]).optional(),
  cursor: text(1000).optional(),
  limit,
});

export const engagementListQuery = z
  .strictObject({
    contactId: id.optional(),
    clientId: id.optional(),
    from: isoUtc.optional(),
    to: isoUtc.optional(),
    cursor: text(1000).optional(),
    limit,
  })
  .refine((v) => !v.from || !v.to || v.from <= v.to, { message: "from must not be after to.", path: ["from"] });

/** An address from Office.js: a bare string or { address, name }. */
export const addressInput = z.union([
  text(500),
  z.strictObject({ address: text(500), name: text(500).nullable().optional() }),
]);
export type AddressInput = z.infer<typeof addressInput>;

export const messageStatusSchema = z.strictObject({
  internetMessageId: text(2000).trim().min(1),
  from: addressInput.nullable().optional(),
  to: z.array(addressInput).max(1000).default([]),
  cc: z.array(addressInput).max(1000).default([]),
  subject: text(4000).nullable().optional(),
  sentDateTime: isoDateTime.nullable().optional(),
  receivedDateTime: isoDateTime.nullable().optional(),
  itemClass: text(200).nullable().optional(),
  restItemId: text(2000).nullable().optional(),
});
export type MessageStatusRequest = z.infer<typeof messageStatusSchema>;

export const blockEntryCreateSchema = z.strictObject({
  entry: text(320).min(1),
  /** Personal by default: adding to the whole organization's list is the deliberate choice. */
  scope: z.enum(["organization", "personal"]).default("personal"),
});

export const emptyQuery = z.strictObject({});
