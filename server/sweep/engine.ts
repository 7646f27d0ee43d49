/**
 * One sweep of one mailbox (design.md data flow 2):
 * token → excluded folders (cached a day) → list the window's metadata page by page → decide each
 * message by the shared rules → fetch text bodies of newly captured messages in $batch calls →
 * store each batch in one transaction (engagement upsert, contact and mailbox links, a decision for
 * every message) → the sweep record and the connection's bookkeeping.
 *
 * Exactly once: engagements are keyed by (organization, internetMessageId) and decisions by
 * (user, message key), so re-running any window changes nothing; a failed sweep leaves the
 * connection's lastSuccessWindowEnd alone, so the next window reaches back over the gap.
 * Never throws for a mailbox problem: the sweep row records the failure and the caller carries on.
 */
import type { Kysely } from "kysely";
import { decideCapture, indexContacts, normalizeAddresses, type CaptureDecision, type ReasonCode } from "../../shared/capture";
import type { SweepView } from "../../shared/api/contract";
import type { Clock } from "../clock";
import type { Database } from "../db/schema";
import { createGraphClient, newGraphStats, type GraphStats } from "../graph/client";
import type { Outbound } from "../http/outbound";
import { NotConnectedError, ReauthRequiredError, type GraphTokenSource } from "../identity/errors";
import { blocklistFor } from "../store/blocklist";
import { messageKey, recordCaptureBatch, type CaptureItem } from "../store/capture-decisions";
import { listLiveContactFacts } from "../store/contacts";
import { getConnection } from "../store/mailbox-connections";
import { rulesChangedAt } from "../store/rule-inputs";
import { toSweepView } from "../store/sweeps";
import { getUser } from "../store/users";
import { chunks, newId } from "../store/util";
import { batchGet, MAX_BATCH_ITEMS } from "./batch";
import { describeError, describeForUser, GraphRequestFailedError, SweepAbortedError } from "./errors";
import { folderPathOf, IMMUTABLE_ID_PREFER, loadFolderMap, type FolderMap } from "./folders";
import { listWindow } from "./listing";
import { planListing, type ListingPlan } from "./listing-plan";
import { CONTENT_SELECT, parseMessageContent, toEngagementInput, toMessageFacts, type ListedMessage, type MessageContent } from "./message-facts";
import { computeWindow, type SweepWindow } from "./window";

export type SweepTrigger = SweepView["trigger"];

export interface SweepLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SweepGraphOptions {
  baseUrl: string;
  outbound: Outbound;
  /** Retries per request for 429/503/504 and dropped connections (graph client default 5). */
  maxRetries?: number;
  timeoutMs?: number;
  backoffSeconds?: number;
}

export interface SweepDeps {
  db: Kysely<Database>;
  graph: SweepGraphOptions;
  tokens: GraphTokenSource;
  clock: Clock;
  logger: SweepLogger;
  config: { windowHours: number; overlapMinutes: number };
  /** How long the folder map is trusted (default a day). */
  folderCacheMaxAgeMs?: number;
  /** Listing page size (default 1000). */
  listPageSize?: number;
  /** Rounds of re-sending throttled $batch items (default 8). */
  batchRounds?: number;
  /** A `running` sweep younger than this blocks a new one for the same mailbox (default 30 min). */
  runningGuardMs?: number;
}

export interface SweepTarget {
  organizationId: string;
  userId: string;
  trigger: SweepTrigger;
}

export interface SweepProgress {
  sweepId: string;
  phase: "folders" | "listing" | "done";
  listed: number;
  decided: number;
  stored: number;
  captured: number;
  excluded: number;
}

export interface SweepRunOptions {
  signal?: AbortSignal;
  onProgress?: (p: SweepProgress) => void;
  /** Called once the sweep row exists (status running). */
  onStarted?: (sweep: SweepView) => void;
  /** List the whole window even when only changes would do (listing-plan.ts). */
  full?: boolean;
}

/** Another sweep of this mailbox is running (here or in another process). */
export class SweepInProgressError extends Error {
  override readonly name = "SweepInProgressError";
  constructor(readonly sweepId: string) {
    super("A sweep of this mailbox is already running.");
  }
}

