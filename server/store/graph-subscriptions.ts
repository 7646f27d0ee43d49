/**
 * Graph change-notification subscriptions, one per mailbox (0011). Notifications name only Graph's
 * subscription id, so the receiver finds the mailbox (and its organization) by that id, then checks the
 * clientState against the stored hash before anything else happens.
 */
import type { Kysely } from "kysely";
import type { Database, GraphSubscriptionTable } from "../db/schema";
import { iso } from "./util";

export type GraphSubscriptionRecord = GraphSubscriptionTable;

export interface NewGraphSubscription {
  organizationId: string;
  userId: string;
  subscriptionId: string;
  clientStateHash: string;
  resource: string;
  expiresAt: Date;
}

/** Store the mailbox's subscription, replacing any earlier one of the same mailbox. */
export async function saveSubscription(db: Kysely<Database>, s: NewGraphSubscription, now: Date): Promise<void> {
  const row = {
    organizationId: s.organizationId,
    userId: s.userId,
    subscriptionId: s.subscriptionId,
    clientStateHash: s.clientStateHash,
    resource: s.resource,
    expiresAt: iso(s.expiresAt),
    createdAt: iso(now),
    renewedAt: null,
  };
  await db
    .insertInto("graphSubscriptions")
    .values(row)
    .onConflict((oc) =>
      oc.columns(["organizationId", "userId"]).doUpdateSet({
        subscriptionId: row.subscriptionId,
        clientStateHash: row.clientStateHash,
        resource: row.resource,
        expiresAt: row.expiresAt,
        createdAt: row.createdAt,
        renewedAt: null,
      }),
    )
    .execute();
}

/** The subscription a notification names (its organization comes from the row). */
export async function findBySubscriptionId(
  db: Kysely<Database>,
  subscriptionId: string,
): Promise<GraphSubscriptionRecord | undefined> {
  return db
    .selectFrom("graphSubscriptions")
    .selectAll()
    .where("subscriptionId", "=", subscriptionId)
    .executeTakeFirst();
}

export async function getSubscription(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
): Promise<GraphSubscriptionRecord | undefined> {
  return db
    .selectFrom("graphSubscriptions")
    .selectAll()
    .where("organizationId", "=", organizationId)
    .where("userId", "=", userId)
    .executeTakeFirst();
}

/** A renewal's new expiry; false when the row now holds another subscription (recreated meanwhile). */
export async function recordRenewal(
  db: Kysely<Database>,
  organizationId: string,
  subscriptionId: string,
  expiresAt: Date,
  now: Date,
): Promise<boolean> {
  const res = await db
    .updateTable("graphSubscriptions")
    .set({ expiresAt: iso(expiresAt), renewedAt: iso(now) })
    .where("organizationId", "=", organizationId)
    .where("subscriptionId", "=", subscriptionId)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Forget one subscription (only that one: a newer subscription of the mailbox stays). */
export async function deleteSubscription(
  db: Kysely<Database>,
  organizationId: string,
  subscriptionId: string,
): Promise<boolean> {
  const res = await db
    .deleteFrom("graphSubscriptions")
    .where("organizationId", "=", organizationId)
    .where("subscriptionId", "=", subscriptionId)
    .executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** Subscriptions expiring before `before`, soonest first: the renewal tick's work. */
export async function listExpiringBefore(
  db: Kysely<Database>,
  before: Date,
  limit: number,
): Promise<GraphSubscriptionRecord[]> {
  return db
    .selectFrom("graphSubscriptions")
    .selectAll()
    .where("expiresAt", "<", iso(before))
    .orderBy("expiresAt")
    .limit(limit)
    .execute();
}

/** Active mailboxes with no subscription: connected since the last tick, or whose subscription was lost. */
export async function listUnsubscribedMailboxes(
  db: Kysely<Database>,
  limit: number,
): Promise<{ organizationId: string; userId: string }[]> {
  return db
    .selectFrom("mailboxConnections as c")
    .leftJoin("graphSubscriptions as s", (j) =>
      j.onRef("s.organizationId", "=", "c.organizationId").onRef("s.userId", "=", "c.userId"),
    )
    .select(["c.organizationId", "c.userId"])
    .where("c.status", "=", "active")
    .where("s.subscriptionId", "is", null)
    .orderBy("c.organizationId")
    .orderBy("c.userId")
    .limit(limit)
    .execute();
}

/** Due for renewal now (Graph asked to reauthorize): the next tick renews it. */
export async function markRenewalDue(
  db: Kysely<Database>,
  organizationId: string,
  subscriptionId: string,
  now: Date,
): Promise<boolean> {
  const res = await db
    .updateTable("graphSubscriptions")
    .set({ expiresAt: iso(now) })
    .where("organizationId", "=", organizationId)
    .where("subscriptionId", "=", subscriptionId)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** The subscriptions a notification POST names (at most a bounded batch of ids). */
export async function findBySubscriptionIds(
  db: Kysely<Database>,
  subscriptionIds: readonly string[],
): Promise<GraphSubscriptionRecord[]> {
  if (!subscriptionIds.length) return [];
  return db
    .selectFrom("graphSubscriptions")
    .selectAll()
    .where("subscriptionId", "in", [...subscriptionIds])
    .execute();
}
