/** What the server gives the task pane besides the API: its runtime configuration and the preview's sample messages. */
import { z } from "zod";

export const addinConfigSchema = z.object({
  clientId: z.string(),
  authority: z.string().meta({ description: "ENTRA_AUTHORITY_HOST/ENTRA_TENANT" }),
  apiScope: z.string().meta({ description: "api://<clientId>/access_as_user" }),
  apiBaseUrl: z.string().meta({ description: '"" when the API is on the pane\'s origin' }),
  mode: z.enum(["demo", "production"]),
});

const previewAddress = z.object({ address: z.string(), name: z.string().nullable() });

/** One sample message of the browser preview (/preview/messages.json, demo and development only). */
export const previewMessageSchema = z.object({
  restItemId: z.string(),
  internetMessageId: z.string(),
  subject: z.string(),
  from: previewAddress,
  to: z.array(previewAddress),
  cc: z.array(previewAddress),
  dateTimeCreated: z.string(),
  itemClass: z.string(),
  mailbox: z.string().meta({ description: "Whose mailbox the message is in." }),
});
