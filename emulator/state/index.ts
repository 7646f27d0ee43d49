/**
 * Everything the emulator knows and every knob tests turn, composed from one module per concern:
 * the directory (directory.ts), what Entra issues (tokens.ts), mailboxes (mailboxes.ts), delta sync
 * states (change-tracking.ts), injected faults (faults.ts), and request counts and throttling
 * (traffic.ts). The HTTP layers (identity.ts, graph/, control.ts) are thin shells over this object, and
 * tests reach it directly as `emulator.state` — same powers as the HTTP control API.
 */
import type { Clock } from "../../server/clock";
import type { DatasetApp, DatasetFolder, DatasetTenant, DatasetUser, EmulatorDataset } from "../dataset";
import type { SigningKey } from "../jwt";
import { ChangeTracking, type SyncState } from "./change-tracking";
import { type AppRecord, Directory, type TenantRecord, type UserRecord } from "./directory";
import { type FaultRule, Faults } from "./faults";
import { type AddMessageInput, type FolderRecord, Mailboxes, type MessageRecord } from "./mailboxes";
import { Grants, type MintOptions, type RefreshGrant, type RevocationCode, TokenMinter, pairwiseSub } from "./tokens";
import { RequestCounter, type RequestCounts, type RequestKind, Throttle } from "./traffic";
import { Notifier } from "../notifications/notifier";
import { type LifecycleEvent, type SubscriptionRecord, Subscriptions } from "./subscriptions";

export type { DeltaItem, DeltaOptions, SyncedMessage, SyncState } from "./change-tracking";
export type { AppRecord, TenantRecord, UserRecord } from "./directory";
export type { FaultRule } from "./faults";
export { type AddMessageInput, type FolderRecord, type MessageRecord, GRAPH_WELL_KNOWN, htmlToText } from "./mailboxes";
export {
  type AuthCodeGrant,
  type MintOptions,
  type RefreshGrant,
  type Revocation,
  type RevocationCode,
  GRAPH_APP_ID,
  GRAPH_RESOURCE,
  isGraphAudience,
} from "./tokens";
export type { RequestCounts, RequestKind } from "./traffic";
export { challengeClaims, declaresCp1 } from "./cae";

export interface EmulatorStateOptions {
  latencyMs?: number;
  maxConcurrentPerMailbox?: number;
  requestBudget?: { requests: number; windowMs: number };
  syncStateLifetimeMs?: number;
}

export class EmulatorState {
  readonly directory = new Directory();
  readonly grants: Grants;
  readonly tokens: TokenMinter;
  readonly mailboxes: Mailboxes;
  readonly changes: ChangeTracking;
  readonly faults = new Faults();
  readonly counter = new RequestCounter();
  readonly throttle: Throttle;
  /** Change-notification subscriptions, and the notifier that delivers what they hear. */
  readonly subscriptions: Subscriptions;
  readonly notifier: Notifier;
  /** Base latency added to every Graph call. */
  latencyMs: number;
  /** `$search` does not find messages that arrived in the mailbox less than this long ago (index lag). */
  searchIndexLagMs = 0;

  constructor(
    readonly clock: Clock,
    opts: EmulatorStateOptions = {},
  ) {
    this.grants = new Grants(this.directory, clock);
    this.tokens = new TokenMinter(this.directory, clock);
    this.mailboxes = new Mailboxes(this.directory, clock);
    this.changes = new ChangeTracking(clock, opts.syncStateLifetimeMs ?? 7 * 24 * 3600_000);
    this.throttle = new Throttle(clock, opts);
    this.latencyMs = opts.latencyMs ?? 0;
    this.subscriptions = new Subscriptions(clock);
    this.notifier = new Notifier(clock);
    this.mailboxes.listeners.push((c) => {
      if (!this.subscriptions.records.size) return;
      const byUrl = new Map<string, ReturnType<Subscriptions["notificationsFor"]>>();
      for (const n of this.subscriptions.notificationsFor(c, (id) => this.mailboxes.folders.get(id))) {
        const url = this.subscriptions.records.get(n.subscriptionId)!.notificationUrl;
        byUrl.set(url, [...(byUrl.get(url) ?? []), n]);
      }
      for (const [url, items] of byUrl) this.notifier.enqueueChanges(url, items);
    });
  }

