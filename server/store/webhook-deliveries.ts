/**
 * Webhook deliveries: one row per (endpoint, change of the feed), made by the dispatcher, attempted by the
 * sender. The row's id is the `webhook-id` header, the same on every attempt and every replay, so a
 * receiver deduplicates by it. A sender claims a delivery by setting locked_until with a compare-and-set
 * update; a process that dies mid-attempt leaves the lock, which expires, and the delivery is tried again.
 */
import type { Kysely, Selectable } from "kysely";
import type { Database, WebhookDeliveryTable } from "../db/schema";
import { InvalidCursorError } from "./errors";
import { decodeCursor, encodeCursor, iso } from "./util";

export type WebhookDeliveryRecord = Selectable<WebhookDeliveryTable>;

export interface NewDelivery {
  id: string;
  endpointId: string;
  sequence: number;
  eventType: string;
  engagementId: string;
  occurredAt: string;
}

/** Insert deliveries; a (endpoint, sequence) that already has one is skipped. */
export async function insertDeliveries(
  db: Kysely<Database>,
  organizationId: string,
  rows: readonly NewDelivery[],
  now: Date,
): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto("webhookDeliveries")
    .values(
      rows.map((r) => ({
        ...r,
        organizationId,
        status: "pending" as const,
        nextAttemptAt: iso(now),
        createdAt: iso(now),
      })),
    )
    .onConflict((oc) => oc.columns(["endpointId", "sequence"]).doNothing())
    .execute();
}

/** Deliveries due now on active endpoints, oldest change first, not locked by a live attempt. */
export async function dueDeliveries(db: Kysely<Database>, now: Date, limit: number): Promise<WebhookDeliveryRecord[]> {
  const t = iso(now);
  return db
    .selectFrom("webhookDeliveries as d")
    .innerJoin("webhookEndpoints as e", (j) =>
      j.onRef("e.id", "=", "d.endpointId").onRef("e.organizationId", "=", "d.organizationId"),
    )
    .selectAll("d")
    .where("e.status", "=", "active")
    .where("d.status", "=", "pending")
    .where("d.nextAttemptAt", "<=", t)
    .where((eb) => eb.or([eb("d.lockedUntil", "is", null), eb("d.lockedUntil", "<", t)]))
    .orderBy("d.nextAttemptAt")
    .orderBy("d.sequence")
    .limit(limit)
    .execute();
}

