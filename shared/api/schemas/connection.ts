/** The signed-in user, the delegated mailbox grant, and (administrators) every user's connection health. */
import { z } from "zod";
import { ADMIN_APP_ROLE } from "../roles";
import {
  CONNECTION_STATUSES,
  connectionStatusSchema,
  connectionViewSchema,
  cursorQuery,
  limitQuery,
  pageOf,
} from "./common";

export const meResponseSchema = z
  .object({
    user: z.object({
      id: z.string(),
      email: z.string(),
      displayName: z.string().nullable(),
      addresses: z.array(z.string()),
      isAdmin: z.boolean().meta({ description: `The token carries the ${ADMIN_APP_ROLE} app role.` }),
    }),
    organization: z.object({
      id: z.string(),
      name: z.string().nullable(),
      internalDomains: z
        .array(z.string())
        .optional()
        .meta({
          description:
            "The organization's own domains (its verified domains from Microsoft Graph; before any mailbox is connected, the " +
            "caller's own domain). Always sent by this server (optional for panes talking to older ones). Addresses there or at a subdomain are colleagues: never offered Track, refused as contacts.",
          example: ["contoso.com", "contoso.onmicrosoft.com"],
        }),
    }),
    connection: connectionViewSchema,
  })
  .meta({ id: "MeResponse" });

export const startConnectionResponseSchema = z.object({
  authorizeUrl: z.url().meta({ description: "Open in the Office dialog." }),
});

export const mailboxHealthQuery = z.strictObject({
  status: connectionStatusSchema.optional().meta({ description: "Only users whose connection has this status." }),
  cursor: cursorQuery.optional(),
  limit: limitQuery,
});

/** One user of the organization and the health of their mailbox connection. */
export const mailboxHealthViewSchema = z
  .object({
    user: z.object({ id: z.string(), email: z.string(), displayName: z.string().nullable() }),
    connection: connectionViewSchema,
  })
  .meta({ id: "MailboxHealth" });

/** The page, and the whole organization's counts by status (for "3 need reconnecting"). */
export const mailboxHealthPageSchema = pageOf(mailboxHealthViewSchema).extend({
  counts: z
    .object(
      Object.fromEntries(CONNECTION_STATUSES.map((s) => [s, z.number().int()])) as Record<
        (typeof CONNECTION_STATUSES)[number],
        z.ZodNumber
      >,
    )
    .meta({ description: "Users by connection status, for the whole organization." }),
});

/** Query of the OAuth redirect target (/auth/callback). */
export const authCallbackQuery = z.object({
  code: z.string().optional().meta({ description: "Authorization code." }),
  state: z.string().optional().meta({ description: "Signed single-use state." }),
  error: z.string().optional().meta({ description: "Error from the authority." }),
  error_description: z.string().optional().meta({ description: "Its description." }),
});
