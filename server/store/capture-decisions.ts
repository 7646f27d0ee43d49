/**
 * Capture decisions — the audit trail and what the pane's status reads — and the one write path
 * for engagements: recordCaptureBatch, which the sweep (and "capture now", and sent mail) call
 * inside ONE transaction per batch; and removeEngagements, their deletion on request.
 *
 * Idempotence is the contract: re-running with the same items changes nothing. Engagements are
 * keyed by (organization, internetMessageId, copy fingerprint) — copies of a Message-ID that disagree
 * on sender, sent time or participants are separate engagements (engagement-copies.ts) — links by
 * their natural keys, decisions by (user, messageKey); every write is an ON CONFLICT that does
 * nothing, or updates only when a value actually differs.
 */
import { hash } from "node:crypto";
import { SqliteAdapter, sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from "kysely";
import type { ReasonCode } from "../../shared/capture";
import type { CaptureDecisionTable, Database, RemovalKindColumn } from "../db/schema";
import { recordEngagementChanges, type EngagementChange } from "./engagement-changes";
import { copiesAgree, copyFingerprint, type CopyFacts } from "./engagement-copies";
import type { Participant } from "./engagements";
import { prepared } from "./prepared";
import { readOne, type Read } from "./read-together";
import { chunks, iso, newId, parseJson } from "./util";

export type CaptureDecisionRecord = CaptureDecisionTable;

/** Why a captured message's engagement was deleted: a blocklist entry or an untracked contact (on request), or the organization's retention period. */
export type RemovalKind = RemovalKindColumn;

/**
 * SHA-256 of the trimmed internetMessageId, base64url (43 characters; a third shorter than hex in the
 * largest table and its unique index): how decisions name a message without keeping it.
 */
export function messageKey(internetMessageId: string): string {
  // One-shot hash (Node ≥ 20.12): the same digest as createHash().update().digest(), without the Hash object.
  return hash("sha256", internetMessageId.trim(), "base64url");
}

/** The engagement fields of a captured message. Times are ISO 8601. */
export interface EngagementInput {
  internetMessageId: string;
  conversationId: string | null;
  subject: string | null;
  bodyText: string | null;
  bodyPreview: string | null;
  direction: "inbound" | "outbound";
  messageTime: string;
  sentAt: string | null;
  receivedAt: string | null;
  fromAddress: string | null;
  /** from/to/cc only — never bcc. */
  participants: Participant[];
}

export type CaptureItem =
  | {
      outcome: "captured";
      engagement: EngagementInput;
      /** Graph immutable id of the message in this user's mailbox. */
      graphMessageId: string;
      webLink: string | null;
      /** Ids of this organization's contacts that qualified (decideCapture's matchedContacts, resolved to ids). */
      contactIds: readonly string[];
    }
  | {
      outcome: "excluded";
      /** messageKey(internetMessageId): excluded mail leaves no subject or participants behind. */
      messageKey: string;
      reason: ReasonCode;
      /** Only non-personal detail is kept (the excluded folder's name); anything else is dropped. */
      detail?: { folder?: string } | Record<string, unknown> | null;
    };

export interface RecordedItem {
  messageKey: string;
  outcome: "captured" | "excluded";
  engagementId: string | null;
  /** True when this call created the engagement (false when it already existed, or for excluded). */
  engagementCreated: boolean;
}

/** Keep only what may be stored for an excluded message: never addresses, subjects or ids. */
function safeDetail(detail: unknown): string | null {
  const folder = (detail as { folder?: unknown } | null | undefined)?.folder;
  return typeof folder === "string" && folder.length <= 100 ? JSON.stringify({ folder }) : null;
}

/**
 * Store one batch of decisions for one mailbox. Call inside a transaction (`db.transaction().execute(trx => …)`)
 * so a batch is all-or-nothing. Captured items: upsert the engagement, link its contacts and this
 * mailbox. Every item: upsert the decision. A stored "captured" decision is never downgraded to
 * "excluded" by a later run (the engagement stays; e.g. a contact deleted afterwards).
 */
export async function recordCaptureBatch(
  trx: Kysely<Database>,
  organizationId: string,
  userId: string,
  sweepId: string | null,
  items: readonly CaptureItem[],
  now: Date | string,
): Promise<RecordedItem[]> {
  const t = iso(now);
  const out: RecordedItem[] = [];
  const changes: EngagementChange[] = [];
  await lockMessageIds(trx, organizationId, items);
  for (const item of items) {
    let key: string;
    let engagementId: string | null = null;
    let engagementCreated = false;
    if (item.outcome === "captured") {
      const imid = item.engagement.internetMessageId.trim();
      key = messageKey(imid);
      ({ id: engagementId, created: engagementCreated } = await upsertEngagement(
        trx,
        organizationId,
        imid,
        item.engagement,
        t,
      ));
      const linked = await linkEngagement(trx, organizationId, engagementId, userId, item, t);
      if (engagementCreated || linked) changes.push({ engagementId, type: engagementCreated ? "created" : "updated" });
    } else {
      key = item.messageKey;
    }
    const reason = item.outcome === "excluded" ? item.reason : null;
    const detail = item.outcome === "excluded" ? safeDetail(item.detail) : null;
    await upsertDecision(trx, {
      organizationId,
      userId,
      messageKey: key,
      outcome: item.outcome,
      reason,
      detail,
      engagementId,
      sweepId,
      decidedAt: t,
    });
    out.push({ messageKey: key, outcome: item.outcome, engagementId, engagementCreated });
  }
  // Last, so the feed's per-organization numbering lock is held only from here to commit.
  await recordEngagementChanges(trx, organizationId, changes, t);
  return out;
}

/**
 * Stored bodies are capped (UTF-8 bytes): a message is a CRM record, not an archive, and one hostile
 * 10 MB mail must not cost 10 MB on every read of it. The engagement says when its body was cut.
 */
export const STORED_BODY_MAX_BYTES = 256 * 1024;

/** The body as stored: at most STORED_BODY_MAX_BYTES of UTF-8, cut at a character boundary. */
export function capBody(text: string | null): { text: string | null; truncated: boolean } {
  // One UTF-16 code unit is at most 3 bytes of UTF-8: shorter strings cannot be over the cap.
  if (text === null || text.length * 3 <= STORED_BODY_MAX_BYTES) return { text, truncated: false };
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= STORED_BODY_MAX_BYTES) return { text, truncated: false };
  let end = STORED_BODY_MAX_BYTES;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--; // back to the first byte of the character cut in two
  return { text: bytes.subarray(0, end).toString("utf8"), truncated: true };
}

