/**
 * erasures: one row per person erased from an organization (server/erasure/). It proves the erasure
 * happened without keeping what was erased: the address only as a salted SHA-256 (someone who already
 * knows an address can check whether it was erased; the table cannot be read back into addresses), who
 * asked, when, the scope and the counts per kind.
 */
import type { Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("erasures")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("organization_id", "text", (c) => c.notNull().references("organizations.id").onDelete("cascade"))
    .addColumn("address_hash", "text", (c) => c.notNull())
    .addColumn("salt", "text", (c) => c.notNull())
    .addColumn("scope", "text", (c) => c.notNull())
    // No foreign key: the record outlives the administrator's account.
    .addColumn("erased_by_user_id", "text")
    .addColumn("erased_at", "text", (c) => c.notNull())
    .addColumn("counts", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("erasures_org_erased_idx")
    .on("erasures")
    .columns(["organization_id", "erased_at"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("erasures").execute();
}
