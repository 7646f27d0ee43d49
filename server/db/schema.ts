/**
 * The database schema as Kysely types — the one description both dialects share.
 * Conventions (dialect-neutral on purpose, so one code path serves SQLite and PostgreSQL):
 * - ids are text (UUIDs from crypto.randomUUID, or the Entra tenant id for organizations);
 * - times are ISO 8601 UTC text from Date.toISOString() (fixed width, so they sort and compare as text);
 * - JSON is stored as text and parsed in the data-access modules;
 * - column names are snake_case in SQL and camelCase here via Kysely's CamelCasePlugin.
 * Every table but organizations carries organization_id, and every query filters on it.
 */
import type { ColumnType, Generated } from "kysely";

type Timestamp = string;
/** capture_decisions.removal: why a captured message's engagement was deleted. */
export type RemovalKindColumn = "blocklist_entry" | "untracked_contact" | "retention";

export interface OrganizationTable {
  id: string; // Entra tenant id (tid)
  name: string | null;
  createdAt: Timestamp;
  /** Last change to the rules' inputs that names no address (every mailbox re-reads its window); see 0004, 0011. */
  rulesChangedAt: Timestamp | null;
  /** JSON string[]: verified domains from Graph GET /organization (0006); null until a mailbox connects. */
  internalDomains?: string | null;
  internalDomainsAt?: Timestamp | null;
  /** Days the organization keeps engagements, by message time (0009); null = forever. */
  engagementRetentionDays?: number | null;
  /** Sharing (0011): the level of mailboxes whose owner chose none; whether owners may choose; what applications see. */
  sharingDefaultLevel?: SharingLevelColumn;
  sharingUsersMayChange?: number;
  sharingIntegrationLevel?: SharingLevelColumn;
}

/** What teammates see of a mailbox's engagements (shared/sharing.ts). */
export type SharingLevelColumn = "metadata" | "subject" | "everything";

export interface UserTable {
  id: string;
  organizationId: string;
  oid: string; // Entra object id
  email: string; // preferred_username at first sign-in, later the mailbox's primary address
  displayName: string | null;
  /** JSON string[]: mail, UPN and proxy SMTP addresses, normalised. Read from Graph /me at connect and daily. */
  addresses: string;
  addressesRefreshedAt: Timestamp | null;
  createdAt: Timestamp;
  /** The user's own sharing level for their mailbox (0011); null follows the organization's default. */
  sharingLevel?: SharingLevelColumn | null;
}

export type ConnectionStatusColumn = "active" | "reauth_required" | "disconnected";

export interface MailboxConnectionTable {
  id: string;
  organizationId: string;
  userId: string; // unique: one connection per user
  status: ConnectionStatusColumn;
  statusReason: string | null;
  /** MSAL homeAccountId (oid.tid) of the consenting account. */
  homeAccountId: string | null;
  /** The user's serialized MSAL token cache, AES-256-GCM encrypted (server/identity/token-crypto). Null after disconnect. */
  tokenCache: string | null;
  connectedAt: Timestamp | null;
  lastSweepAt: Timestamp | null;
  lastSuccessAt: Timestamp | null;
  /** windowEnd of the last successful sweep: the next window reaches back to it (minus overlap). */
  lastSuccessWindowEnd: Timestamp | null;
  lastError: string | null;
  nextSweepAt: Timestamp | null;
  /** JSON: excluded folder ids resolved from well-known names, cached for a day. */
  folderCache: string | null;
  folderCacheAt: Timestamp | null;
  updatedAt: Timestamp;
}