/**
 * On PostgreSQL, concurrent batches (two mailboxes of one organization) are serialised per Message-ID
 * for the rest of the transaction, so a copy always sees the engagement an agreeing copy just created
 * (copies whose sent times differ by a few seconds have different fingerprints, so the unique key
 * alone would not merge them). Locks are taken in one order, so two batches cannot deadlock on them.
 * SQLite has one writer: nothing to do.
 */
async function lockMessageIds(
  trx: Kysely<Database>,
  organizationId: string,
  items: readonly CaptureItem[],
): Promise<void> {
  if (trx.getExecutor().adapter instanceof SqliteAdapter) return;
  const imids = [
    ...new Set(items.flatMap((i) => (i.outcome === "captured" ? [i.engagement.internetMessageId.trim()] : []))),
  ].sort();
  for (const imid of imids)
    await sql`select pg_advisory_xact_lock(hashtextextended(${`${organizationId}\n${imid}`}, 0))`.execute(trx);
}

/**
 * The engagement this copy belongs to: the first stored one it agrees with (engagement-copies.ts), or a
 * new one with this copy's content. An existing engagement is never changed by a copy.
 */
async function upsertEngagement(
  trx: Kysely<Database>,
  organizationId: string,
  imid: string,
  e: EngagementInput,
  t: string,
): Promise<{ id: string; created: boolean }> {
  const candidates = await trx
    .selectFrom("engagements")
    .select(["id", "fromAddress", "participants", "sentAt", "messageTime"])
    .where("organizationId", "=", organizationId)
    .where("internetMessageId", "=", imid)
    .orderBy("createdAt")
    .orderBy("id")
    .execute();
  const match = candidates.find((c) =>
    copiesAgree(e, { ...c, participants: parseJson<Participant[]>(c.participants, []) }),
  );
  if (match) return { id: match.id, created: false };
  const fingerprint = copyFingerprint(e);
  const body = capBody(e.bodyText);
  const inserted = await trx
    .insertInto("engagements")
    .values({
      id: newId(),
      organizationId,
      internetMessageId: imid,
      copyFingerprint: fingerprint,
      conversationId: e.conversationId,
      subject: e.subject,
      bodyText: body.text,
      bodyTruncated: body.truncated ? 1 : 0,
      bodyPreview: e.bodyPreview,
      direction: e.direction,
      messageTime: iso(e.messageTime),
      sentAt: e.sentAt ? iso(e.sentAt) : null,
      receivedAt: e.receivedAt ? iso(e.receivedAt) : null,
      fromAddress: e.fromAddress,
      participants: JSON.stringify(e.participants),
      createdAt: t,
    })
    .onConflict((oc) => oc.columns(["organizationId", "internetMessageId", "copyFingerprint"]).doNothing())
    .returning("id")
    .executeTakeFirst();
  if (inserted) return { id: inserted.id, created: true };
  // An equal fingerprint means equal facts: the row another writer stored just now is this message.
  const existing = await trx
    .selectFrom("engagements")
    .select("id")
    .where("organizationId", "=", organizationId)
    .where("internetMessageId", "=", imid)
    .where("copyFingerprint", "=", fingerprint)
    .executeTakeFirstOrThrow();
  return { id: existing.id, created: false };
}

