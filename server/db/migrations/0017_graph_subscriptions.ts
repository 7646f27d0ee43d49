/**
 * Graph change-notification subscriptions: at most one per connected mailbox. The subscription's
 * clientState is a secret Graph echoes in every notification; only its SHA-256 is kept, which is all
 * a receiver needs to check it, so a database read gives nobody the means to forge a notification.
 */
import type { Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("graph_subscriptions")
    .addColumn("organization_id", "text", (c) => c.notNull().references("organizations.id").onDelete("cascade"))
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("subscription_id", "text", (c) => c.notNull().unique())
    .addColumn("client_state_hash", "text", (c) => c.notNull())
    .addColumn("resource", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("renewed_at", "text")
    .addPrimaryKeyConstraint("graph_subscriptions_pk", ["organization_id", "user_id"])
    .execute();
  await db.schema
    .createIndex("graph_subscriptions_expires_at")
    .on("graph_subscriptions")
    .column("expires_at")
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("graph_subscriptions").execute();
}