  // ------------------------------------------------------------ change notifications

  /**
   * Send a lifecycle notification for a subscription to its lifecycleNotificationUrl (Graph sends none
   * without one). `subscriptionRemoved` also deletes the subscription, as Graph has then dropped it.
   */
  triggerLifecycle(subscriptionId: string, event: LifecycleEvent): SubscriptionRecord {
    const s = this.subscriptions.get(subscriptionId);
    if (!s) throw new Error(`Unknown subscription ${subscriptionId}`);
    if (!["reauthorizationRequired", "subscriptionRemoved", "missed"].includes(event))
      throw new Error(`Unknown lifecycle event ${event}`);
    if (!s.lifecycleNotificationUrl) throw new Error(`Subscription ${subscriptionId} has no lifecycleNotificationUrl`);
    this.notifier.enqueueLifecycle(s.lifecycleNotificationUrl, this.subscriptions.lifecycle(s, event));
    if (event === "subscriptionRemoved") this.subscriptions.remove(s.id);
    return s;
  }

  /** Deliver every notification due now (emulator clock); resolves when the attempts are over. */
  flushNotifications(): Promise<void> {
    return this.notifier.flush();
  }

  now(): Date {
    return this.clock.now();
  }

  // ------------------------------------------------------------ settings

  /** Base URL once listening ("https://localhost:port"); issuers and links derive from it. */
  get url(): string {
    return this.tokens.url;
  }
  set url(v: string) {
    this.tokens.url = v;
  }

  /** Origin v2 issuers name instead of the sign-in URL (national clouds: `https://login.partner.microsoftonline.cn`); null = the emulator's URL. */
  get issuerOrigin(): string | null {
    return this.tokens.issuerOrigin;
  }
  set issuerOrigin(v: string | null) {
    this.tokens.issuerOrigin = v;
  }

  /** Lifetime of issued access tokens in seconds (Entra: 60–90 min). */
  get accessTokenLifetimeSeconds(): number {
    return this.tokens.accessTokenLifetimeSeconds;
  }
  set accessTokenLifetimeSeconds(v: number) {
    this.tokens.accessTokenLifetimeSeconds = v;
  }

  /** Lifetime of Graph access tokens issued to CAE-capable (cp1) clients; Entra: 20–28 h. */
  get caeAccessTokenLifetimeSeconds(): number {
    return this.tokens.cae.lifetimeSeconds;
  }
  set caeAccessTokenLifetimeSeconds(v: number) {
    this.tokens.cae.lifetimeSeconds = v;
  }

  /** How long a delta/skip token stays usable, in emulator-clock ms; past this: 410 SyncStateNotFound. */
  get syncStateLifetimeMs(): number {
    return this.changes.lifetimeMs;
  }
  set syncStateLifetimeMs(v: number) {
    this.changes.lifetimeMs = v;
  }

  get maxConcurrentPerMailbox(): number {
    return this.throttle.maxConcurrentPerMailbox;
  }
  set maxConcurrentPerMailbox(v: number) {
    this.throttle.maxConcurrentPerMailbox = v;
  }

  get requestBudget(): { requests: number; windowMs: number } {
    return this.throttle.requestBudget;
  }
  set requestBudget(v: { requests: number; windowMs: number }) {
    this.throttle.requestBudget = v;
  }

