/**
 * Everything the emulator knows and every knob tests turn: tenants, app registrations, users and
 * their mailboxes, issued grants, request counters, throttling windows and injected faults.
 * The HTTP layers (identity.ts, graph.ts, control.ts) are thin shells over this object, and tests
 * reach it directly as `emulator.state` — same powers as the HTTP control API.
 */
import crypto from "node:crypto";
import type { Clock } from "../server/clock";
import {
  type DatasetAddress,
  type DatasetApp,
  type DatasetFolder,
  type DatasetMessage,
  type DatasetTenant,
  type DatasetUser,
  type AppRoleAssignment,
  type EmulatorDataset,
  type GraphEmailAddress,
  resolveTime,
  toRecipient,
} from "./dataset";
import * as ids from "./ids";
import { type JwtPayload, type SigningKey, b64url, createSigningKey, signJwt } from "./jwt";

export const GRAPH_RESOURCE = "https://graph.microsoft.com";
export const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

export interface TenantRecord {
  id: string;
  displayName: string;
  domain: string;
}

export interface AppRecord {
  clientId: string;
  clientSecret?: string;
  displayName: string;
  tenantId?: string;
  redirectUris: string[];
  spaRedirectUris: string[];
  graphAppRoles: string[];
}

export interface UserRecord {
  tenantId: string;
  id: string;
  displayName: string;
  mail: string;
  userPrincipalName: string;
  proxyAddresses: string[];
  givenName?: string;
  surname?: string;
  jobTitle?: string;
  mailboxEnabled: boolean;
  appRoleAssignments: AppRoleAssignment[];
}

export interface FolderRecord {
  id: string;
  userId: string;
  /** Dataset key (or well-known name for default folders). */
  key: string;
  displayName: string;
  parentFolderId: string | null;
  wellKnownName: string | null;
  isHidden: boolean;
  containerClass: string | null;
  /** Outside the visible tree (Recoverable Items): not in listings nor in /me/messages. */
  outsideTree: boolean;
}

export interface MessageRecord {
  key: string;
  userId: string;
  folderId: string;
  /** Regular id; changes when the item moves. */
  id: string;
  immutableId: string;
  moveCount: number;
  changeKey: string;
  messageClass: string;
  meetingMessageType: string | null;
  internetMessageId: string;
  conversationId: string;
  subject: string;
  body: { contentType: "html" | "text"; content: string };
  from: GraphEmailAddress | null;
  sender: GraphEmailAddress | null;
  toRecipients: GraphEmailAddress[];
  ccRecipients: GraphEmailAddress[];
  bccRecipients: GraphEmailAddress[];
  replyTo: GraphEmailAddress[];
  sentDateTime: Date | null;
  receivedDateTime: Date;
  createdDateTime: Date;
  lastModifiedDateTime: Date;
  isRead: boolean;
  isDraft: boolean;
  importance: string;
  inferenceClassification: string;
  categories: string[];
  hasAttachments: boolean;
  internetMessageHeaders: { name: string; value: string }[];
  /** Extended properties set by the client (not the message class, which has its own field). */
  singleValueExtendedProperties: { id: string; value: string }[];
}

export type RequestKind =
  | "list" | "get" | "delta" | "batch" | "batchItems" | "sendMail" | "createDraft" | "send" | "reply" | "move" | "me" | "folders"
  | "token" | "authorize" | "other";

export interface RequestCounts {
  total: number;
  byKind: Record<RequestKind, number>;
  responseBytes: number;
}

export interface FaultRule {
  /** What happens: an error status, a destroyed socket, or a stall before the normal answer. */
  kind?: "status" | "drop" | "stall";
  /** For kind "status": 429, 503 or 504 (any status works). Default 503. */
  status?: number;
  /** Retry-After seconds sent with the status (default 1 for 429/503, none for 504). null = omit. */
  retryAfterSeconds?: number | null;
  /** For kind "stall": milliseconds without an answer; then the request proceeds (or drops if stallThenDrop). */
  stallMs?: number;
  /**
   * For kind "stall", in-process use only: stall until this promise settles instead of for stallMs, so a
   * test decides when the request proceeds (no race with real time on a loaded machine).
   */
  stallUntil?: Promise<unknown>;
  stallThenDrop?: boolean;
  /** Probability 0..1 that a matching request is hit (default 1). */
  rate?: number;
  /** Fire for at most this many matching requests, then retire (default unlimited). */
  count?: number;
  /** Let this many matching requests pass first (scripts: "the 3rd list call fails"). */
  after?: number;
  match?: {
    /** Substring of, or RegExp against, the path (e.g. "/me/messages"); batch items use their own url. */
    path?: string | RegExp;
    userId?: string;
    method?: string;
    /** "graph" (default), "identity" or "any". */
    area?: "graph" | "identity" | "any";
    /** Whether the rule also applies to $batch items (status faults only). Default true. */
    batchItems?: boolean;
  };
}

interface ActiveFault extends FaultRule {
  id: number;
  seen: number;
  fired: number;
}

export type RevocationCode = 700082 | 50173 | 65001;

/** Query options of a delta round, fixed by its first request and carried by its tokens (as Graph encodes them). */
export interface DeltaOptions {
  select: string | null;
  expand: string | null;
  /** Only `receivedDateTime ge|gt <date>` (checked by graph.ts). */
  filter: string | null;
  /** Page size from `$top` (a `Prefer: odata.maxpagesize` on the request wins). */
  top: number | null;
  changeType: "created" | "updated" | "deleted" | null;
}

