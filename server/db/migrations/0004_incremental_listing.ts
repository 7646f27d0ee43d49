/**
 * Incremental listing (server/sweep/listing-plan.ts). A steady-state hourly sweep lists only what
 * changed since the last successful one; it must list the whole window again when something that
 * feeds the capture rules changed in a way that can turn an excluded message into a captured one.
 * - organizations.rules_changed_at: bumped when such a change leaves no timestamp of its own
 *   (a blocklist entry removed, a user's addresses changed). Contacts carry their own created_at.
 * - contacts (organization_id, created_at): so "newest contact" is an index lookup per sweep.
 * - sweeps.listing: 'full' or 'changes' — what the sweep listed, for operators and the benchmarks.
 */
import type { Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("organizations").addColumn("rules_changed_at", "text").execute();
  await db.schema.alterTable("sweeps").addColumn("listing", "text").execute();
  await db.schema
    .createIndex("contacts_org_created_idx")
    .on("contacts")
    .columns(["organization_id", "created_at"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("contacts_org_created_idx").execute();
  await db.schema.alterTable("sweeps").dropColumn("listing").execute();
  await db.schema.alterTable("organizations").dropColumn("rules_changed_at").execute();
}