  setSearchIndexLag(ms: number): void {
    this.searchIndexLagMs = ms;
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  setSyncStateLifetime(ms: number): void {
    this.changes.lifetimeMs = ms;
  }

  // ------------------------------------------------------------ directory

  get tenants(): Map<string, TenantRecord> {
    return this.directory.tenants;
  }
  get apps(): Map<string, AppRecord> {
    return this.directory.apps;
  }
  get users(): Map<string, UserRecord> {
    return this.directory.users;
  }

  addTenant(t: DatasetTenant): TenantRecord {
    return this.directory.addTenant(t);
  }
  findTenant(segment: string): TenantRecord | undefined {
    return this.directory.findTenant(segment);
  }
  addApp(a: DatasetApp): AppRecord {
    return this.directory.addApp(a);
  }
  /** A user, with the default folder tree in their mailbox. */
  addUser(u: DatasetUser): UserRecord {
    const rec = this.directory.addUser(u);
    this.mailboxes.createDefaultFolders(rec.id);
    return rec;
  }
  getUser(userId: string): UserRecord | undefined {
    return this.directory.getUser(userId);
  }
  findUserByLogin(hint: string, tenantId?: string): UserRecord | undefined {
    return this.directory.findUserByLogin(hint, tenantId);
  }
  findUserByAddress(address: string): UserRecord | undefined {
    return this.directory.findUserByAddress(address);
  }
  setMailboxEnabled(userId: string, enabled: boolean): void {
    this.directory.setMailboxEnabled(userId, enabled);
  }
  setAppRoles(userId: string, resourceAppId: string, values: string[]): void {
    this.directory.setAppRoles(userId, resourceAppId, values);
  }
  /** App roles a client app holds on an API app (application permissions, admin-consented). */
  setClientAppRoles(clientId: string, resourceAppId: string, values: string[]): void {
    this.directory.setClientAppRoles(clientId, resourceAppId, values);
  }

  // ------------------------------------------------------------ mailboxes

  get folders(): Map<string, FolderRecord> {
    return this.mailboxes.folders;
  }
  /** All messages by internal key. */
  get messages(): Map<string, MessageRecord> {
    return this.mailboxes.messages;
  }

  addFolder(userId: string, f: Omit<DatasetFolder, "userId"> & { key?: string }): FolderRecord {
    return this.mailboxes.addFolder(userId, f);
  }
  findFolder(userId: string, ref: string): FolderRecord | undefined {
    return this.mailboxes.findFolder(userId, ref);
  }
  foldersOf(userId: string): FolderRecord[] {
    return this.mailboxes.foldersOf(userId);
  }
  addMessage(userId: string, m: AddMessageInput, opts: { preexisting?: boolean } = {}): MessageRecord {
    return this.mailboxes.addMessage(userId, m, opts);
  }
  findMessage(userId: string, id: string): MessageRecord | undefined {
    return this.mailboxes.findMessage(userId, id);
  }
  getMessages(userId: string): MessageRecord[] {
    return this.mailboxes.getMessages(userId);
  }
  moveMessage(userId: string, id: string, folderRef: string): MessageRecord {
    return this.mailboxes.moveMessage(userId, id, folderRef);
  }
  deleteMessage(userId: string, id: string): void {
    this.mailboxes.deleteMessage(userId, id);
  }
  touch(m: MessageRecord): void {
    this.mailboxes.touch(m);
  }
  deliver(userId: string, draft: MessageRecord | AddMessageInput, saveToSentItems = true): MessageRecord | null {
    return this.mailboxes.deliver(userId, draft, saveToSentItems);
  }

  loadDataset(ds: EmulatorDataset): void {
    for (const t of ds.tenants ?? []) this.addTenant(t);
    for (const a of ds.apps ?? []) this.addApp(a);
    for (const u of ds.users ?? []) this.addUser(u);
    // Folders may reference each other in any order: add those whose parent exists until none progress.
    let pending = [...(ds.folders ?? [])];
    while (pending.length) {
      const next = pending.filter((f) => !this.findFolder(f.userId, f.parent ?? "msgfolderroot"));
      for (const f of pending) if (!next.includes(f)) this.addFolder(f.userId, f);
      if (next.length === pending.length)
        throw new Error(`Folders with unknown parents: ${next.map((f) => f.key).join(", ")}`);
      pending = next;
    }
    for (const m of ds.messages ?? []) this.addMessage(m.userId, m, { preexisting: true });
  }

  // ------------------------------------------------------------ change tracking

  issueSyncState(s: Omit<SyncState, "token" | "generation" | "issuedAt">): SyncState {
    return this.changes.issue(s);
  }
  findSyncState(token: string): SyncState | undefined {
    return this.changes.find(token);
  }
  syncGenerationInfo(
    token: string,
    userId: string,
    folderId: string,
  ): { generation: number; highest: number; live: number[] } {
    return this.changes.generationInfo(token, userId, folderId);
  }
  /** Forget every delta/skip token of a mailbox (Exchange dropped its sync states): they answer 410. Returns how many. */
  invalidateSyncStates(userId: string): number {
    this.directory.requireUser(userId);
    return this.changes.invalidate(userId);
  }

  // ------------------------------------------------------------ traffic

  count(userId: string | null, kind: RequestKind): void {
    this.counter.count(userId, kind);
  }
  addResponseBytes(userId: string | null, bytes: number): void {
    this.counter.addResponseBytes(userId, bytes);
  }
  /** total = HTTP requests for this mailbox (a $batch counts once); byKind.batchItems counts the items. */
  requestCounts(userId: string): RequestCounts {
    return this.counter.countsOf(userId);
  }
  resetCounts(): void {
    this.counter.reset();
  }
  admit(clientId: string, userId: string): { reason: "MailboxConcurrency" | "RequestRate"; retryAfter: number } | null {
    return this.throttle.admit(clientId, userId);
  }
  release(clientId: string, userId: string): void {
    this.throttle.release(clientId, userId);
  }

  // ------------------------------------------------------------ faults

  injectFault(rule: FaultRule): number {
    return this.faults.inject(rule);
  }
  removeFault(id: number): void {
    this.faults.remove(id);
  }
  clearFaults(): void {
    this.faults.clear();
  }
  takeFault(req: {
    area: "graph" | "identity";
    path: string;
    method: string;
    userId: string | null;
    batchItem?: boolean;
  }): FaultRule | null {
    return this.faults.take(req);
  }

  // ------------------------------------------------------------ grants and tokens

  get signingKey(): SigningKey {
    return this.tokens.signingKey;
  }
  get authCodes(): Grants["authCodes"] {
    return this.grants.authCodes;
  }
  get refreshTokens(): Grants["refreshTokens"] {
    return this.grants.refreshTokens;
  }
  get revocations(): Grants["revocations"] {
    return this.grants.revocations;
  }

  /**
   * Refresh tokens issued so far (and new OBO exchanges) fail with this AADSTS code. Issued access tokens
   * keep working — except those of CAE-capable clients, which Graph answers with a claims challenge.
   */
  revokeGrant(userId: string, aadsts: RevocationCode): void {
    this.grants.revoke(userId, aadsts);
    this.tokens.cae.revoke(userId, this.clock.now().getTime());
  }
  revokedRefresh(g: Pick<RefreshGrant, "userId" | "serial">): RevocationCode | null {
    return this.grants.revokedRefresh(g);
  }
  revokedAssertion(userId: string, issuedAtMs: number): RevocationCode | null {
    return this.grants.revokedAssertion(userId, issuedAtMs);
  }
  restoreGrant(userId: string): void {
    this.grants.restore(userId);
    this.tokens.cae.restore(userId);
  }
  issueRefreshToken(g: Omit<RefreshGrant, "issuedAt" | "expiresAt" | "serial">): string {
    return this.grants.issueRefreshToken(g);
  }

  issuerV2(tenantId: string): string {
    return this.tokens.issuerV2(tenantId);
  }
  pairwiseSub(userId: string, clientId: string): string {
    return pairwiseSub(userId, clientId);
  }
  mintAccessToken(o: MintOptions): string {
    return this.tokens.mintAccessToken(o);
  }
  mintAppToken(o: {
    clientId: string;
    tenantId: string;
    audience: string;
    roles: string[];
    servicePrincipalId?: string;
  }): string {
    return this.tokens.mintAppToken(o);
  }
  mintIdToken(o: { userId: string; clientId: string; nonce?: string }): string {
    return this.tokens.mintIdToken(o);
  }
}