export const DEFAULT_RUNNING_GUARD_MS = 30 * 60_000;
/** Captured items per write transaction when no body is fetched (links and decisions only). */
const WRITE_CHUNK = 200;
const TOKEN_REUSE_MS = 5 * 60_000;

interface Counters {
  listed: number;
  decided: number;
  stored: number;
  captured: number;
  excluded: number;
  byReason: Partial<Record<ReasonCode, number>>;
  itemRetries: number;
}

interface RuleContext {
  userAddresses: string[];
  connectedAt: string | null;
  contacts: ReturnType<typeof indexContacts>;
  contactIdByEmail: Map<string, string>;
  blocklist: string[];
}

export const INTERRUPTED_ERROR = "Interrupted: the process running this sweep stopped.";

/**
 * Embedded mode, when the server starts: close the sweeps a previous server process left `running`
 * (it was killed, or the machine lost power). Only one server runs against an embedded database, so a
 * running row it started (any trigger but the CLI's, which is a process of its own) has no owner any
 * more. Without this the engine's guard would hold those mailboxes for DEFAULT_RUNNING_GUARD_MS after a
 * crash. Their connections keep their lastSweepAt, so the scheduler's first tick sweeps them again.
 */
export async function closeInterruptedSweeps(db: Kysely<Database>, now: Date): Promise<number> {
  const rows = await db
    .updateTable("sweeps")
    .set({ status: "failed", finishedAt: now.toISOString(), error: INTERRUPTED_ERROR })
    .where("status", "=", "running")
    .where("trigger", "!=", "cli")
    .where("startedAt", "<=", now.toISOString())
    .executeTakeFirst();
  return Number(rows.numUpdatedRows);
}

/** The window this mailbox's next sweep would cover (also what the status and CLI show). */
export function windowFor(
  connection: { lastSuccessWindowEnd: string | null; connectedAt: string | null },
  now: Date,
  config: { windowHours: number; overlapMinutes: number },
): SweepWindow {
  return computeWindow({ now, windowHours: config.windowHours, overlapMinutes: config.overlapMinutes, lastSuccessWindowEnd: connection.lastSuccessWindowEnd, connectedAt: connection.connectedAt });
}

/** The rule context for one mailbox: contacts loaded once per sweep, blocklist (organization + personal), the user's addresses. */
export async function loadRuleContext(db: Kysely<Database>, organizationId: string, userId: string, connectedAt: string | null): Promise<RuleContext> {
  const [user, contacts, blocklist] = await Promise.all([getUser(db, organizationId, userId), listLiveContactFacts(db, organizationId), blocklistFor(db, organizationId, userId)]);
  if (!user) throw new NotConnectedError("The user no longer exists.");
  return {
    userAddresses: normalizeAddresses([...user.addresses, user.email]),
    connectedAt,
    contacts: indexContacts(contacts),
    contactIdByEmail: new Map(contacts.map((c) => [c.email, c.id])),
    blocklist,
  };
}

export function decide(m: ListedMessage, folders: FolderMap, ctx: RuleContext, now: Date): CaptureDecision {
  return decideCapture(toMessageFacts(m, folderPathOf(folders, m.parentFolderId)), {
    userAddresses: ctx.userAddresses,
    connectedAt: ctx.connectedAt,
    contacts: ctx.contacts,
    blocklist: ctx.blocklist,
    now,
  });
}

/** The item recordCaptureBatch stores for one decided message. */
export function captureItem(m: ListedMessage, d: CaptureDecision, ctx: RuleContext, content: MessageContent | null): CaptureItem {
  if (d.outcome === "captured") {
    return {
      outcome: "captured",
      engagement: toEngagementInput(m, d, content),
      graphMessageId: m.id,
      webLink: m.webLink,
      contactIds: d.matchedContacts.map((e) => ctx.contactIdByEmail.get(e)).filter((x): x is string => !!x),
    };
  }
  return { outcome: "excluded", messageKey: messageKey(m.internetMessageId), reason: d.reason, detail: d.detail.folder ? { folder: d.detail.folder } : null };
}

