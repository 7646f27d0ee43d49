/**
 * Sharing levels: what teammates see of the engagements captured from a mailbox.
 * - organizations.sharing_default_level: the level of every mailbox whose owner has not chosen one
 *   ('metadata': nothing of a message's words is shown to teammates until someone decides to);
 * - organizations.sharing_users_may_change: 0 puts every mailbox at the default;
 * - organizations.sharing_integration_level: what applications see ('everything': their app role is
 *   already an administrator's grant to read all engagements, and integrations built before this keep working);
 * - users.sharing_level: the user's own choice, null to follow the default.
 */
import type { Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("organizations")
    .addColumn("sharing_default_level", "text", (c) => c.notNull().defaultTo("metadata"))
    .execute();
  await db.schema
    .alterTable("organizations")
    .addColumn("sharing_users_may_change", "integer", (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema
    .alterTable("organizations")
    .addColumn("sharing_integration_level", "text", (c) => c.notNull().defaultTo("everything"))
    .execute();
  await db.schema.alterTable("users").addColumn("sharing_level", "text").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("users").dropColumn("sharing_level").execute();
  await db.schema.alterTable("organizations").dropColumn("sharing_integration_level").execute();
  await db.schema.alterTable("organizations").dropColumn("sharing_users_may_change").execute();
  await db.schema.alterTable("organizations").dropColumn("sharing_default_level").execute();
}