export interface ClientTable {
  id: string;
  organizationId: string;
  name: string;
  /** clientNameKey(name), unique per organization; NULL only for rows whose name folded like an older one's before migration 0005. */
  nameKey: string | null;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface ContactTable {
  id: string;
  organizationId: string;
  clientId: string | null;
  email: string; // normalised; unique per organization
  name: string | null;
  createdAt: Timestamp; // when it became tracked (reset when a deleted contact is re-added)
  updatedAt: Timestamp;
  deletedAt: Timestamp | null;
  /** The user who tracked it (0006); null for imports and contacts tracked before it was recorded. */
  trackedByUserId?: string | null;
}

export interface EngagementTable {
  id: string;
  organizationId: string;
  /** Not unique alone: copies that disagree on sender, sent time or participants are separate engagements. */
  internetMessageId: string;
  /** Hash of the agreeing facts of the copy that created it (store/engagement-copies.ts); unique with the organization and internetMessageId. */
  copyFingerprint: Generated<string>;
  conversationId: string | null;
  subject: string | null;
  bodyText: string | null;
  /** 1 when bodyText was cut to the stored body cap (store/capture-decisions.ts STORED_BODY_MAX_BYTES), else 0. */
  bodyTruncated: Generated<number>;
  bodyPreview: string | null;
  direction: "inbound" | "outbound";
  messageTime: Timestamp;
  sentAt: Timestamp | null;
  receivedAt: Timestamp | null;
  fromAddress: string | null;
  /** JSON [{address, name, role}] for from/to/cc (never bcc). */
  participants: string;
  createdAt: Timestamp;
}

export interface EngagementContactTable {
  organizationId: string;
  engagementId: string;
  contactId: string;
}

export interface EngagementMailboxTable {
  organizationId: string;
  engagementId: string;
  userId: string;
  /** Graph immutable id of the message in this mailbox. */
  graphMessageId: string;
  webLink: string | null;
  createdAt: Timestamp;
}

/**
 * Every creation, update (a mailbox or contact linked) and deletion of an engagement, numbered per
 * organization from 1 without gaps, in commit order (store/engagement-changes.ts): the changes feed.
 * No foreign key to engagements: a deletion outlives its engagement.
 */
export interface EngagementChangeTable {
  organizationId: string;
  sequence: number;
  engagementId: string;
  type: "created" | "updated" | "deleted";
  occurredAt: Timestamp;
}

/** Keyed by (userId, messageKey): no id of its own (0015_compact_decisions), the table is a row per message per mailbox. */
export interface CaptureDecisionTable {
  organizationId: string;
  userId: string;
  /** SHA-256 of the internetMessageId, base64url (43 characters): excluded mail leaves no subject or participants behind. */
  messageKey: string;
  outcome: "captured" | "excluded";
  reason: string | null;
  /** JSON: only non-personal detail (e.g. the excluded folder name). */
  detail: string | null;
  engagementId: string | null;
  sweepId: string | null;
  decidedAt: Timestamp;
  /** When the engagement this mailbox captured was deleted on request (0006); the sweep never writes it. */
  removedAt?: Timestamp | null;
  /** Why: the blocklist entry added with removal, or the contact untracked with removal. */
  removal?: RemovalKindColumn | null;
}

export interface SweepTable {
  id: string;
  organizationId: string;
  userId: string;
  trigger: "schedule" | "manual" | "connect" | "cli" | "worker";
  status: "running" | "succeeded" | "failed";
  windowStart: Timestamp;
  windowEnd: Timestamp;
  startedAt: Timestamp;
  finishedAt: Timestamp | null;
  listed: number;
  captured: number;
  /** Captured by this sweep and not captured from this mailbox before (null before 0012). */
  newlyCaptured: number | null;
  excluded: number;
  /** JSON Partial<Record<ReasonCode, number>>. */
  excludedByReason: string;
  graphRequests: number;
  retries: number;
  error: string | null;
  /** What the sweep listed: the whole window, or only what changed since the last success (null before 0004). */
  listing: "full" | "changes" | "targeted" | null;
}

export interface BlocklistEntryTable {
  id: string;
  organizationId: string;
  /** Null for an organization-wide entry; the owner's user id for a personal one. */
  userId: string | null;
  entry: string; // normalised address or "@domain"
  createdAt: Timestamp;
}

/** One address-specific change to the rules' inputs (0011; server/store/rule-changes.ts). */
export interface RuleChangeTable {
  id: string;
  organizationId: string;
  /** Null: every mailbox of the organization; else only this user's. */
  userId: string | null;
  kind: "block_removed" | "user_addresses_changed";
  /** A normalised address, or "@domain" for a domain block entry. */
  address: string;
  changedAt: Timestamp;
}

/** A contact import in progress: at most one per organization (server/store/contact-import-leases.ts). */
export interface ContactImportLeaseTable {
  organizationId: string;
  leaseId: string;
  startedAt: Timestamp;
  /** After this, the lease is taken to belong to an import whose process died. */
  expiresAt: Timestamp;
}

/** A mailbox's Graph change-notification subscription (server/store/graph-subscriptions.ts). */
export interface GraphSubscriptionTable {
  organizationId: string;
  /** One subscription per mailbox. */
  userId: string;
  /** Graph's subscription id: notifications name it. */
  subscriptionId: string;
  /** SHA-256 (hex) of the subscription's clientState; the secret itself is never stored. */
  clientStateHash: string;
  resource: string;
  expiresAt: Timestamp;
  createdAt: Timestamp;
  renewedAt: Timestamp | null;
}

/** Single-use OAuth state for the connect flow (server/identity). */
export interface AuthStateTable {
  id: string; // the nonce inside the signed state
  organizationId: string;
  userId: string;
  /** PKCE code verifier, AES-256-GCM encrypted. */
  codeVerifier: string;
  expiresAt: Timestamp;
  usedAt: Timestamp | null;
  createdAt: Timestamp;
}

/** Idempotency keys for POST /api/mail. */
export interface IdempotencyKeyTable {
  organizationId: string;
  userId: string;
  key: string;
  requestHash: string;
  /** JSON of the response returned the first time. */
  response: string | null;
  status: "in_progress" | "done";
  createdAt: Timestamp;
  /**
   * The marker put on the message (an extended property) for this request's send, recorded BEFORE the
   * message goes to Graph; null until a send is attempted (migration 0003).
   */
  sendMarker: string | null;
  /** When that send began: the lower bound when looking for the sent copy (migration 0003). */
  sendStartedAt: Timestamp | null;
  /** While in_progress: the request working on the key holds it until then (migration 0002). */
  lockedUntil: Timestamp | null;
}

/** A webhook endpoint an organization registered (server/store/webhook-endpoints.ts). */
export interface WebhookEndpointTable {
  id: string;
  organizationId: string;
  url: string;
  description: string | null;
  /** JSON WebhookEventType[]. */
  eventTypes: string;
  /** The signing secret (whsec_…), sealed with the token encryption key (server/identity/token-crypto). */
  secret: string;
  /** After a rotation: the old secret, sealed, which still signs until previousSecretExpiresAt. */
  previousSecret: string | null;
  previousSecretExpiresAt: Timestamp | null;
  status: "active" | "disabled";
  /** Why it was disabled (shown to administrators). */
  disabledReason: string | null;
  disabledAt: Timestamp | null;
  /** The last change of the organization's feed turned into a delivery for this endpoint. */
  lastSequence: number;
  /** The first failed attempt since the last success; null while deliveries succeed. */
  failingSince: Timestamp | null;
  /** The user id, or "app:<client id>" for an application. */
  createdBy: string;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export type WebhookDeliveryStatus = "pending" | "succeeded" | "failed";

/** One change of the feed for one endpoint (server/store/webhook-deliveries.ts); its id is the webhook-id. */
export interface WebhookDeliveryTable {
  id: string;
  organizationId: string;
  endpointId: string;
  sequence: number;
  eventType: string;
  engagementId: string;
  occurredAt: Timestamp;
  status: WebhookDeliveryStatus;
  attempts: Generated<number>;
  nextAttemptAt: Timestamp | null;
  /** While an attempt is in flight: another sender takes the delivery only after this (a dead process's). */
  lockedUntil: Timestamp | null;
  lastAttemptAt: Timestamp | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: Timestamp | null;
  createdAt: Timestamp;
}

/** A person erased from the organization (0016_erasures): never the address itself, only a salted hash of it. */
export interface ErasureTable {
  id: string;
  organizationId: string;
  /** SHA-256 hex of salt + "\n" + the normalised address. */
  addressHash: string;
  /** Random, per row (hex). */
  salt: string;
  scope: "sole" | "full";
  erasedByUserId: string | null;
  erasedAt: Timestamp;
  /** JSON of the counts per kind the erasure answered with. */
  counts: string;
}

export interface Database {
  organizations: OrganizationTable;
  users: UserTable;
  mailboxConnections: MailboxConnectionTable;
  clients: ClientTable;
  contacts: ContactTable;
  engagements: EngagementTable;
  engagementContacts: EngagementContactTable;
  engagementMailboxes: EngagementMailboxTable;
  engagementChanges: EngagementChangeTable;
  captureDecisions: CaptureDecisionTable;
  sweeps: SweepTable;
  blocklistEntries: BlocklistEntryTable;
  ruleChanges: RuleChangeTable;
  contactImportLeases: ContactImportLeaseTable;
  graphSubscriptions: GraphSubscriptionTable;
  authStates: AuthStateTable;
  idempotencyKeys: IdempotencyKeyTable;
  webhookEndpoints: WebhookEndpointTable;
  webhookDeliveries: WebhookDeliveryTable;
  erasures: ErasureTable;
}

// Re-exported so data-access modules need only this file for Kysely helper types.
export type { ColumnType, Generated };
