/**
 * The emulator's seed format: plain JSON, so fixtures, the demo and benchmarks can describe a
 * tenant without code. Times may be absolute ISO 8601 or relative to the emulator clock's "now"
 * ("now", "-2h", "now-90m", "-3d", "+15m"), so a dataset stays "the last 24 hours" whenever it loads.
 */

export type DatasetTime = string;

/** "Name <address>", a bare address, or the Graph shape's inner object. */
export type DatasetAddress = string | { name?: string; address: string };

export interface DatasetTenant {
  id: string; // tid (GUID)
  displayName?: string;
  /** Verified domain, e.g. "contoso.onmicrosoft.com"; the authority also accepts it instead of the GUID. */
  domain?: string;
  /**
   * The tenant's verified domains (Graph `GET /organization`). Absent: the domain above, the domains of its
   * users' addresses (mail, UPN, smtp proxies) and an initial `<name>.onmicrosoft.com`.
   */
  verifiedDomains?: (string | DatasetDomain)[];
}

export interface DatasetDomain {
  name: string;
  /** Default: the domain most of the tenant's users have their mail at. */
  isDefault?: boolean;
  /** Default: the `*.onmicrosoft.com` domain. */
  isInitial?: boolean;
  /** "Managed" (default) or "Federated". */
  type?: string;
  /** One comma-separated string, as Graph returns it. Default "Email, OfficeCommunicationsOnline". */
  capabilities?: string;
}

export interface DatasetApp {
  clientId: string;
  /** Absent = public client (SPA only). */
  clientSecret?: string;
  displayName?: string;
  /** Home tenant (for client credentials against "common"/"organizations"). */
  tenantId?: string;
  /** "Web" platform redirect URIs (confidential: secret required at the token endpoint). */
  redirectUris?: string[];
  /** "Single-page application" redirect URIs (no secret; token redemption must be cross-origin). */
  spaRedirectUris?: string[];
  /** Application permissions for client credentials against Graph (roles claim). */
  graphAppRoles?: string[];
  /**
   * App roles of other API apps granted to this app (admin consent to application permissions): the
   * `roles` of its client-credentials tokens for that API.
   */
  appRoleAssignments?: AppRoleAssignment[];
  /** Object id of the app's service principal (the `oid`/`sub` of its app-only tokens); default derived from the client id. */
  servicePrincipalId?: string;
}

export interface DatasetUser {
  tenantId: string;
  id: string; // oid
  displayName: string;
  mail: string;
  userPrincipalName: string;
  /** e.g. ["SMTP:ada@contoso.com", "smtp:ada.l@contoso.com"] */
  proxyAddresses?: string[];
  givenName?: string;
  surname?: string;
  jobTitle?: string;
  /** false → mail endpoints answer 404 MailboxNotEnabledForRESTAPI. Default true. */
  mailboxEnabled?: boolean;
  /**
   * App roles of an API app assigned to this user (Entra: Enterprise applications → Users and groups).
   * Their values go in the `roles` claim of this user's access tokens for that app, as Entra does.
   */
  appRoleAssignments?: AppRoleAssignment[];
}

export interface AppRoleAssignment {
  /** The API app's client id (the access token's aud). */
  resourceAppId: string;
  /** The app role's value, e.g. "Capture.Admin". */
  value: string;
}

export interface DatasetFolder {
  userId: string;
  /** Stable handle used by messages and child folders in the dataset (not the Graph id). */
  key: string;
  displayName: string;
  /** Parent: a well-known name ("inbox", "msgfolderroot" …) or another folder's key. Default msgfolderroot. */
  parent?: string;
  isHidden?: boolean;
  /** PidTagContainerClass, e.g. "IPF.Note" (default) or "IPF.Note.OutlookHomepage". */
  containerClass?: string | null;
}

export interface DatasetMessage {
  userId: string;
  /** A well-known folder name, a dataset folder key, or a folder display name. Default "inbox". */
  folder?: string;
  subject?: string;
  /** Body text; HTML unless bodyContentType is "text". */
  body?: string;
  bodyContentType?: "html" | "text";
  from?: DatasetAddress;
  sender?: DatasetAddress;
  to?: DatasetAddress[];
  cc?: DatasetAddress[];
  bcc?: DatasetAddress[];
  replyTo?: DatasetAddress[];
  sentDateTime?: DatasetTime;
  receivedDateTime?: DatasetTime;
  createdDateTime?: DatasetTime;
  lastModifiedDateTime?: DatasetTime;
  isRead?: boolean;
  isDraft?: boolean;
  importance?: "low" | "normal" | "high";
  inferenceClassification?: "focused" | "other";
  categories?: string[];
  hasAttachments?: boolean;
  /** PidTagMessageClass; default "IPM.Note" (or the meeting class for meetingMessageType). */
  messageClass?: string;
  /** Makes the item a #microsoft.graph.eventMessage. */
  meetingMessageType?:
    | "none"
    | "meetingRequest"
    | "meetingCancelled"
    | "meetingAccepted"
    | "meetingTenativelyAccepted"
    | "meetingDeclined";
  internetMessageId?: string;
  conversationId?: string;
  internetMessageHeaders?: { name: string; value: string }[];
  /**
   * Single-value extended properties set on the item (other than the message class), e.g. a named
   * property `String {guid} Name X`. They stay with the item in its mailbox; a delivered copy does not get them.
   */
  singleValueExtendedProperties?: { id: string; value: string }[];
}

export interface EmulatorDataset {
  tenants?: DatasetTenant[];
  apps?: DatasetApp[];
  users?: DatasetUser[];
  folders?: DatasetFolder[];
  messages?: DatasetMessage[];
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Resolve a dataset time against `now`. */
export function resolveTime(value: DatasetTime | Date | undefined, now: Date): Date | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Date) return value;
  const v = value.trim();
  if (v === "now") return new Date(now);
  const rel = /^(?:now)?\s*([+-])\s*(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(v);
  if (rel) {
    const ms = Number(rel[2]) * UNIT_MS[rel[3].toLowerCase()];
    return new Date(now.getTime() + (rel[1] === "-" ? -ms : ms));
  }
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new Error(`Invalid dataset time: ${value}`);
  return d;
}

export interface GraphEmailAddress {
  emailAddress: { name: string; address: string };
}

export function toRecipient(a: DatasetAddress): GraphEmailAddress {
  if (typeof a !== "string") return { emailAddress: { name: a.name ?? a.address, address: a.address } };
  const m = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(a);
  if (m) return { emailAddress: { name: m[1].replace(/^"|"$/g, "") || m[2], address: m[2].trim() } };
  return { emailAddress: { name: a.trim(), address: a.trim() } };
}