/** Text bodies for these messages, 20 per $batch; a message gone since the listing is left out. */
export async function fetchContents(
  client: Parameters<typeof batchGet>[0],
  messages: readonly ListedMessage[],
  opts: { signal?: AbortSignal; onRetry?: (n: number) => void; maxRounds?: number },
): Promise<Map<string, MessageContent>> {
  const out = new Map<string, MessageContent>();
  const headers = { Prefer: `outlook.body-content-type="text", ${IMMUTABLE_ID_PREFER}` };
  for (const part of chunks(messages, MAX_BATCH_ITEMS)) {
    const answers = await batchGet(
      client,
      part.map((m, i) => ({ id: String(i), url: `/me/messages/${encodeURIComponent(m.id)}?$select=${CONTENT_SELECT.join(",")}`, headers })),
      opts,
    );
    part.forEach((m, i) => {
      const a = answers.get(String(i))!;
      if (a.status === 200) out.set(m.id, parseMessageContent(a.body));
      else if (a.status !== 404) {
        const code = (a.body as { error?: { code?: string } } | null)?.error?.code ?? null;
        throw new GraphRequestFailedError(`Graph could not return a captured message's body (HTTP ${a.status}${code ? ` ${code}` : ""}).`, a.status, code);
      }
    });
  }
  return out;
}