/**
 * Link the engagement to its qualifying contacts and to this mailbox's copy (id and web link). True when
 * a link was added or the mailbox's copy changed (what the engagement's view shows changed).
 */
async function linkEngagement(
  trx: Kysely<Database>,
  organizationId: string,
  engagementId: string,
  userId: string,
  item: Extract<CaptureItem, { outcome: "captured" }>,
  t: string,
): Promise<boolean> {
  let changed = 0n;
  for (const contactId of new Set(item.contactIds)) {
    const added = await trx
      .insertInto("engagementContacts")
      .values({ organizationId, engagementId, contactId })
      .onConflict((oc) => oc.columns(["engagementId", "contactId"]).doNothing())
      .executeTakeFirst();
    changed += BigInt(added.numInsertedOrUpdatedRows ?? 0n);
  }
  const mailbox = await trx
    .insertInto("engagementMailboxes")
    .values({
      organizationId,
      engagementId,
      userId,
      graphMessageId: item.graphMessageId,
      webLink: item.webLink,
      createdAt: t,
    })
    .onConflict((oc) =>
      oc
        .columns(["engagementId", "userId"])
        .doUpdateSet({ graphMessageId: sql.ref("excluded.graph_message_id"), webLink: sql.ref("excluded.web_link") })
        // Immutable ids survive moves, so this only fires when Graph really reports a new id or link.
        .where(
          sql<boolean>`engagement_mailboxes.graph_message_id <> excluded.graph_message_id or engagement_mailboxes.web_link is distinct from excluded.web_link`,
        ),
    )
    .executeTakeFirst();
  return changed + BigInt(mailbox.numInsertedOrUpdatedRows ?? 0n) > 0n;
}

/**
 * The mailbox's decision for the message; a stored "captured" is never downgraded, an unchanged one not
 * rewritten, and its engagement is kept: a mailbox holding two disagreeing copies of one Message-ID
 * (a forgery beside the real mail) answers from the copy it stored first, on every later run alike.
 */
async function upsertDecision(trx: Kysely<Database>, row: CaptureDecisionRecord): Promise<void> {
  await trx
    .insertInto("captureDecisions")
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(["userId", "messageKey"])
        .doUpdateSet({
          outcome: sql.ref("excluded.outcome"),
          reason: sql.ref("excluded.reason"),
          detail: sql.ref("excluded.detail"),
          engagementId: sql.ref("excluded.engagement_id"),
          sweepId: sql.ref("excluded.sweep_id"),
          decidedAt: sql.ref("excluded.decided_at"),
        })
        .where(
          sql<boolean>`(capture_decisions.outcome <> 'captured' or excluded.outcome = 'captured')
            and (capture_decisions.outcome <> excluded.outcome
              or capture_decisions.reason is distinct from excluded.reason
              or capture_decisions.detail is distinct from excluded.detail
              or (capture_decisions.engagement_id is null and excluded.engagement_id is not null))`,
        ),
    )
    .execute();
}

export interface DecisionView {
  outcome: "captured" | "excluded";
  reason: ReasonCode | null;
  detail: { folder?: string } | null;
  engagementId: string | null;
  sweepId: string | null;
  decidedAt: string;
  /** When and why the engagement this mailbox captured was deleted on request; null otherwise. */
  removed?: { at: string; why: RemovalKind } | null;
}

/** The stored decision for this user's mailbox and message, or null when not yet swept. */
/** The status call's lookup (hot path: compiled once, see prepared.ts). */
const selectDecision = prepared((db, organizationId: string, userId: string, key: string) =>
  db
    .selectFrom("captureDecisions")
    .selectAll()
    .where("organizationId", "=", organizationId)
    .where("userId", "=", userId)
    .where("messageKey", "=", key),
);

