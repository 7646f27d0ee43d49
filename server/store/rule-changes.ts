/**
 * rule_changes: address-specific changes to the capture rules' inputs, for targeted re-reads
 * (server/sweep/listing-plan.ts). Written by the store module that makes the change, in its transaction.
 */
import type { Kysely } from "kysely";
import type { Database, RuleChangeTable } from "../db/schema";
import { iso, newId } from "./util";

export type RuleChangeKind = RuleChangeTable["kind"] | "contact_tracked";

export interface RuleChange {
  kind: RuleChangeKind;
  /** Normalised address, or "@domain". */
  address: string;
  at: string;
}

/** Record changes; `userId` null when every mailbox of the organization is concerned. */
export async function recordRuleChanges(
  db: Kysely<Database>,
  organizationId: string,
  userId: string | null,
  kind: RuleChangeTable["kind"],
  addresses: readonly string[],
  now: Date | string,
): Promise<void> {
  if (!addresses.length) return;
  const changedAt = iso(now);
  await db
    .insertInto("ruleChanges")
    .values(addresses.map((address) => ({ id: newId(), organizationId, userId, kind, address, changedAt })))
    .execute();
}

/** Erasing a person: the recorded changes naming the address go (how many). */
export async function deleteRuleChangesFor(
  db: Kysely<Database>,
  organizationId: string,
  address: string,
): Promise<number> {
  const r = await db
    .deleteFrom("ruleChanges")
    .where("organizationId", "=", organizationId)
    .where("address", "=", address)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * The changes one mailbox's sweep must answer for since `since`: the organization's and this user's
 * recorded changes, and contacts (re-)tracked since then (deleted ones too: an over-estimate is safe).
 * Null when there are more than `limit` of either kind: more than a caller would search for.
 */
export async function ruleChangesSince(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  since: Date | string,
  limit: number,
): Promise<RuleChange[] | null> {
  const from = iso(since);
  const [recorded, contacts] = await Promise.all([
    db
      .selectFrom("ruleChanges")
      .select(["kind", "address", "changedAt"])
      .where("organizationId", "=", organizationId)
      .where("changedAt", ">=", from)
      .where((eb) => eb.or([eb("userId", "is", null), eb("userId", "=", userId)]))
      .orderBy("changedAt", "desc")
      .limit(limit + 1)
      .execute(),
    db
      .selectFrom("contacts")
      .select(["email", "createdAt"])
      .where("organizationId", "=", organizationId)
      .where("createdAt", ">=", from)
      .orderBy("createdAt", "desc")
      .limit(limit + 1)
      .execute(),
  ]);
  if (recorded.length > limit || contacts.length > limit) return null;
  return [
    ...recorded.map((r) => ({ kind: r.kind, address: r.address, at: r.changedAt })),
    ...contacts.map((c) => ({ kind: "contact_tracked" as const, address: c.email, at: c.createdAt })),
  ];
}

/** Retention: up to `limit` of the organization's changes made before `before` (how many went). */
export async function pruneRuleChangesBefore(
  db: Kysely<Database>,
  organizationId: string,
  before: string,
  limit: number,
): Promise<number> {
  const r = await db
    .deleteFrom("ruleChanges")
    .where("id", "in", (qb) =>
      qb
        .selectFrom("ruleChanges")
        .select("id")
        .where("organizationId", "=", organizationId)
        .where("changedAt", "<", before)
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** The organization's changes made at or after `since` (retention/rule-changes.ts says which are spent). */
export async function ruleChangesFrom(
  db: Kysely<Database>,
  organizationId: string,
  since: string,
): Promise<{ id: string; userId: string | null; changedAt: string }[]> {
  return db
    .selectFrom("ruleChanges")
    .select(["id", "userId", "changedAt"])
    .where("organizationId", "=", organizationId)
    .where("changedAt", ">=", since)
    .execute();
}

/** Deletes the organization's changes with these ids (a batch the caller bounds). */
export async function deleteRuleChanges(
  db: Kysely<Database>,
  organizationId: string,
  ids: readonly string[],
): Promise<number> {
  if (!ids.length) return 0;
  const r = await db
    .deleteFrom("ruleChanges")
    .where("organizationId", "=", organizationId)
    .where("id", "in", ids)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