export async function sweepMailbox(deps: SweepDeps, target: SweepTarget, opts: SweepRunOptions = {}): Promise<SweepView> {
  const { db, clock, logger } = deps;
  const { organizationId, userId, trigger } = target;
  const connection = await getConnection(db, organizationId, userId);
  if (!connection || connection.status === "disconnected") throw new NotConnectedError("This user's mailbox is not connected.");

  const started = clock.now();
  const t0 = performance.now();
  const guardMs = deps.runningGuardMs ?? DEFAULT_RUNNING_GUARD_MS;
  const guardFrom = new Date(started.getTime() - guardMs).toISOString();
  const running = await db
    .selectFrom("sweeps")
    .select(["id", "startedAt"])
    .where("organizationId", "=", organizationId)
    .where("userId", "=", userId)
    .where("status", "=", "running")
    .execute();
  const live = running.find((r) => r.startedAt >= guardFrom);
  if (live) throw new SweepInProgressError(live.id);
  // A running row older than the guard was left by a process that died mid-sweep.
  if (running.length) {
    await db
      .updateTable("sweeps")
      .set({ status: "failed", finishedAt: started.toISOString(), error: INTERRUPTED_ERROR })
      .where("organizationId", "=", organizationId)
      .where("id", "in", running.map((r) => r.id))
      .execute();
  }

  const window = windowFor(connection, started, deps.config);
  // The rule-input lookup only matters when a changes-only listing is possible at all.
  const mayListChanges = connection.lastSuccessWindowEnd != null && !opts.full;
  const plan: ListingPlan = planListing({
    lastSuccessWindowEnd: connection.lastSuccessWindowEnd,
    rulesChangedAt: mayListChanges ? await rulesChangedAt(db, organizationId) : null,
    overlapMinutes: deps.config.overlapMinutes,
    forceFull: opts.full,
  });
  const sweepId = newId();
  await db
    .insertInto("sweeps")
    .values({
      id: sweepId,
      organizationId,
      userId,
      trigger,
      status: "running",
      windowStart: window.start.toISOString(),
      windowEnd: window.end.toISOString(),
      startedAt: started.toISOString(),
      finishedAt: null,
      listed: 0,
      captured: 0,
      excluded: 0,
      excludedByReason: "{}",
      graphRequests: 0,
      retries: 0,
      error: null,
      listing: plan.kind,
    })
    .execute();
  const row = await db.selectFrom("sweeps").selectAll().where("id", "=", sweepId).executeTakeFirstOrThrow();
  opts.onStarted?.(toSweepView(row));

  const stats: GraphStats = newGraphStats();
  const c: Counters = { listed: 0, decided: 0, stored: 0, captured: 0, excluded: 0, byReason: {}, itemRetries: 0 };
  const progress = (phase: SweepProgress["phase"]) =>
    opts.onProgress?.({ sweepId, phase, listed: c.listed, decided: c.decided, stored: c.stored, captured: c.captured, excluded: c.excluded });
  let error: unknown = null;

  try {
    // Ask for the token before any Graph call: a revoked grant stops the sweep here
    // (the connect service has already flipped the connection to reauth_required).
    let token = await deps.tokens.getGraphAccessToken(organizationId, userId);
    let tokenAt = Date.now();
    const getAccessToken = async () => {
      if (Date.now() - tokenAt > TOKEN_REUSE_MS) {
        token = await deps.tokens.getGraphAccessToken(organizationId, userId);
        tokenAt = Date.now();
      }
      return token;
    };
    const { client } = createGraphClient({
      baseUrl: deps.graph.baseUrl,
      outbound: deps.graph.outbound,
      getAccessToken,
      maxRetries: deps.graph.maxRetries,
      timeoutMs: deps.graph.timeoutMs,
      backoffSeconds: deps.graph.backoffSeconds,
      stats,
    });
    const onRetry = (n: number) => (c.itemRetries += n);
    const batchRounds = deps.batchRounds ?? 8;
    const ctx = await loadRuleContext(db, organizationId, userId, connection.connectedAt);

    progress("folders");
    const { map: folders } = await loadFolderMap(
      { db, client, now: started, baseUrl: deps.graph.baseUrl, maxAgeMs: deps.folderCacheMaxAgeMs, signal: opts.signal, onRetry, maxRounds: batchRounds },
      organizationId,
      userId,
    );

    const write = async (items: CaptureItem[]) => {
      if (!items.length) return;
      await db.transaction().execute((trx) => recordCaptureBatch(trx, organizationId, userId, sweepId, items, clock.now()));
      c.stored += items.length;
      progress("listing");
    };
    const pendingBodies: { m: ListedMessage; d: CaptureDecision }[] = [];
    const pendingImids = new Set<string>();
    const afterBodies: CaptureItem[] = [];
    const flushBodies = async (part: { m: ListedMessage; d: CaptureDecision }[]) => {
      const contents = await fetchContents(client, part.map((x) => x.m), { signal: opts.signal, onRetry, maxRounds: batchRounds });
      // One transaction per body batch. A message deleted since the listing gets no decision; the next sweep will not see it either.
      await write(part.filter((x) => contents.has(x.m.id)).map((x) => captureItem(x.m, x.d, ctx, contents.get(x.m.id)!)));
      for (const x of part) pendingImids.delete(x.m.internetMessageId);
    };

    progress("listing");
    const changedSince = plan.kind === "changes" ? plan.since : null;
    await listWindow(client, window, { baseUrl: deps.graph.baseUrl, signal: opts.signal, pageSize: deps.listPageSize, changedSince }, async (page) => {
      c.listed += page.length;
      const decided = page.map((m) => ({ m, d: decide(m, folders, ctx, started), key: messageKey(m.internetMessageId) }));
      c.decided += decided.length;
      for (const { d } of decided) {
        if (d.outcome === "captured") c.captured++;
        else {
          c.excluded++;
          c.byReason[d.reason] = (c.byReason[d.reason] ?? 0) + 1;
        }
      }

      // What is already stored: this mailbox's decisions, and the organization's engagements.
      const stored = new Map<string, { outcome: string; reason: string | null; detail: string | null }>();
      const engaged = new Set<string>();
      for (const part of chunks(decided.map((x) => x.key))) {
        for (const r of await db
          .selectFrom("captureDecisions")
          .select(["messageKey", "outcome", "reason", "detail"])
          .where("organizationId", "=", organizationId)
          .where("userId", "=", userId)
          .where("messageKey", "in", part)
          .execute()) {
          stored.set(r.messageKey, r);
        }
      }
      const capturedIds = [...new Set(decided.filter((x) => x.d.outcome === "captured").map((x) => x.m.internetMessageId))];
      for (const part of chunks(capturedIds)) {
        for (const r of await db
          .selectFrom("engagements")
          .select("internetMessageId")
          .where("organizationId", "=", organizationId)
          .where("internetMessageId", "in", part)
          .execute()) {
          engaged.add(r.internetMessageId);
        }
      }

      const plain: CaptureItem[] = [];
      for (const { m, d, key } of decided) {
        if (d.outcome === "excluded") {
          const s = stored.get(key);
          const detail = d.detail.folder ? JSON.stringify({ folder: d.detail.folder }) : null;
          // Already decided the same way (or captured, which an exclusion never downgrades): nothing to write.
          if (s && (s.outcome === "captured" || (s.reason === d.reason && s.detail === detail))) continue;
          plain.push(captureItem(m, d, ctx, null));
        } else if (pendingImids.has(m.internetMessageId)) {
          // A copy of a message whose body is still to be fetched: store it after that engagement exists.
          afterBodies.push(captureItem(m, d, ctx, null));
        } else if (engaged.has(m.internetMessageId)) {
          // The engagement exists (another mailbox, an earlier sweep): link this mailbox and any new contact, no body.
          plain.push(captureItem(m, d, ctx, null));
        } else {
          pendingImids.add(m.internetMessageId);
          pendingBodies.push({ m, d });
        }
      }
      // Full $batches only, carried across pages, so bodies cost one request per 20 captured messages.
      while (pendingBodies.length >= MAX_BATCH_ITEMS) await flushBodies(pendingBodies.splice(0, MAX_BATCH_ITEMS));
      for (const part of chunks(plain, WRITE_CHUNK)) await write(part);
      if (opts.signal?.aborted) throw new SweepAbortedError();
    });
    while (pendingBodies.length) await flushBodies(pendingBodies.splice(0, MAX_BATCH_ITEMS));
    for (const part of chunks(afterBodies, WRITE_CHUNK)) await write(part);
  } catch (err) {
    error = err;
  }

  const finished = clock.now();
  const graphRequests = stats.requests;
  const retries = stats.retries + c.itemRetries;
  const message = error ? describeForUser(error) : null;
  await db
    .updateTable("sweeps")
    .set({
      status: error ? "failed" : "succeeded",
      finishedAt: finished.toISOString(),
      listed: c.listed,
      captured: c.captured,
      excluded: c.excluded,
      excludedByReason: JSON.stringify(c.byReason),
      graphRequests,
      retries,
      error: message,
    })
    .where("id", "=", sweepId)
    .execute();
  await db
    .updateTable("mailboxConnections")
    .set(
      error
        ? { lastSweepAt: finished.toISOString(), lastError: message, updatedAt: finished.toISOString() }
        : {
            lastSweepAt: finished.toISOString(),
            lastSuccessAt: finished.toISOString(),
            lastSuccessWindowEnd: window.end.toISOString(),
            lastError: null,
            updatedAt: finished.toISOString(),
          },
    )
    .where("organizationId", "=", organizationId)
    .where("userId", "=", userId)
    .execute();

  // One line per sweep: counts and ids only — no addresses, subjects, bodies or tokens.
  const entry = {
    sweepId,
    organizationId,
    userId,
    trigger,
    status: error ? "failed" : "succeeded",
    windowStart: window.start.toISOString(),
    windowEnd: window.end.toISOString(),
    listing: plan.kind,
    listed: c.listed,
    captured: c.captured,
    excluded: c.excluded,
    excludedByReason: c.byReason,
    stored: c.stored,
    graphRequests,
    retries,
    durationMs: Math.round(performance.now() - t0),
    ...(message ? { error: describeError(error), reauthRequired: error instanceof ReauthRequiredError } : {}),
  };
  if (error) logger.warn(entry, "sweep failed");
  else logger.info(entry, "sweep finished");
  progress("done");
  const done = await db.selectFrom("sweeps").selectAll().where("id", "=", sweepId).executeTakeFirstOrThrow();
  return toSweepView(done);
}