/** The decision as a read among others (store/read-together.ts). */
export function decisionRead(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  key: string,
): Read<DecisionView | null> {
  return { queries: [selectDecision.bind(db, organizationId, userId, key)], answer: decisionOf };
}

function decisionOf([rows]: unknown[][]): DecisionView | null {
  return decisionFromColumns((rows as Awaited<ReturnType<typeof selectDecision>>)[0] ?? null);
}

/** The columns a DecisionView is made of. */
export type DecisionColumns = Pick<
  CaptureDecisionTable,
  "outcome" | "reason" | "detail" | "engagementId" | "sweepId" | "decidedAt" | "removedAt" | "removal"
>;

/** A stored decision's row (or the columns another statement joined in) as the status call reads it. */
export function decisionFromColumns(row: DecisionColumns | null): DecisionView | null {
  if (!row) return null;
  return {
    outcome: row.outcome,
    reason: (row.reason as ReasonCode | null) ?? null,
    detail: parseJson<{ folder?: string } | null>(row.detail, null),
    engagementId: row.engagementId,
    sweepId: row.sweepId,
    decidedAt: row.decidedAt,
    removed: row.removedAt && row.removal ? { at: row.removedAt, why: row.removal } : null,
  };
}

export function getDecision(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  key: string,
): Promise<DecisionView | null> {
  return readOne(db, decisionRead(db, organizationId, userId, key));
}

/** Decisions recorded by one sweep (tests and the audit view). */
export async function listDecisionsForSweep(
  db: Kysely<Database>,
  organizationId: string,
  sweepId: string,
): Promise<CaptureDecisionRecord[]> {
  return db
    .selectFrom("captureDecisions")
    .selectAll()
    .where("organizationId", "=", organizationId)
    .where("sweepId", "=", sweepId)
    .orderBy("decidedAt")
    .execute();
}

/** What a mailbox has already stored about these messages: its decisions (by message key), and the organization's engagements' copy facts (by internetMessageId). */
export async function storedDecisionsFor(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  messageKeys: readonly string[],
  capturedIds: readonly string[],
): Promise<{
  decisions: Map<string, { outcome: string; reason: string | null; detail: string | null }>;
  engaged: Map<string, CopyFacts[]>;
}> {
  const decisions = new Map<string, { outcome: string; reason: string | null; detail: string | null }>();
  const engaged = new Map<string, CopyFacts[]>();
  for (const part of chunks(messageKeys)) {
    for (const r of await db
      .selectFrom("captureDecisions")
      .select(["messageKey", "outcome", "reason", "detail"])
      .where("organizationId", "=", organizationId)
      .where("userId", "=", userId)
      .where("messageKey", "in", part)
      .execute()) {
      decisions.set(r.messageKey, r);
    }
  }
  for (const part of chunks(capturedIds)) {
    for (const r of await db
      .selectFrom("engagements")
      .select(["internetMessageId", "fromAddress", "participants", "sentAt", "messageTime"])
      .where("organizationId", "=", organizationId)
      .where("internetMessageId", "in", part)
      .execute()) {
      const facts: CopyFacts = {
        fromAddress: r.fromAddress,
        participants: parseJson<Participant[]>(r.participants, []),
        sentAt: r.sentAt,
        messageTime: r.messageTime,
      };
      engaged.set(r.internetMessageId, [...(engaged.get(r.internetMessageId) ?? []), facts]);
    }
  }
  return { decisions, engaged };
}

/**
 * The decisions that captured these engagements, when the engagements are deleted on request: each becomes an
 * exclusion with `reason` (what the rules now say of the message), keeps only its message hash, and records
 * when and why the content was removed (removed_at, removal: columns the sweep's upsert never writes).
 */
export async function markDecisionsRemoved(
  trx: Kysely<Database>,
  organizationId: string,
  engagementIds: readonly string[],
  reason: ReasonCode,
  removal: RemovalKind,
  now: Date | string,
): Promise<number> {
  let n = 0;
  for (const part of chunks(engagementIds)) {
    const res = await trx
      .updateTable("captureDecisions")
      .set({
        outcome: "excluded",
        reason,
        detail: null,
        engagementId: null,
        decidedAt: iso(now),
        removedAt: iso(now),
        removal,
      })
      .where("organizationId", "=", organizationId)
      .where("engagementId", "in", part)
      .executeTakeFirst();
    n += Number(res.numUpdatedRows);
  }
  return n;
}

