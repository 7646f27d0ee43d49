/**
 * POST /api/mail no longer creates drafts (the product holds Mail.Send and Mail.Read, not
 * Mail.ReadWrite): it sends with /me/sendMail (or /reply) and finds the sent copy in Sent Items
 * afterwards. The idempotency key's row now records the send attempt instead of a draft — the marker
 * put on the message (send_marker) and when the send began (send_started_at), written BEFORE the
 * message goes to Graph — so a retry after a crash looks for that message instead of sending again.
 * draft_id (0002) is dropped: nothing writes it any more.
 */
import type { Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("idempotency_keys").addColumn("send_marker", "text").execute();
  await db.schema.alterTable("idempotency_keys").addColumn("send_started_at", "text").execute();
  await db.schema.alterTable("idempotency_keys").dropColumn("draft_id").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("idempotency_keys").addColumn("draft_id", "text").execute();
  await db.schema.alterTable("idempotency_keys").dropColumn("send_started_at").execute();
  await db.schema.alterTable("idempotency_keys").dropColumn("send_marker").execute();
}