/** What a client holds of one message after a delta round: the id it was told, and the version. */
export interface SyncedMessage {
  id: string;
  immutableId: string;
  changeKey: string;
  lastModified: number;
}

/** One entry of a delta round: a message to send as it is when its page is served, or a removal. */
export type DeltaItem = { key: string } | { removed: { id: string; immutableId: string } };

/**
 * A Graph mail sync state behind a `$deltatoken` (a finished round: what the client now holds) or a
 * `$skiptoken` (a round in progress: its remaining entries, and what the client will hold at its end).
 */
export interface SyncState {
  token: string;
  kind: "delta" | "skip";
  userId: string;
  folderId: string;
  /** Per folder, increasing (the number Exchange's SyncStateNotFound message quotes). */
  generation: number;
  issuedAt: number;
  options: DeltaOptions;
  snapshot: Map<string, SyncedMessage>;
  /** skip only. */
  items?: DeltaItem[];
  offset?: number;
}

export interface AuthCodeGrant {
  clientId: string;
  userId: string;
  tenantId: string;
  redirectUri: string;
  spa: boolean;
  scopes: string[];
  codeChallenge: string;
  codeChallengeMethod: string;
  nonce?: string;
  expiresAt: number;
  redeemed: boolean;
}

export interface RefreshGrant {
  clientId: string;
  userId: string;
  tenantId: string;
  spa: boolean;
  /** Scopes the user consented to through this chain of tokens. */
  scopes: string[];
  issuedAt: number;
  /** Issue order: a revocation covers every refresh token issued before it (Entra's TokensValidFrom). */
  serial: number;
  /** SPA refresh tokens have a fixed 24 h lifetime; others expire after 90 days unused. */
  expiresAt: number;
}

/** A revoked grant: the AADSTS code, and what it covers (refresh tokens up to `upToSerial`, assertions issued up to `at`). */
export interface Revocation {
  code: RevocationCode;
  upToSerial: number;
  at: number;
}

export interface MintOptions {
  userId: string;
  clientId: string;
  /** "https://graph.microsoft.com" (Graph token) or the API's audience (client id or "api://…"). */
  audience: string;
  scopes: string[];
  expiresInSeconds?: number;
  /** Claims to add or replace (tests of the API's checks: wrong tid, iss, exp …). */
  overrides?: JwtPayload;
}

export interface AddMessageInput extends Omit<DatasetMessage, "userId"> {
  folder?: string;
}

const READ_KINDS: RequestKind[] = [
  "list", "get", "delta", "batch", "batchItems", "sendMail", "createDraft", "send", "reply", "move", "me", "folders", "token", "authorize", "other",
];

function emptyCounts(): RequestCounts {
  const byKind = Object.fromEntries(READ_KINDS.map((k) => [k, 0])) as Record<RequestKind, number>;
  return { total: 0, byKind, responseBytes: 0 };
}

/** Default folder tree of every mailbox (displayName, well-known name, parent, hidden, container class). */
const DEFAULT_FOLDERS: { wk: string; name: string; parent: string | null; hidden?: boolean; cls?: string | null; outside?: boolean }[] = [
  { wk: "msgfolderroot", name: "Top of Information Store", parent: null, cls: null },
  { wk: "inbox", name: "Inbox", parent: "msgfolderroot" },
  { wk: "sentitems", name: "Sent Items", parent: "msgfolderroot" },
  { wk: "drafts", name: "Drafts", parent: "msgfolderroot" },
  { wk: "deleteditems", name: "Deleted Items", parent: "msgfolderroot" },
  { wk: "junkemail", name: "Junk Email", parent: "msgfolderroot" },
  { wk: "archive", name: "Archive", parent: "msgfolderroot" },
  { wk: "outbox", name: "Outbox", parent: "msgfolderroot" },
  { wk: "conversationhistory", name: "Conversation History", parent: "msgfolderroot" },
  { wk: "teamchat", name: "Team Chat", parent: "conversationhistory", hidden: true, cls: "IPF.SkypeTeams.Message" },
  { wk: "clutter", name: "Clutter", parent: "msgfolderroot", hidden: true },
  { wk: "rssfeeds", name: "RSS Feeds", parent: "msgfolderroot", cls: "IPF.Note.OutlookHomepage" },
  { wk: "syncissues", name: "Sync Issues", parent: "msgfolderroot", cls: "IPF.Note" },
  { wk: "conflicts", name: "Conflicts", parent: "syncissues" },
  { wk: "localfailures", name: "Local Failures", parent: "syncissues" },
  { wk: "serverfailures", name: "Server Failures", parent: "syncissues" },
  { wk: "recoverableitemsdeletions", name: "Deletions", parent: null, hidden: true, outside: true },
];
/** Graph well-known names (the two extra keys above, teamchat/rssfeeds, are only dataset handles). */
export const GRAPH_WELL_KNOWN = new Set([
  "archive", "clutter", "conflicts", "conversationhistory", "deleteditems", "drafts", "inbox", "junkemail", "localfailures",
  "msgfolderroot", "outbox", "recoverableitemsdeletions", "scheduled", "searchfolders", "sentitems", "serverfailures", "syncissues",
]);

