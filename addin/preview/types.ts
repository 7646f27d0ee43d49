/** Shape of /preview/messages.json (server/api/routes/addin.ts serves it; kept in step by test/addin/preview.test.ts). */
export interface PreviewMessage {
  restItemId: string;
  internetMessageId: string;
  subject: string;
  from: { address: string; name: string | null };
  to: { address: string; name: string | null }[];
  cc: { address: string; name: string | null }[];
  dateTimeCreated: string;
  itemClass: string;
  /** Whose mailbox the message is in. */
  mailbox: string;
}

/** Messages between the preview page and the pane's stand-in (same origin only). */
export type PreviewEvent = { type: "ec-preview:ready" } | { type: "ec-preview:select"; message: PreviewMessage | null };
