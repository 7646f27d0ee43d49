/**
 * Users control what is captured.
 * - organizations.internal_domains (JSON string[]) and internal_domains_at: the organization's verified
 *   domains as Graph GET /organization reported them, and when; addresses there are never contacts.
 * - capture_decisions.removed_at and removal: a captured message whose engagement was deleted on request
 *   (removal = 'blocklist_entry' or 'untracked_contact'). The sweep's upsert never writes these columns, so
 *   the audit of the removal survives later sweeps of the same message.
 * - contacts.tracked_by_user_id: who tracked the contact (the Contacts view says who and when).
 */
import type { Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("organizations").addColumn("internal_domains", "text").execute();
  await db.schema.alterTable("organizations").addColumn("internal_domains_at", "text").execute();
  await db.schema.alterTable("capture_decisions").addColumn("removed_at", "text").execute();
  await db.schema.alterTable("capture_decisions").addColumn("removal", "text").execute();
  await db.schema.alterTable("contacts").addColumn("tracked_by_user_id", "text").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("contacts").dropColumn("tracked_by_user_id").execute();
  await db.schema.alterTable("capture_decisions").dropColumn("removal").execute();
  await db.schema.alterTable("capture_decisions").dropColumn("removed_at").execute();
  await db.schema.alterTable("organizations").dropColumn("internal_domains_at").execute();
  await db.schema.alterTable("organizations").dropColumn("internal_domains").execute();
}
