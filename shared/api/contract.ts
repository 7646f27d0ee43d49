/**
 * The HTTP API contract's types, shared by the task pane and the server: each is inferred from its zod
 * schema in ./schemas, which the server validates with and documents /api/openapi.json from. This module
 * imports the schemas as types only, so the pane's bundle holds none of the validator.
 */
import type { z } from "zod";
import type * as S from "./schemas";

export { ADMIN_APP_ROLE } from "./roles";

/** Every non-2xx answer has this body. */
export type ApiErrorBody = z.infer<typeof S.errorBodySchema>;
export type ConnectionStatus = z.infer<typeof S.connectionStatusSchema>;
export type ConnectionView = z.infer<typeof S.connectionViewSchema>;
export type MeResponse = z.infer<typeof S.meResponseSchema>;
/** GET /api/connections (admins): one user of the organization and the health of their mailbox connection. */
export type MailboxHealthView = z.infer<typeof S.mailboxHealthViewSchema>;
/** GET /api/connections: the page, and the whole organization's counts by status. */
export type MailboxHealthPage = z.infer<typeof S.mailboxHealthPageSchema>;
export type ClientView = z.infer<typeof S.clientViewSchema>;
export type ContactView = z.infer<typeof S.contactViewSchema>;

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page; null on the last page. */
  nextCursor: string | null;
}

export type EngagementView = z.infer<typeof S.engagementViewSchema>;
export type EngagementMailbox = z.infer<typeof S.mailboxOfEngagementSchema>;
export type EngagementVisibility = z.infer<typeof S.visibilitySchema>;
/** What teammates see of engagements captured from a mailbox: metadata < subject < everything. */
export type SharingLevel = z.infer<typeof S.sharingLevelSchema>;
/** GET/PUT /api/organization/sharing (administrators). */
export type OrganizationSharing = z.infer<typeof S.organizationSharingSchema>;
/** GET /api/me/sharing; PUT takes MySharingUpdate. */
export type MySharing = z.infer<typeof S.mySharingSchema>;
export type MySharingUpdate = z.input<typeof S.mySharingUpdateSchema>;
export type PersonView = z.infer<typeof S.personViewSchema>;
/** POST /api/messages/status: what the pane shows for the open message. */
export type MessageStatusResponse = z.infer<typeof S.messageStatusResponseSchema>;
export type SweepView = z.infer<typeof S.sweepViewSchema>;
export type SweepQueuedView = z.infer<typeof S.sweepQueuedSchema>;
export type BlockEntryView = z.infer<typeof S.blockEntryViewSchema>;
/** POST /api/blocklist (201): the entry and how many captured engagements were deleted with it. */
export type BlockEntryCreated = z.infer<typeof S.blockEntryCreatedSchema>;
export type BlockEntryCreateRequest = z.input<typeof S.blockEntryCreateSchema>;
/** GET /api/blocklist/preview and GET /api/contacts/{id}/removal-preview. */
export type RemovalPreview = z.infer<typeof S.removalPreviewSchema>;
/** DELETE /api/contacts/{id}?removeCaptured=true (200). */
export type ContactDeleted = z.infer<typeof S.contactDeletedSchema>;
/** POST /api/contacts/import (201). On any bad row: 422 invalid_rows, details.errors = ImportRowErrorView[], nothing stored. */
export type ContactImportResponse = z.infer<typeof S.contactImportResponseSchema>;
export type ImportRowErrorView = z.infer<typeof S.importRowErrorSchema>;
/** One sample message of the browser preview (/preview/messages.json, demo and development only). */
export type PreviewMessage = z.infer<typeof S.previewMessageSchema>;
export type SendMailResponse = z.infer<typeof S.sendMailResponseSchema>;

/** Request bodies as a client sends them (before the server's defaults and trimming). */
export type MessageStatusRequest = z.input<typeof S.messageStatusSchema>;
export type CaptureNowRequest = z.input<typeof S.captureNowSchema>;
export type ContactCreateRequest = z.input<typeof S.contactCreateSchema>;
export type ClientCreateRequest = z.input<typeof S.clientCreateSchema>;
/** The query of GET /api/connections (`limit` is a number in the URL; its schema coerces the text). */
export type MailboxHealthQuery = Omit<z.input<typeof S.mailboxHealthQuery>, "limit"> & { limit?: number };
export type StartConnectionResponse = z.infer<typeof S.startConnectionResponseSchema>;
