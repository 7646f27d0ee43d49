/**
 * The changes feed: every creation, update (a mailbox or contact linked) and deletion of an organization's
 * engagements, numbered 1, 2, … per organization. Changes are written by the transaction that changes the
 * engagement (recordEngagementChanges), so a change is in the feed exactly when the engagement change
 * committed.
 *
 * No gaps, ever: a reader that has seen sequence N must never later see a smaller one appear. A database
 * sequence would not give that on PostgreSQL (numbers are taken at insert but become visible at commit, in
 * any order). Instead the writer takes a per-organization transaction-scoped advisory lock and numbers from
 * max(sequence) + 1: the next writer of the organization cannot number until this one committed (or rolled
 * back), so numbers become visible in order. The price is that writers of ONE organization serialise from
 * their first recorded change to commit; callers record changes at the end of their work so that window is
 * short (recordCaptureBatch records a batch's changes once, after its writes). SQLite has one writer.
 */
import { SqliteAdapter, sql, type Kysely } from "kysely";
import type { EngagementView } from "../../shared/api/contract";
import type { Viewer } from "../../shared/sharing";
import type { Database } from "../db/schema";
import { getEngagementViews } from "./engagements";
import { InvalidCursorError } from "./errors";
import { decodeCursor, encodeCursor, iso } from "./util";

export type EngagementChangeType = "created" | "updated" | "deleted";

export interface EngagementChange {
  engagementId: string;
  type: EngagementChangeType;
}

export interface EngagementChangeItem {
  sequence: number;
  /** Resume after this change. */
  cursor: string;
  type: EngagementChangeType;
  engagementId: string;
  occurredAt: string;
  /** The engagement as it is now, for created/updated; null for deleted or when it has been deleted since. */
  engagement: EngagementView | null;
}

export interface EngagementChangePage {
  items: EngagementChangeItem[];
  /** Where to resume: after the last item, or the position asked for when there was nothing new. Never null. */
  nextCursor: string;
  hasMore: boolean;
}

/**
 * Record changes of the organization's engagements, in this order, within the caller's transaction (the
 * one that made them). Several changes of one engagement in one call are kept as one: "created" wins
 * over "updated"; "deleted" stands on its own.
 */
export async function recordEngagementChanges(
  trx: Kysely<Database>,
  organizationId: string,
  changes: readonly EngagementChange[],
  now: Date | string,
): Promise<void> {
  const merged = mergeChanges(changes);
  if (merged.length === 0) return;
  if (!(trx.getExecutor().adapter instanceof SqliteAdapter))
    await sql`select pg_advisory_xact_lock(hashtextextended(${`engagement_changes\n${organizationId}`}, 0))`.execute(
      trx,
    );
  const last = await trx
    .selectFrom("engagementChanges")
    .select((eb) => eb.fn.max("sequence").as("last"))
    .where("organizationId", "=", organizationId)
    .executeTakeFirst();
  const first = Number(last?.last ?? 0) + 1;
  const occurredAt = iso(now);
  await trx
    .insertInto("engagementChanges")
    .values(merged.map((c, i) => ({ organizationId, sequence: first + i, occurredAt, ...c })))
    .execute();
}

function mergeChanges(changes: readonly EngagementChange[]): EngagementChange[] {
  const out: EngagementChange[] = [];
  const pending = new Map<string, EngagementChange>();
  for (const c of changes) {
    const seen = pending.get(c.engagementId);
    if (c.type === "deleted" || !seen || seen.type === "deleted") {
      const entry = { ...c };
      out.push(entry);
      pending.set(c.engagementId, entry);
    } else if (c.type === "created") {
      seen.type = "created";
    }
  }
  return out;
}

/** The changes after the cursor (from the beginning without one), oldest first. */
export async function listEngagementChanges(
  db: Kysely<Database>,
  organizationId: string,
  viewer: Viewer,
  query: { cursor?: string; limit: number },
): Promise<EngagementChangePage> {
  const after = query.cursor === undefined ? 0 : sequenceOf(query.cursor);
  const rows = await db
    .selectFrom("engagementChanges")
    .select(["sequence", "engagementId", "type", "occurredAt"])
    .where("organizationId", "=", organizationId)
    .where("sequence", ">", after)
    .orderBy("sequence")
    .limit(query.limit + 1)
    .execute();
  const hasMore = rows.length > query.limit;
  const page = hasMore ? rows.slice(0, query.limit) : rows;
  const liveIds = [...new Set(page.filter((r) => r.type !== "deleted").map((r) => r.engagementId))];
  const views = new Map((await getEngagementViews(db, organizationId, viewer, liveIds)).map((v) => [v.id, v]));
  const items = page.map((r) => {
    const sequence = Number(r.sequence);
    return {
      sequence,
      cursor: cursorOf(sequence),
      type: r.type,
      engagementId: r.engagementId,
      occurredAt: r.occurredAt,
      engagement: r.type === "deleted" ? null : (views.get(r.engagementId) ?? null),
    };
  });
  return { items, nextCursor: cursorOf(items.length ? items[items.length - 1].sequence : after), hasMore };
}

function cursorOf(sequence: number): string {
  return encodeCursor(["c", String(sequence)]);
}

function sequenceOf(cursor: string): number {
  const key = decodeCursor(cursor, 2);
  const n = key && key[0] === "c" && /^\d{1,15}$/.test(key[1]) ? Number(key[1]) : NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidCursorError();
  return n;
}