/** Take a delivery for one attempt until `until`; false when another sender took it first. */
export async function claimDelivery(
  db: Kysely<Database>,
  d: Pick<WebhookDeliveryRecord, "id" | "organizationId" | "lockedUntil">,
  until: Date,
): Promise<boolean> {
  let q = db
    .updateTable("webhookDeliveries")
    .set({ lockedUntil: iso(until) })
    .where("organizationId", "=", d.organizationId)
    .where("id", "=", d.id)
    .where("status", "=", "pending");
  q = d.lockedUntil === null ? q.where("lockedUntil", "is", null) : q.where("lockedUntil", "=", d.lockedUntil);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Give a claimed delivery back without an attempt (its endpoint was disabled or deleted meanwhile). */
export async function releaseDelivery(
  db: Kysely<Database>,
  d: Pick<WebhookDeliveryRecord, "id" | "organizationId">,
  lockedUntil: Date,
): Promise<void> {
  await db
    .updateTable("webhookDeliveries")
    .set({ lockedUntil: null })
    .where("organizationId", "=", d.organizationId)
    .where("id", "=", d.id)
    .where("lockedUntil", "=", iso(lockedUntil))
    .execute();
}

export interface AttemptOutcome {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  at: Date;
  /** After a failure: when to try again; null = give up (status failed). */
  nextAttemptAt: Date | null;
}

/**
 * Record one finished attempt and release the lock — only while the lock is still this attempt's
 * (`lockedUntil` as claimed): an attempt that outlived its lock, whose delivery another sender took
 * over, records nothing. Returns whether it recorded.
 */
export async function recordAttempt(
  db: Kysely<Database>,
  d: Pick<WebhookDeliveryRecord, "id" | "organizationId" | "attempts">,
  lockedUntil: Date,
  outcome: AttemptOutcome,
): Promise<boolean> {
  const r = await db
    .updateTable("webhookDeliveries")
    .set({
      attempts: d.attempts + 1,
      lastAttemptAt: iso(outcome.at),
      lastStatusCode: outcome.statusCode,
      lastError: outcome.error,
      lockedUntil: null,
      status: outcome.ok ? "succeeded" : outcome.nextAttemptAt ? "pending" : "failed",
      nextAttemptAt: outcome.ok || !outcome.nextAttemptAt ? null : iso(outcome.nextAttemptAt),
      deliveredAt: outcome.ok ? iso(outcome.at) : null,
    })
    .where("organizationId", "=", d.organizationId)
    .where("id", "=", d.id)
    .where("lockedUntil", "=", iso(lockedUntil))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export interface DeliveryQuery {
  status?: "pending" | "succeeded" | "failed";
  cursor?: string;
  limit: number;
}

/** An endpoint's deliveries, newest change first. */
export async function listDeliveries(
  db: Kysely<Database>,
  organizationId: string,
  endpointId: string,
  q: DeliveryQuery,
): Promise<{ items: WebhookDeliveryRecord[]; nextCursor: string | null }> {
  let query = db
    .selectFrom("webhookDeliveries")
    .selectAll()
    .where("organizationId", "=", organizationId)
    .where("endpointId", "=", endpointId);
  if (q.status) query = query.where("status", "=", q.status);
  if (q.cursor !== undefined) {
    const key = decodeCursor(q.cursor, 1);
    if (!key || !/^\d{1,15}$/.test(key[0])) throw new InvalidCursorError();
    query = query.where("sequence", "<", Number(key[0]));
  }
  const rows = await query
    .orderBy("sequence", "desc")
    .limit(q.limit + 1)
    .execute();
  const items = rows.slice(0, q.limit);
  const nextCursor = rows.length > q.limit ? encodeCursor([String(items[items.length - 1].sequence)]) : null;
  return { items, nextCursor };
}

/**
 * Send deliveries again, due now with their attempts reset: one (by id) or every one of the endpoint whose
 * change occurred at or after `since`. Deliveries in flight are left alone. Returns how many.
 */
export async function replayDeliveries(
  db: Kysely<Database>,
  organizationId: string,
  endpointId: string,
  which: { deliveryId: string } | { since: Date },
  now: Date,
): Promise<number> {
  let q = db
    .updateTable("webhookDeliveries")
    .set({ status: "pending", attempts: 0, nextAttemptAt: iso(now), deliveredAt: null })
    .where("organizationId", "=", organizationId)
    .where("endpointId", "=", endpointId)
    .where((eb) => eb.or([eb("lockedUntil", "is", null), eb("lockedUntil", "<", iso(now))]));
  q = "deliveryId" in which ? q.where("id", "=", which.deliveryId) : q.where("occurredAt", ">=", iso(which.since));
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** After an endpoint is enabled again: its pending deliveries are due now. */
export async function duePendingNow(
  db: Kysely<Database>,
  organizationId: string,
  endpointId: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable("webhookDeliveries")
    .set({ nextAttemptAt: iso(now) })
    .where("organizationId", "=", organizationId)
    .where("endpointId", "=", endpointId)
    .where("status", "=", "pending")
    .execute();
}

export async function getDelivery(
  db: Kysely<Database>,
  organizationId: string,
  id: string,
): Promise<WebhookDeliveryRecord | null> {
  return (
    (await db
      .selectFrom("webhookDeliveries")
      .selectAll()
      .where("organizationId", "=", organizationId)
      .where("id", "=", id)
      .executeTakeFirst()) ?? null
  );
}

/** The error of the endpoint's most recent failed attempt (null when none is recorded). */
export async function lastDeliveryError(
  db: Kysely<Database>,
  organizationId: string,
  endpointId: string,
): Promise<string | null> {
  const row = await db
    .selectFrom("webhookDeliveries")
    .select("lastError")
    .where("organizationId", "=", organizationId)
    .where("endpointId", "=", endpointId)
    .where("lastError", "is not", null)
    .orderBy("lastAttemptAt", "desc")
    .limit(1)
    .executeTakeFirst();
  return row?.lastError ?? null;
}