/**
 * Delete these engagements' content for good: the engagement rows and their contact and mailbox links. The
 * decisions that captured them keep only the message hash and say why (capture-decisions markDecisionsRemoved).
 * Call inside a transaction. Returns how many engagements were deleted.
 */
export async function removeEngagements(
  trx: Kysely<Database>,
  organizationId: string,
  ids: readonly string[],
  why: { reason: ReasonCode; removal: RemovalKind },
  now: Date | string,
): Promise<number> {
  await markDecisionsRemoved(trx, organizationId, ids, why.reason, why.removal, now);
  let n = 0;
  for (const part of chunks([...new Set(ids)])) {
    await trx
      .deleteFrom("engagementContacts")
      .where("organizationId", "=", organizationId)
      .where("engagementId", "in", part)
      .execute();
    await trx
      .deleteFrom("engagementMailboxes")
      .where("organizationId", "=", organizationId)
      .where("engagementId", "in", part)
      .execute();
    const deleted = await trx
      .deleteFrom("engagements")
      .where("organizationId", "=", organizationId)
      .where("id", "in", part)
      .returning("id")
      .execute();
    n += deleted.length;
    await recordEngagementChanges(
      trx,
      organizationId,
      deleted.map((r) => ({ engagementId: r.id, type: "deleted" as const })),
      now,
    );
  }
  return n;
}

/**
 * Retention: delete up to `limit` of the organization's exclusions decided before `before`. Only plain
 * exclusions go — a decision that captured (it points to its engagement) or records a removal
 * (removed_at) is never touched here. One short statement; call again until it returns less than `limit`.
 */
export async function pruneExcludedDecisions(
  db: Kysely<Database>,
  organizationId: string,
  before: string,
  limit: number,
): Promise<number> {
  const due: DueCondition = (eb) =>
    eb.and([
      eb("organizationId", "=", organizationId),
      // A literal, not a parameter: SQLite uses the partial index only when the query states its condition.
      eb("outcome", "=", sql.lit("excluded")),
      eb("decidedAt", "<", before),
      eb("engagementId", "is", null),
      eb("removedAt", "is", null),
    ]);
  return pruneBatch(db, due, limit);
}

/** Retention: delete up to `limit` of the organization's removal records (the hash and why) removed before `before`. */
export async function pruneRemovalRecords(
  db: Kysely<Database>,
  organizationId: string,
  before: string,
  limit: number,
): Promise<number> {
  const due: DueCondition = (eb) =>
    eb.and([
      eb("organizationId", "=", organizationId),
      eb("outcome", "=", sql.lit("excluded")),
      eb("removedAt", "<", before),
    ]);
  return pruneBatch(db, due, limit);
}

type DueCondition = (eb: ExpressionBuilder<Database, "captureDecisions">) => Expression<SqlBool>;

/**
 * Up to `limit` decisions that are due, deleted by their key (user, message key: a decision has no id),
 * each only if it is still due when deleted (a sweep may have turned an exclusion into a capture since it
 * was read). A list of key pairs, not a subquery: PostgreSQL then reads each through the unique index
 * instead of joining all of the organization's rows.
 */
async function pruneBatch(db: Kysely<Database>, due: DueCondition, limit: number): Promise<number> {
  const keys = await db
    .selectFrom("captureDecisions")
    .select(["userId", "messageKey"])
    .where(due)
    .limit(limit)
    .execute();
  if (keys.length === 0) return 0;
  const res = await db
    .deleteFrom("captureDecisions")
    .where(due)
    .where((eb) =>
      eb(
        eb.refTuple("userId", "messageKey"),
        "in",
        keys.map((k) => eb.tuple(k.userId, k.messageKey)),
      ),
    )
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}

/** Erasing a person: up to `limit` links of this contact to an engagement go; the engagements that lost one. */
export async function unlinkContactFromEngagements(
  trx: Kysely<Database>,
  organizationId: string,
  contactId: string,
  limit: number,
): Promise<string[]> {
  const ids = (
    await trx
      .selectFrom("engagementContacts")
      .select("engagementId")
      .where("organizationId", "=", organizationId)
      .where("contactId", "=", contactId)
      .limit(limit)
      .execute()
  ).map((l) => l.engagementId);
  if (!ids.length) return [];
  await trx
    .deleteFrom("engagementContacts")
    .where("organizationId", "=", organizationId)
    .where("contactId", "=", contactId)
    .where("engagementId", "in", ids)
    .execute();
  return ids;
}
