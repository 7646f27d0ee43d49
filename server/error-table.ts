/**
 * The one table of domain error codes (beside domain-error.ts, below every layer: the API answers with it and the
 * sweep reads what people may see from it, so neither imports the other): the HTTP status each is answered with, and whether its message
 * was written for people — then a failed sweep stores it as it is (sweep record, the connection's
 * lastError, the pane and administrators' mailbox health); any other failure is stored as a fixed
 * sentence (sweep/errors.ts describeForUser).
 *
 * A code with no status is never answered as such: it reaches the API only by accident (a sweep's
 * Graph failure during "capture now") and is answered as the unexpected error it is there (500).
 */
import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface ErrorRule {
  status?: ContentfulStatusCode;
  /** Retry-After for this code when the error itself does not carry one. */
  retryAfterSeconds?: number;
  /** The sweep stores this error's own words for users to read. */
  sweepShowsMessage?: true;
}

export const ERROR_TABLE = {
  // The mailbox connection
  not_connected: { status: 409, sweepShowsMessage: true },
  reauth_required: { status: 409, sweepShowsMessage: true },
  identity_unavailable: { status: 503, retryAfterSeconds: 5, sweepShowsMessage: true },
  token_unreadable: { sweepShowsMessage: true },
  token_unavailable: { status: 503 },
  // Reading the mailbox (the sweep; "capture now" answers them as unexpected)
  graph_malformed: { sweepShowsMessage: true },
  graph_request_failed: { sweepShowsMessage: true },
  sweep_aborted: { sweepShowsMessage: true },
  sweep_in_progress: {},
  // Distributed mode: "capture now" runs on a worker and no worker answered in time
  capture_timeout: { status: 503, retryAfterSeconds: 5 },
  // Who may call: an application (client credentials) on an operation only people may call; a caller
  // (person or application) without the role an operation needs
  user_only: { status: 403 },
  forbidden: { status: 403 },
  // Sharing levels: the organization's administrators set every mailbox's level
  sharing_locked: { status: 403 },
  // Requests for data
  not_found: { status: 404 },
  client_not_found: { status: 404 },
  message_not_found: { status: 404 },
  invalid_cursor: { status: 400 },
  invalid_email: { status: 400 },
  invalid_entry: { status: 400 },
  invalid_name: { status: 400 },
  duplicate_block_entry: { status: 409 },
  duplicate_client: { status: 409 },
  duplicate_contact: { status: 409 },
  internal_address: { status: 422 },
  // Erasing a person: a member's own address is not erased this way
  erasure_of_member: { status: 422 },
  // Fair share between organizations
  import_in_progress: { status: 409, retryAfterSeconds: 5 },
  contact_quota_exceeded: { status: 409 },
  blocklist_quota_exceeded: { status: 409 },
  client_quota_exceeded: { status: 409 },
  // Sending mail
  too_many_recipients: { status: 422 },
  invalid_address: { status: 422 },
  idempotency_key_reused: { status: 422 },
  request_in_progress: { status: 409 },
  send_state_unknown: { status: 409 },
  reply_not_in_mailbox: { status: 422 },
  graph_rejected: { status: 502 },
  graph_unavailable: { status: 503 },
  // Webhooks: a URL the server will not call (not https, not a public address), too many endpoints
  invalid_webhook_url: { status: 422 },
  webhook_quota_exceeded: { status: 409 },
} as const satisfies Record<string, ErrorRule>;

export type ErrorCode = keyof typeof ERROR_TABLE;

export function errorRule(code: string): ErrorRule | undefined {
  return Object.hasOwn(ERROR_TABLE, code) ? (ERROR_TABLE as Record<string, ErrorRule>)[code] : undefined;
}

/** The HTTP status a domain error code is answered with; undefined when it is not an answer of its own. */
export function httpStatusOf(code: string): ContentfulStatusCode | undefined {
  return errorRule(code)?.status;
}

/** Whether a failed sweep may store this error's own message for users to read. */
export function sweepShowsMessage(code: string): boolean {
  return errorRule(code)?.sweepShowsMessage === true;
}
