/**
 * rule_changes: what changed in the capture rules' inputs, address by address, so a sweep can re-read
 * only the mail a change can affect (server/sweep/listing-plan.ts). user_id null = the whole
 * organization (an organization-wide block entry removed); a user's id = only their mailbox (their own
 * addresses, a personal block entry). Tracked contacts need no row: contacts.created_at says it.
 */
import type { Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("rule_changes")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("organization_id", "text", (c) => c.notNull())
    .addColumn("user_id", "text")
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("address", "text", (c) => c.notNull())
    .addColumn("changed_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("rule_changes_org_changed_at")
    .on("rule_changes")
    .columns(["organization_id", "changed_at"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("rule_changes").execute();
}
