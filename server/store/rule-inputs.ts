/**
 * What the sweep's listing plan (server/sweep/listing-plan.ts) reads about changes to the capture
 * rules' inputs that can turn an excluded message into a captured one: a contact tracked (or
 * re-tracked: createdAt is reset), a blocklist entry removed, a user's addresses changed. Adding a
 * block entry or deleting a contact never needs a re-read: neither un-captures anything, and mail
 * seen later is decided with the new inputs anyway.
 *
 * Two kinds: address-specific changes (rule-changes.ts), which a sweep answers by searching the mailbox
 * for those addresses, and organization-wide changes with no address (organizations.rulesChangedAt),
 * which make every mailbox re-read its whole window.
 */
import type { Kysely } from "kysely";
import type { Database } from "../db/schema";
import { recordRulesChanged } from "./organizations";

export { recordRuleChanges, ruleChangesSince, type RuleChange } from "./rule-changes";

/** Record a change that names no address (organization-wide: every mailbox re-reads its window). */
export async function markRulesChanged(
  db: Kysely<Database>,
  organizationId: string,
  now: Date | string,
): Promise<void> {
  await recordRulesChanged(db, organizationId, now);
}

/** The latest change that names no address, or null when there was none. */
export async function rulesChangedAt(db: Kysely<Database>, organizationId: string): Promise<string | null> {
  const org = await db
    .selectFrom("organizations")
    .select("rulesChangedAt")
    .where("id", "=", organizationId)
    .executeTakeFirst();
  return org?.rulesChangedAt ? new Date(org.rulesChangedAt).toISOString() : null;
}
