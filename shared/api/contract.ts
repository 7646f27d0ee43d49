/**
 * The HTTP API contract shared by the task pane and the server: response shapes and the error body.
 * Request validation lives server-side (zod, server/api/schemas.ts); the pane imports only types from here,
 * so nothing of the validator reaches its bundle.
 */
import type { CaptureAction, ReasonCode } from "../capture/reasons";

/** Every non-2xx answer has this body. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export type ConnectionStatus = "not_connected" | "active" | "reauth_required" | "disconnected";

export interface ConnectionView {
  status: ConnectionStatus;
  /** Why reconnecting is needed, in words, when status is reauth_required. */
  reason: string | null;
  connectedAt: string | null;
  lastSweepAt: string | null;
  lastSuccessAt: string | null;
  nextSweepAt: string | null;
  lastError: string | null;
}

/**
 * The Entra app role (a value in the access token's `roles` claim, assigned to people in Enterprise
 * applications) that lets its holders change what applies to everyone in the organization: the
 * organization-wide blocklist, and reading every user's mailbox connection health.
 */
export const ADMIN_APP_ROLE = "Capture.Admin";

export interface MeResponse {
  /** isAdmin: the token carries ADMIN_APP_ROLE. */
  user: { id: string; email: string; displayName: string | null; addresses: string[]; isAdmin: boolean };
  organization: { id: string; name: string | null };
  connection: ConnectionView;
}

/** GET /api/connections (admins): one user of the organization and the health of their mailbox connection. */
export interface MailboxHealthView {
  user: { id: string; email: string; displayName: string | null };
  connection: ConnectionView;
}

/** GET /api/connections: the page, and the whole organization's counts by status (for "3 need reconnecting"). */
export interface MailboxHealthPage extends Page<MailboxHealthView> {
  counts: Record<ConnectionStatus, number>;
}

export interface ClientView {
  id: string;
  name: string;
  createdAt: string;
  contactCount?: number;
}

export interface ContactView {
  id: string;
  email: string;
  name: string | null;
  clientId: string | null;
  client: { id: string; name: string } | null;
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface EngagementView {
  id: string;
  internetMessageId: string;
  conversationId: string | null;
  subject: string | null;
  bodyPreview: string | null;
  bodyText?: string | null;
  direction: "inbound" | "outbound";
  messageTime: string;
  sentAt: string | null;
  receivedAt: string | null;
  from: string | null;
  participants: { address: string; name: string | null; role: "from" | "to" | "cc" }[];
  contacts: { id: string; email: string; name: string | null }[];
  clients: { id: string; name: string }[];
  mailboxes: { userId: string; webLink: string | null }[];
  capturedAt: string;
}

export interface PersonView {
  address: string;
  name: string | null;
  role: "from" | "to" | "cc";
  isUser: boolean;
  blocked: boolean;
  contact: { id: string; name: string | null; client: { id: string; name: string } | null; createdAt: string } | null;
}

/** POST /api/messages/status: what the pane shows for the open message. */
export interface MessageStatusResponse {
  /**
   * captured: a stored decision says captured (engagement attached).
   * will_be_captured: not yet swept, and the rules predict capture at nextSweepAt.
   * not_captured: a stored or predicted exclusion (decision.reason says why).
   */
  status: "captured" | "will_be_captured" | "not_captured";
  decision: {
    source: "stored" | "predicted";
    outcome: "captured" | "excluded";
    reason: ReasonCode | null;
    explanation: string;
    action: CaptureAction | null;
    decidedAt: string | null;
    sweepId: string | null;
  };
  engagement: EngagementView | null;
  people: PersonView[];
  nextSweepAt: string | null;
  connection: ConnectionStatus;
  /**
   * A coming sweep will read this message and may decide it ("Not swept yet"): a prediction — a capture,
   * or an exclusion the user can still undo — about mail inside the window the next sweep reads
   * (SWEEP_WINDOW_HOURS before nextSweepAt; before now when not connected, as connecting sweeps then).
   */
  awaitsSweep: boolean;
}

export interface SweepView {
  id: string;
  trigger: "schedule" | "manual" | "connect" | "cli" | "worker";
  status: "running" | "succeeded" | "failed";
  windowStart: string;
  windowEnd: string;
  startedAt: string;
  finishedAt: string | null;
  listed: number;
  captured: number;
  excluded: number;
  excludedByReason: Partial<Record<ReasonCode, number>>;
  graphRequests: number;
  retries: number;
  error: string | null;
}

export interface BlockEntryView {
  id: string;
  entry: string;
  scope: "organization" | "personal";
  createdAt: string;
}

/** POST /api/contacts/import (201). On any bad row: 422 invalid_rows, details.errors = ImportRowErrorView[], nothing stored. */
export interface ContactImportResponse {
  created: number;
  /** Previously deleted contacts tracked again (with a new createdAt). */
  revived: number;
  clientsCreated: number;
  contacts: ContactView[];
}

export interface ImportRowErrorView {
  /** Line number in the file; the header is line 1. */
  row: number;
  field: "email" | "name" | "client" | "row";
  message: string;
}

/** One sample message of the browser preview (/preview/messages.json, demo and development only). */
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
