/**
 * When the capture rules' inputs last changed in a way that can turn an excluded message into a
 * captured one — what decides whether a sweep may list only what changed in the mailbox
 * (server/sweep/listing-plan.ts) or must re-read its whole window.
 *
 * Such changes: a contact tracked (or re-tracked: createdAt is reset), a blocklist entry removed,
 * the user's addresses changed. Adding a block entry or deleting a contact never needs a re-read:
 * neither un-captures anything, and mail seen later is decided with the new inputs anyway.
 */
import type { Kysely } from "kysely";
import type { Database } from "../db/schema";
import { recordRulesChanged } from "./organizations";

/** Record a change with no timestamp of its own (organization-wide: cheap to check, and rare). */
export async function markRulesChanged(
  db: Kysely<Database>,
  organizationId: string,
  now: Date | string,
): Promise<void> {
  await recordRulesChanged(db, organizationId, now);
}

/** The latest such change for this organization, or null when there was none. */
export async function rulesChangedAt(db: Kysely<Database>, organizationId: string): Promise<string | null> {
  const [org, contact] = await Promise.all([
    db.selectFrom("organizations").select("rulesChangedAt").where("id", "=", organizationId).executeTakeFirst(),
    // Deleted contacts count too (their createdAt is when they were last tracked): an over-estimate is safe.
    db
      .selectFrom("contacts")
      .select("createdAt")
      .where("organizationId", "=", organizationId)
      .orderBy("createdAt", "desc")
      .limit(1)
      .executeTakeFirst(),
  ]);
  const times = [org?.rulesChangedAt ?? null, contact?.createdAt ?? null].filter((t): t is string => t !== null);
  if (!times.length) return null;
  return new Date(Math.max(...times.map((t) => Date.parse(t)))).toISOString();
}