const MEETING_CLASS: Record<string, string> = {
  meetingRequest: "IPM.Schedule.Meeting.Request",
  meetingCancelled: "IPM.Schedule.Meeting.Canceled",
  meetingAccepted: "IPM.Schedule.Meeting.Resp.Pos",
  meetingTenativelyAccepted: "IPM.Schedule.Meeting.Resp.Tent",
  meetingDeclined: "IPM.Schedule.Meeting.Resp.Neg",
  none: "IPM.Schedule.Meeting.Notification",
};

export function htmlToText(html: string): string {
  return html
    .replace(/<(br|\/p|\/div|\/li|\/tr)\b[^>]*>/gi, "\r\n")
    .replace(/<style[\s\S]*?<\/style>|<script[\s\S]*?<\/script>/gi, "")
    .replace(/<[^>]+>/g, "")
    .replace(/&nbsp;/g, " ").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&")
    .replace(/[ \t]+\r\n/g, "\r\n")
    .trim();
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export class EmulatorState {
  readonly tenants = new Map<string, TenantRecord>();
  readonly apps = new Map<string, AppRecord>();
  readonly users = new Map<string, UserRecord>();
  readonly folders = new Map<string, FolderRecord>();
  /** All messages by internal key. */
  readonly messages = new Map<string, MessageRecord>();
  readonly signingKey: SigningKey = createSigningKey();
  readonly authCodes = new Map<string, AuthCodeGrant>();
  readonly refreshTokens = new Map<string, RefreshGrant>();
  readonly revocations = new Map<string, Revocation>();
  private refreshSerial = 0;
  /** Base URL once listening ("https://localhost:port"); issuers and links derive from it. */
  url = "https://localhost";
  latencyMs: number;
  maxConcurrentPerMailbox: number;
  requestBudget: { requests: number; windowMs: number };
  /** Lifetime of issued access tokens in seconds (Entra: 60–90 min). */
  accessTokenLifetimeSeconds = 3599;
  /**
   * How long a delta/skip token stays usable, in emulator-clock ms (default 7 days). Exchange gives
   * them no fixed lifetime (an internal cache); past this the emulator answers 410 SyncStateNotFound.
   */
  syncStateLifetimeMs: number;

  private counts = new Map<string, RequestCounts>();
  private faults: ActiveFault[] = [];
  private nextFaultId = 1;
  private inFlight = new Map<string, number>();
  private budgets = new Map<string, { windowStart: number; used: number }>();
  private byRegularId = new Map<string, string>();
  private byImmutableId = new Map<string, string>();
  // Per-mailbox indexes, so a request costs O(that mailbox), not O(every mailbox): benchmarks hold thousands.
  private messagesByUser = new Map<string, Map<string, MessageRecord>>();
  private foldersByUser = new Map<string, FolderRecord[]>();
  private syncStates = new Map<string, SyncState>();
  /** Highest generation issued per `userId|folderId`. */
  private syncGenerations = new Map<string, number>();
  private syncIssued = 0;

  private indexFolder(f: FolderRecord): void {
    const list = this.foldersByUser.get(f.userId);
    if (list) list.push(f);
    else this.foldersByUser.set(f.userId, [f]);
  }

  constructor(
    readonly clock: Clock,
    opts: { latencyMs?: number; maxConcurrentPerMailbox?: number; requestBudget?: { requests: number; windowMs: number }; syncStateLifetimeMs?: number } = {},
  ) {
    this.syncStateLifetimeMs = opts.syncStateLifetimeMs ?? 7 * 24 * 3600_000;
    this.latencyMs = opts.latencyMs ?? 0;
    this.maxConcurrentPerMailbox = opts.maxConcurrentPerMailbox ?? 4;
    this.requestBudget = opts.requestBudget ?? { requests: 10_000, windowMs: 10 * 60 * 1000 };
  }

  now(): Date {
    return this.clock.now();
  }

  // ---------------------------------------------------------------- directory

  addTenant(t: DatasetTenant): TenantRecord {
    const rec: TenantRecord = { id: t.id, displayName: t.displayName ?? t.domain ?? t.id, domain: (t.domain ?? `${t.id}.onmicrosoft.com`).toLowerCase() };
    this.tenants.set(rec.id, rec);
    return rec;
  }

  /** A tenant by GUID, verified domain, or the domain's first label ("contoso"). */
  findTenant(segment: string): TenantRecord | undefined {
    const s = segment.toLowerCase();
    for (const t of this.tenants.values()) {
      if (t.id.toLowerCase() === s || t.domain === s || t.domain.split(".")[0] === s) return t;
    }
    return undefined;
  }

  addApp(a: DatasetApp): AppRecord {
    const rec: AppRecord = {
      clientId: a.clientId,
      clientSecret: a.clientSecret,
      displayName: a.displayName ?? "Engagement Capture",
      tenantId: a.tenantId,
      redirectUris: [...(a.redirectUris ?? [])],
      spaRedirectUris: [...(a.spaRedirectUris ?? [])],
      graphAppRoles: [...(a.graphAppRoles ?? [])],
    };
    this.apps.set(rec.clientId, rec);
    return rec;
  }

  addUser(u: DatasetUser): UserRecord {
    if (!this.tenants.has(u.tenantId)) this.addTenant({ id: u.tenantId });
    const rec: UserRecord = {
      tenantId: u.tenantId,
      id: u.id,
      displayName: u.displayName,
      mail: u.mail,
      userPrincipalName: u.userPrincipalName,
      proxyAddresses: u.proxyAddresses ?? [`SMTP:${u.mail}`],
      givenName: u.givenName,
      surname: u.surname,
      jobTitle: u.jobTitle,
      mailboxEnabled: u.mailboxEnabled ?? true,
      appRoleAssignments: [...(u.appRoleAssignments ?? [])],
    };
    this.users.set(rec.id, rec);
    if (!this.findFolder(rec.id, "msgfolderroot")) {
      const keyToId = new Map<string, string>();
      for (const f of DEFAULT_FOLDERS) {
        const id = ids.folderId(rec.id, f.wk);
        keyToId.set(f.wk, id);
        const folder: FolderRecord = {
          id,
          userId: rec.id,
          key: f.wk,
          displayName: f.name,
          parentFolderId: f.parent ? keyToId.get(f.parent)! : null,
          wellKnownName: GRAPH_WELL_KNOWN.has(f.wk) ? f.wk : null,
          isHidden: f.hidden ?? false,
          containerClass: f.cls === undefined ? "IPF.Note" : f.cls,
          outsideTree: f.outside ?? false,
        };
        this.folders.set(id, folder);
        this.indexFolder(folder);
      }
    }
    return rec;
  }

  getUser(userId: string): UserRecord | undefined {
    return this.users.get(userId);
  }

  findUserByLogin(hint: string, tenantId?: string): UserRecord | undefined {
    const h = hint.trim().toLowerCase();
    for (const u of this.users.values()) {
      if (tenantId && u.tenantId !== tenantId) continue;
      if (u.userPrincipalName.toLowerCase() === h || u.mail.toLowerCase() === h) return u;
    }
    return undefined;
  }

  /** Users whose mailbox would receive mail sent to `address` (mail, UPN or an smtp proxy address). */
  findUserByAddress(address: string): UserRecord | undefined {
    const a = address.trim().toLowerCase();
    for (const u of this.users.values()) {
      if (u.mail.toLowerCase() === a || u.userPrincipalName.toLowerCase() === a) return u;
      if (u.proxyAddresses.some((p) => p.toLowerCase() === `smtp:${a}`)) return u;
    }
    return undefined;
  }

  setMailboxEnabled(userId: string, enabled: boolean): void {
    this.requireUser(userId).mailboxEnabled = enabled;
  }

  /** Replace the user's app roles on one API app; their next access token for it carries the new `roles`. */
  setAppRoles(userId: string, resourceAppId: string, values: string[]): void {
    const user = this.requireUser(userId);
    user.appRoleAssignments = [...user.appRoleAssignments.filter((a) => a.resourceAppId !== resourceAppId), ...values.map((value) => ({ resourceAppId, value }))];
  }

  private requireUser(userId: string): UserRecord {
    const u = this.users.get(userId);
    if (!u) throw new Error(`Unknown user ${userId}`);
    return u;
  }

  // ---------------------------------------------------------------- folders

  addFolder(userId: string, f: Omit<DatasetFolder, "userId"> & { key?: string }): FolderRecord {
    this.requireUser(userId);
    const key = f.key ?? ids.randomKey();
    const parent = this.findFolder(userId, f.parent ?? "msgfolderroot");
    if (!parent) throw new Error(`Unknown parent folder ${f.parent} for ${userId}`);
    const id = ids.folderId(userId, `user:${key}`);
    const rec: FolderRecord = {
      id, userId, key, displayName: f.displayName, parentFolderId: parent.id, wellKnownName: null,
      isHidden: f.isHidden ?? false, containerClass: f.containerClass === undefined ? "IPF.Note" : f.containerClass, outsideTree: false,
    };
    this.folders.set(id, rec);
    this.indexFolder(rec);
    return rec;
  }

  /** A folder by Graph id, well-known name, dataset key or (last) display name. */
  findFolder(userId: string, ref: string): FolderRecord | undefined {
    const direct = this.folders.get(ref);
    if (direct && direct.userId === userId) return direct;
    const r = ref.toLowerCase();
    let byName: FolderRecord | undefined;
    for (const f of this.foldersByUser.get(userId) ?? []) {
      if (f.wellKnownName === r || f.key.toLowerCase() === r) return f;
      if (!byName && f.displayName.toLowerCase() === r) byName = f;
    }
    return byName;
  }

  foldersOf(userId: string): FolderRecord[] {
    return [...(this.foldersByUser.get(userId) ?? [])];
  }

  // ---------------------------------------------------------------- messages

  /**
   * Put a message in a mailbox. Its createdDateTime and lastModifiedDateTime (unless given) are when the
   * item came into this mailbox: now — even for mail whose receivedDateTime is backdated, as Exchange
   * stamps an item created now — except for `preexisting` items (the dataset a mailbox starts with),
   * which were created when they were received. Incremental listings (`lastModifiedDateTime ge …`)
   * depend on this: mail a test adds later must look new, as it would in a real mailbox.
   */
  addMessage(userId: string, m: AddMessageInput, opts: { preexisting?: boolean } = {}): MessageRecord {
    const user = this.requireUser(userId);
    const now = this.now();
    const folder = this.findFolder(userId, m.folder ?? "inbox");
    if (!folder) throw new Error(`Unknown folder ${m.folder} for ${userId}`);
    const key = ids.randomKey();
    const received = resolveTime(m.receivedDateTime, now) ?? resolveTime(m.sentDateTime, now) ?? now;
    const sent = m.isDraft ? resolveTime(m.sentDateTime, now) ?? null : resolveTime(m.sentDateTime, now) ?? new Date(received.getTime() - 1000);
    const arrived = opts.preexisting || received.getTime() > now.getTime() ? received : now;
    const created = resolveTime(m.createdDateTime, now) ?? arrived;
    const modified = resolveTime(m.lastModifiedDateTime, now) ?? (created.getTime() > arrived.getTime() ? created : arrived);
    const meeting = m.meetingMessageType ?? null;
    const from = m.from ? toRecipient(m.from) : m.isDraft ? null : toRecipient({ name: user.displayName, address: user.mail });
    const content = m.body ?? "";
    const rec: MessageRecord = {
      key,
      userId,
      folderId: folder.id,
      id: ids.messageRegularId(userId, key, folder.id, 0),
      immutableId: ids.messageImmutableId(userId, key),
      moveCount: 0,
      changeKey: ids.changeKey(),
      messageClass: m.messageClass ?? (meeting ? MEETING_CLASS[meeting] : "IPM.Note"),
      meetingMessageType: meeting,
      internetMessageId: m.internetMessageId ?? ids.newInternetMessageId(),
      conversationId: m.conversationId ?? ids.conversationId(m.subject?.replace(/^(re|fw|fwd):\s*/i, "") ?? key),
      subject: m.subject ?? "",
      body: m.bodyContentType === "text" ? { contentType: "text", content } : { contentType: "html", content: content.startsWith("<") ? content : `<html><body><div>${escapeHtml(content)}</div></body></html>` },
      from,
      sender: m.sender ? toRecipient(m.sender) : from,
      toRecipients: (m.to ?? []).map(toRecipient),
      ccRecipients: (m.cc ?? []).map(toRecipient),
      bccRecipients: (m.bcc ?? []).map(toRecipient),
      replyTo: (m.replyTo ?? []).map(toRecipient),
      sentDateTime: sent,
      receivedDateTime: received,
      createdDateTime: created,
      lastModifiedDateTime: modified,
      isRead: m.isRead ?? false,
      isDraft: m.isDraft ?? false,
      importance: m.importance ?? "normal",
      inferenceClassification: m.inferenceClassification ?? "focused",
      categories: m.categories ?? [],
      hasAttachments: m.hasAttachments ?? false,
      internetMessageHeaders: m.internetMessageHeaders ?? [],
      singleValueExtendedProperties: (m.singleValueExtendedProperties ?? []).map((p) => ({ id: p.id.trim(), value: p.value })),
    };
    this.messages.set(key, rec);
    const mine = this.messagesByUser.get(userId);
    if (mine) mine.set(key, rec);
    else this.messagesByUser.set(userId, new Map([[key, rec]]));
    this.byRegularId.set(rec.id, key);
    this.byImmutableId.set(rec.immutableId, key);
    return rec;
  }

  /** A message of this user by regular or immutable id. */
  findMessage(userId: string, id: string): MessageRecord | undefined {
    const key = this.byRegularId.get(id) ?? this.byImmutableId.get(id);
    const m = key ? this.messages.get(key) : undefined;
    return m && m.userId === userId ? m : undefined;
  }

  getMessages(userId: string): MessageRecord[] {
    return [...(this.messagesByUser.get(userId)?.values() ?? [])];
  }

  /** Move to another folder: the regular id changes (old one stops resolving), the immutable id stays. */
  moveMessage(userId: string, id: string, folderRef: string): MessageRecord {
    const m = this.findMessage(userId, id);
    if (!m) throw new Error(`Unknown message ${id}`);
    const folder = this.findFolder(userId, folderRef);
    if (!folder) throw new Error(`Unknown folder ${folderRef}`);
    this.byRegularId.delete(m.id);
    m.folderId = folder.id;
    m.moveCount += 1;
    m.id = ids.messageRegularId(userId, m.key, folder.id, m.moveCount);
    this.byRegularId.set(m.id, m.key);
    this.touch(m);
    return m;
  }

  deleteMessage(userId: string, id: string): void {
    const m = this.findMessage(userId, id);
    if (!m) return;
    this.messages.delete(m.key);
    this.messagesByUser.get(m.userId)?.delete(m.key);
    this.byRegularId.delete(m.id);
    this.byImmutableId.delete(m.immutableId);
  }

  touch(m: MessageRecord): void {
    m.changeKey = ids.changeKey();
    m.lastModifiedDateTime = this.now();
  }

  /**
   * Send a message from `userId`: a copy lands in Sent Items (fresh internetMessageId unless the draft
   * already had one, sentDateTime = now) and in the Inbox of every emulated recipient (to, cc, bcc).
   */
  deliver(userId: string, draft: MessageRecord | AddMessageInput, saveToSentItems = true): MessageRecord | null {
    const user = this.requireUser(userId);
    const now = this.now();
    let sentCopy: MessageRecord | null = null;
    let record: MessageRecord;
    if ("key" in draft) {
      record = draft;
      if (saveToSentItems) this.moveMessage(userId, record.id, "sentitems");
      else this.deleteMessage(userId, record.id);
      record.isDraft = false;
      record.isRead = true;
      record.sentDateTime = now;
      record.receivedDateTime = now;
      record.from = record.from ?? toRecipient({ name: user.displayName, address: user.mail });
      record.sender = record.sender ?? record.from;
      this.touch(record);
      if (saveToSentItems) sentCopy = record;
    } else {
      record = this.addMessage(userId, {
        ...draft,
        folder: "sentitems",
        from: draft.from ?? { name: user.displayName, address: user.mail },
        sentDateTime: now.toISOString(),
        receivedDateTime: now.toISOString(),
        isRead: true,
        isDraft: false,
      });
      if (saveToSentItems) sentCopy = record;
      else this.deleteMessage(userId, record.id);
    }
    const recipients = [...record.toRecipients, ...record.ccRecipients, ...record.bccRecipients];
    const delivered = new Set<string>();
    for (const r of recipients) {
      const target = this.findUserByAddress(r.emailAddress.address);
      if (!target || delivered.has(target.id) || target.id === userId) continue;
      delivered.add(target.id);
      this.addMessage(target.id, {
        folder: "inbox",
        subject: record.subject,
        body: record.body.content,
        bodyContentType: record.body.contentType,
        from: record.from!.emailAddress,
        to: record.toRecipients.map((x) => x.emailAddress),
        cc: record.ccRecipients.map((x) => x.emailAddress),
        sentDateTime: now.toISOString(),
        receivedDateTime: now.toISOString(),
        internetMessageId: record.internetMessageId,
        conversationId: record.conversationId,
        messageClass: record.messageClass,
      });
    }
    return sentCopy;
  }

  // ---------------------------------------------------------------- dataset

  loadDataset(ds: EmulatorDataset): void {
    for (const t of ds.tenants ?? []) this.addTenant(t);
    for (const a of ds.apps ?? []) this.addApp(a);
    for (const u of ds.users ?? []) this.addUser(u);
    // Folders may reference each other in any order: add those whose parent exists until none progress.
    let pending = [...(ds.folders ?? [])];
    while (pending.length) {
      const next = pending.filter((f) => !this.findFolder(f.userId, f.parent ?? "msgfolderroot"));
      for (const f of pending) if (!next.includes(f)) this.addFolder(f.userId, f);
      if (next.length === pending.length) throw new Error(`Folders with unknown parents: ${next.map((f) => f.key).join(", ")}`);
      pending = next;
    }
    for (const m of ds.messages ?? []) this.addMessage(m.userId, m, { preexisting: true });
  }

  // ---------------------------------------------------------------- counts

  count(userId: string | null, kind: RequestKind): void {
    if (!userId) return;
    const c = this.countsFor(userId);
    c.byKind[kind] += 1;
    if (kind !== "batchItems") c.total += 1;
  }

  addResponseBytes(userId: string | null, bytes: number): void {
    if (userId) this.countsFor(userId).responseBytes += bytes;
  }

  private countsFor(userId: string): RequestCounts {
    let c = this.counts.get(userId);
    if (!c) this.counts.set(userId, (c = emptyCounts()));
    return c;
  }

  /** total = HTTP requests for this mailbox (a $batch counts once); byKind.batchItems counts the items. */
  requestCounts(userId: string): RequestCounts {
    const c = this.countsFor(userId);
    return { total: c.total, byKind: { ...c.byKind }, responseBytes: c.responseBytes };
  }

  resetCounts(): void {
    this.counts.clear();
  }

  // ---------------------------------------------------------------- faults

  injectFault(rule: FaultRule): number {
    const id = this.nextFaultId++;
    this.faults.push({ ...rule, id, seen: 0, fired: 0 });
    return id;
  }

  removeFault(id: number): void {
    this.faults = this.faults.filter((f) => f.id !== id);
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** The fault that hits this request, if any (consumes one use of it). */
  takeFault(req: { area: "graph" | "identity"; path: string; method: string; userId: string | null; batchItem?: boolean }): FaultRule | null {
    for (const f of this.faults) {
      const m = f.match ?? {};
      const area = m.area ?? "graph";
      if (area !== "any" && area !== req.area) continue;
      if (req.batchItem && (m.batchItems === false || (f.kind ?? "status") !== "status")) continue;
      if (m.method && m.method.toUpperCase() !== req.method.toUpperCase()) continue;
      if (m.userId && m.userId !== req.userId) continue;
      if (m.path) {
        const ok = typeof m.path === "string" ? req.path.toLowerCase().includes(m.path.toLowerCase()) : m.path.test(req.path);
        if (!ok) continue;
      }
      if (f.count !== undefined && f.fired >= f.count) continue;
      f.seen += 1;
      if (f.after !== undefined && f.seen <= f.after) continue;
      if (f.rate !== undefined && Math.random() >= f.rate) continue;
      f.fired += 1;
      return f;
    }
    return null;
  }

  // ---------------------------------------------------------------- throttling

  /**
   * Outlook's per app + mailbox limits. Returns null when admitted (the caller must `release`),
   * or the throttling reason with Retry-After seconds.
   */
  admit(clientId: string, userId: string): { reason: "MailboxConcurrency" | "RequestRate"; retryAfter: number } | null {
    const key = `${clientId}|${userId}`;
    const now = this.now().getTime();
    let b = this.budgets.get(key);
    if (!b || now - b.windowStart >= this.requestBudget.windowMs) this.budgets.set(key, (b = { windowStart: now, used: 0 }));
    if (b.used >= this.requestBudget.requests) {
      return { reason: "RequestRate", retryAfter: Math.max(1, Math.ceil((b.windowStart + this.requestBudget.windowMs - now) / 1000)) };
    }
    const inFlight = this.inFlight.get(key) ?? 0;
    if (inFlight >= this.maxConcurrentPerMailbox) return { reason: "MailboxConcurrency", retryAfter: 1 };
    b.used += 1;
    this.inFlight.set(key, inFlight + 1);
    return null;
  }

  release(clientId: string, userId: string): void {
    const key = `${clientId}|${userId}`;
    this.inFlight.set(key, Math.max(0, (this.inFlight.get(key) ?? 1) - 1));
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  // ---------------------------------------------------------------- delta sync states

  /** Store a sync state under a fresh opaque token (the folder's next generation is encoded in it). */
  issueSyncState(s: Omit<SyncState, "token" | "generation" | "issuedAt">): SyncState {
    const now = this.now().getTime();
    if (++this.syncIssued % 256 === 0) {
      for (const [t, x] of this.syncStates) if (now - x.issuedAt >= this.syncStateLifetimeMs) this.syncStates.delete(t);
    }
    const genKey = `${s.userId}|${s.folderId}`;
    const generation = (this.syncGenerations.get(genKey) ?? 0) + 1;
    this.syncGenerations.set(genKey, generation);
    const raw = Buffer.alloc(4);
    raw.writeUInt32BE(generation);
    const token = `Gwc${Buffer.concat([raw, crypto.randomBytes(24)]).toString("base64url")}`;
    const rec: SyncState = { ...s, token, generation, issuedAt: now };
    this.syncStates.set(token, rec);
    return rec;
  }

  /** The live sync state behind a token, or undefined (unknown, malformed, invalidated or expired). */
  findSyncState(token: string): SyncState | undefined {
    const s = this.syncStates.get(token);
    if (!s) return undefined;
    if (this.now().getTime() - s.issuedAt >= this.syncStateLifetimeMs) {
      this.syncStates.delete(token);
      return undefined;
    }
    return s;
  }

  /** Generation a token claims (0 when it is not one of ours), and the folder's highest and live ones. */
  syncGenerationInfo(token: string, userId: string, folderId: string): { generation: number; highest: number; live: number[] } {
    let generation = 0;
    const m = /^Gwc([A-Za-z0-9_-]{38})$/.exec(token);
    if (m) generation = Buffer.from(m[1], "base64url").readUInt32BE(0);
    const live: number[] = [];
    const now = this.now().getTime();
    for (const s of this.syncStates.values()) {
      if (s.userId === userId && s.folderId === folderId && now - s.issuedAt < this.syncStateLifetimeMs) live.push(s.generation);
    }
    return { generation, highest: this.syncGenerations.get(`${userId}|${folderId}`) ?? 0, live: live.sort((a, b) => b - a) };
  }

  /** Forget every delta/skip token of a mailbox (Exchange dropped its sync states): they answer 410. Returns how many. */
  invalidateSyncStates(userId: string): number {
    this.requireUser(userId);
    let n = 0;
    for (const [t, s] of this.syncStates) {
      if (s.userId === userId) {
        this.syncStates.delete(t);
        n++;
      }
    }
    return n;
  }

  setSyncStateLifetime(ms: number): void {
    this.syncStateLifetimeMs = ms;
  }

  // ---------------------------------------------------------------- grants

  /**
   * Make the user's refresh tokens (and new OBO exchanges) fail with the given AADSTS code.
   * Access tokens already issued keep working until they expire — Entra access tokens cannot be revoked either.
   */
  revokeGrant(userId: string, aadsts: RevocationCode): void {
    this.requireUser(userId);
    this.revocations.set(userId, { code: aadsts, upToSerial: this.refreshSerial, at: this.now().getTime() });
  }

  /**
   * The code a refresh token fails with, or null. Only tokens issued before the revocation fail: a later
   * sign-in — any app's, the pane's too — gets new tokens that work, and the old ones stay revoked (as in
   * Entra, where a new sign-in does not revive refresh tokens from before TokensValidFrom).
   */
  revokedRefresh(g: Pick<RefreshGrant, "userId" | "serial">): RevocationCode | null {
    const r = this.revocations.get(g.userId);
    return r && g.serial <= r.upToSerial ? r.code : null;
  }

  /** The same for an assertion (OBO) issued at `issuedAtMs`. */
  revokedAssertion(userId: string, issuedAtMs: number): RevocationCode | null {
    const r = this.revocations.get(userId);
    return r && issuedAtMs <= r.at ? r.code : null;
  }

  restoreGrant(userId: string): void {
    this.revocations.delete(userId);
  }

  issueRefreshToken(g: Omit<RefreshGrant, "issuedAt" | "expiresAt" | "serial">): string {
    const now = this.now().getTime();
    // Opaque like Entra's ("0.A…" / "1.A…"): nothing in it can be parsed by clients.
    const token = `1.AQ${crypto.randomBytes(48).toString("base64url")}`;
    this.refreshTokens.set(token, { ...g, issuedAt: now, serial: ++this.refreshSerial, expiresAt: now + (g.spa ? 24 * 3600_000 : 90 * 24 * 3600_000) });
    return token;
  }

  // ---------------------------------------------------------------- tokens

  issuerV2(tenantId: string): string {
    return `${this.url}/${tenantId}/v2.0`;
  }

  /** Pairwise subject: stable per user and app, different across apps (as Entra's sub). */
  pairwiseSub(userId: string, clientId: string): string {
    return b64url(crypto.createHash("sha256").update(`${userId}|${clientId}`).digest()).slice(0, 43);
  }

  /** A signed access token exactly as the token endpoint issues it. */
  mintAccessToken(o: MintOptions): string {
    const user = this.requireUser(o.userId);
    const app = this.apps.get(o.clientId);
    const nowS = Math.floor(this.now().getTime() / 1000);
    const exp = nowS + (o.expiresInSeconds ?? this.accessTokenLifetimeSeconds);
    const common = {
      iat: nowS, nbf: nowS, exp,
      name: user.displayName,
      oid: user.id,
      tid: user.tenantId,
      uti: b64url(crypto.randomBytes(16)),
      rh: "0.AAAA",
    };
    let payload: JwtPayload;
    if (isGraphAudience(o.audience)) {
      // Graph tokens are v1-format and opaque to clients; only Graph validates them.
      payload = {
        aud: GRAPH_RESOURCE,
        iss: `https://sts.windows.net/${user.tenantId}/`,
        ...common,
        acr: "1",
        amr: ["pwd"],
        app_displayname: app?.displayName ?? "app",
        appid: o.clientId,
        appidacr: app?.clientSecret ? "1" : "0",
        idtyp: "user",
        scp: o.scopes.join(" "),
        sub: this.pairwiseSub(user.id, GRAPH_APP_ID),
        unique_name: user.userPrincipalName,
        upn: user.userPrincipalName,
        ver: "1.0",
      };
    } else {
      const aud = o.audience.startsWith("api://") ? o.audience.slice("api://".length) : o.audience;
      // Entra names the user's app roles on the API (never on Graph: delegated Graph tokens have no roles).
      const roles = user.appRoleAssignments.filter((a) => a.resourceAppId === aud || aud.endsWith(`/${a.resourceAppId}`)).map((a) => a.value);
      payload = {
        aud,
        iss: this.issuerV2(user.tenantId),
        ...common,
        azp: o.clientId,
        azpacr: app?.clientSecret ? "1" : "0",
        preferred_username: user.userPrincipalName,
        scp: o.scopes.join(" "),
        sub: this.pairwiseSub(user.id, o.audience),
        ver: "2.0",
        ...(roles.length ? { roles } : {}),
      };
    }
    return signJwt(this.signingKey, { ...payload, ...(o.overrides ?? {}) });
  }

  /** App-only token (client credentials). */
  mintAppToken(o: { clientId: string; tenantId: string; audience: string; roles: string[] }): string {
    const nowS = Math.floor(this.now().getTime() / 1000);
    const graph = isGraphAudience(o.audience);
    const spOid = crypto.createHash("md5").update(`sp|${o.clientId}|${o.tenantId}`).digest("hex");
    const oid = `${spOid.slice(0, 8)}-${spOid.slice(8, 12)}-${spOid.slice(12, 16)}-${spOid.slice(16, 20)}-${spOid.slice(20, 32)}`;
    const payload: JwtPayload = graph
      ? { aud: GRAPH_RESOURCE, iss: `https://sts.windows.net/${o.tenantId}/`, iat: nowS, nbf: nowS, exp: nowS + this.accessTokenLifetimeSeconds,
          appid: o.clientId, appidacr: "1", idtyp: "app", oid, sub: oid, tid: o.tenantId, roles: o.roles, ver: "1.0" }
      : { aud: o.audience.replace(/^api:\/\//, ""), iss: this.issuerV2(o.tenantId), iat: nowS, nbf: nowS, exp: nowS + this.accessTokenLifetimeSeconds,
          azp: o.clientId, azpacr: "1", idtyp: "app", oid, sub: oid, tid: o.tenantId, roles: o.roles, ver: "2.0" };
    if (!o.roles.length) delete payload.roles;
    return signJwt(this.signingKey, payload);
  }

  mintIdToken(o: { userId: string; clientId: string; nonce?: string }): string {
    const user = this.requireUser(o.userId);
    const nowS = Math.floor(this.now().getTime() / 1000);
    const payload: JwtPayload = {
      aud: o.clientId,
      iss: this.issuerV2(user.tenantId),
      iat: nowS, nbf: nowS, exp: nowS + 3600,
      name: user.displayName,
      oid: user.id,
      preferred_username: user.userPrincipalName,
      rh: "0.AAAA",
      sub: this.pairwiseSub(user.id, o.clientId),
      tid: user.tenantId,
      uti: b64url(crypto.randomBytes(16)),
      ver: "2.0",
    };
    if (o.nonce) payload.nonce = o.nonce;
    return signJwt(this.signingKey, payload);
  }
}

export function isGraphAudience(aud: string): boolean {
  const a = aud.replace(/\/+$/, "").toLowerCase();
  return a === GRAPH_RESOURCE || a === GRAPH_APP_ID;
}

export function addressOf(a: DatasetAddress): string {
  return toRecipient(a).emailAddress.address;
}
